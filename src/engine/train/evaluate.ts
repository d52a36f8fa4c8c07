/**
 * Evaluation during and after training: a forward-only graph (dropout off) fed the current trainable
 * weights, over the eval set in file order. Reports the mean loss and the task's metrics:
 * seq-cls accuracy and macro F1; token-cls accuracy over labelled first sub-tokens and entity F1;
 * mlm perplexity over masked tokens (masks from a fixed seed, the same at every evaluation).
 */
import { classificationMetrics } from '../metrics/classification.js';
import { entityMetrics } from '../metrics/ner.js';
import { createSession, ort, type GraphSession } from '../runtime/session.js';
import { collate, IGNORE, type Feature, type MaskingOptions } from './features.js';
import type { TrainTask } from './model-loss.js';
import { buildEvalGraph, COUNTER_INPUT, SEED_INPUT, type LossBuilder } from './step-graph.js';
import type { TrainableWeight } from './runner.js';
import { mixSeed } from '../data/index.js';

export class Evaluator {
  private constructor(private readonly session: GraphSession, private readonly trainable: TrainableWeight[], private readonly task: TrainTask) {}

  static async create(build: LossBuilder, task: TrainTask, sessionOpts: { threads?: number; device?: 'cpu' | 'cuda' | 'webgpu' }): Promise<Evaluator> {
    const built = buildEvalGraph(build);
    const trainable = built.trainable.map(({ name, shape, initial, decay }) => ({ name, shape, initial, decay }));
    return new Evaluator(await createSession(built.graph, sessionOpts), trainable, task);
  }

  async evaluate(features: Feature[], params: Map<string, Float32Array>, o: { batchSize: number; padId: number; masking?: MaskingOptions; labels: readonly string[] }): Promise<{ eval: Record<string, number>; confusion?: number[][]; labels?: string[] }> {
    const weights: Record<string, ort.Tensor> = {};
    for (const p of this.trainable) weights[p.name] = new ort.Tensor('float32', params.get(p.name)!, p.shape);
    const rng = { [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []) };
    let lossSum = 0;
    let weightSum = 0;
    const gold: string[] = [];
    const predicted: string[] = [];
    const goldTags: string[][] = [];
    const predictedTags: string[][] = [];
    let tokenCorrect = 0;
    let tokenTotal = 0;
    for (let start = 0; start < features.length; start += o.batchSize) {
      const rows = features.slice(start, start + o.batchSize);
      const masking = o.masking ? { options: o.masking, seeds: rows.map((_, k) => mixSeed(12345, start + k)) } : undefined;
      const batch = collate(rows, this.task, o.padId, masking);
      const out = await this.session.session.run({ ...batch.feeds, ...weights, ...rng });
      const loss = Number(out.loss.data[0]);
      const logits = out.logits.data as Float32Array;
      const classes = out.logits.dims[out.logits.dims.length - 1];
      const argmax = (row: number) => {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits[row * classes + c] > logits[row * classes + best]) best = c;
        return best;
      };
      if (this.task === 'seq-cls') {
        rows.forEach((f, r) => { gold.push(o.labels[f.label!]); predicted.push(o.labels[argmax(r)]); });
        lossSum += loss * rows.length;
        weightSum += rows.length;
      } else if (this.task === 'token-cls') {
        const seq = batch.feeds.input_ids.dims[1];
        let labelled = 0;
        rows.forEach((f, r) => {
          const g: string[] = [];
          const p: string[] = [];
          f.tokenLabels!.forEach((l, s) => {
            if (l === IGNORE) return;
            const guess = argmax(r * seq + s);
            g.push(o.labels[l]);
            p.push(o.labels[guess]);
            tokenCorrect += guess === l ? 1 : 0;
            tokenTotal++;
            labelled++;
          });
          goldTags.push(g);
          predictedTags.push(p);
        });
        lossSum += loss * labelled;
        weightSum += labelled;
      } else {
        const masked = batch.feeds.mlm_labels.dims[0];
        lossSum += loss * masked;
        weightSum += masked;
      }
    }
    const evalLoss = weightSum ? lossSum / weightSum : 0;
    const metrics: Record<string, number> = { loss: evalLoss };
    if (this.task === 'seq-cls') {
      const m = classificationMetrics(gold, predicted, o.labels);
      metrics.accuracy = m.accuracy;
      metrics.macro_f1 = m.macroF1;
      return { eval: metrics, confusion: m.confusion.matrix, labels: m.confusion.labels };
    }
    if (this.task === 'token-cls') {
      metrics.accuracy = tokenTotal ? tokenCorrect / tokenTotal : 0;
      if (o.labels.some((l) => /^[BI]-/.test(l))) metrics.entity_f1 = entityMetrics(goldTags, predictedTags).f1;
    } else {
      metrics.perplexity = Math.exp(evalLoss);
    }
    return { eval: metrics };
  }

  async release(): Promise<void> {
    await this.session.session.release();
  }
}
