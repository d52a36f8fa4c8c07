/**
 * The XLM-R model with its task head and loss, as a LossBuilder for the step graphs. Task inputs
 * (int64): input_ids and attention_mask [batch, seq], and
 * - seq-cls: labels [batch];
 * - token-cls: labels [batch, seq], -100 where no label applies (pads, specials, later sub-tokens);
 * - mlm: mlm_positions [masked] (flat b * seq + s) and mlm_labels [masked]: the head runs on masked rows only,
 *   which gives HF's loss (mean over masked tokens) without a vocabulary-sized projection of every token;
 * - qa: start_positions and end_positions [batch] (0, the <s> token, for a window without the answer): the mean of
 *   the start and end cross-entropies over every position (padding included), as XLMRobertaForQuestionAnswering.
 */
import type { Value } from '../graph/graph.js';
import { add, crossEntropy, gather, mul, reshape } from '../graph/ops/index.js';
import type { XlmrConfig } from '../hf/config.js';
import type { ModelWeights } from '../hf/weights.js';
import { buildEncoder, buildMlmHead, buildQuestionAnsweringHead, buildSequenceClassificationHead, buildTokenClassificationHead, selectRows } from '../model/xlmr.js';
import { createRng } from '../rng/rng.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import { TrainContext } from './context.js';
import { initLora, isLoraName, type LoraOptions } from './lora.js';
import type { LossBuilder } from './step-graph.js';

export type TrainMethod = 'full' | 'lora';

export interface ModelLossOptions {
  head: HeadKind;
  config: XlmrConfig;
  /** Number of classes for the classification tasks. */
  numLabels: number;
  weights: Pick<ModelWeights, 'has' | 'get' | 'info'>;
  method: TrainMethod;
  lora?: LoraOptions;
  /** Overrides every dropout probability of the config; undefined keeps them. */
  dropout?: number;
  /** Seed for weights the checkpoint lacks (a new head, LoRA's A). */
  initSeed: number;
}

/** The head's module prefix: trained by LoRA runs too, and PEFT's modules_to_save. */
export function headModule(head: HeadKind): string {
  return head === 'mlm' ? 'lm_head' : head === 'qa' ? 'qa_outputs' : 'classifier';
}

function isHeadWeight(head: HeadKind, name: string): boolean {
  return name.startsWith(`${headModule(head)}.`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function modelLossBuilder(o: ModelLossOptions): LossBuilder {
  return modelLoss(o).build;
}

export interface ModelLoss {
  build: LossBuilder;
  /**
   * A weight's value as the run started, from memory: trainable ones are trained in place (see StepRunner), frozen
   * ones are the arrays every session of the run is fed.
   */
  weight(name: string, shape: number[]): Float32Array;
}

export function modelLoss(o: ModelLossOptions): ModelLoss {
  if (o.method === 'lora' && !o.lora) throw new Error('LoRA training needs LoRA options');
  // Every build (step, accumulation and eval graphs) sees the same arrays: each weight is read or drawn once and
  // kept here, so a frozen weight has one copy for the whole run, fed to every session.
  const initial = new Map<string, Float32Array>();
  const rng = createRng(o.initSeed);
  const range = (o.config.raw.initializer_range as number | undefined) ?? 0.02;
  const initialize = (name: string, shape: number[]): Float32Array => {
    if (isLoraName(name)) return initLora(name, shape, rng);
    const n = shape.reduce((a, b) => a * b, 1);
    if (/layer_?norm\.weight$/i.test(name)) return new Float32Array(n).fill(1);
    if (name.endsWith('.bias')) return new Float32Array(n);
    return Float32Array.from({ length: n }, () => rng.normal(0, range));
  };
  const trainable = (name: string) => o.method === 'full' || isLoraName(name) || isHeadWeight(o.head, name);
  const weight = (name: string, shape: number[]): Float32Array => {
    let data = initial.get(name);
    if (!data) {
      // A head saved with another number of labels starts fresh (HF's ignore_mismatched_sizes).
      const stored = o.weights.has(name) && sameShape(o.weights.info(name).shape, shape);
      data = stored ? o.weights.get(name, shape) : initialize(name, shape);
      initial.set(name, data);
    }
    return data;
  };

  const build: LossBuilder = (graph, randomKey, mode = 'train') => {
    const ctx = new TrainContext(graph, o.config, { weight, initialize, trainable, lora: o.method === 'lora' ? o.lora : undefined, dropoutOverride: o.dropout, randomKey, eval: mode === 'eval' });
    const inputIds = graph.input('input_ids', 'int64', ['batch', 'seq']);
    const attentionMask = graph.input('attention_mask', 'int64', ['batch', 'seq']);
    // A sequence-classification head reads only the <s> row, so the last layer computes only that row.
    const hidden = buildEncoder(ctx, inputIds, attentionMask, undefined, undefined, o.head === 'seq-cls' ? 'first' : 'all');
    let loss: Value;
    let logits: Value;
    if (o.head === 'seq-cls') {
      const labels = graph.input('labels', 'int64', ['batch']);
      logits = buildSequenceClassificationHead(ctx, hidden, o.numLabels);
      loss = crossEntropy(logits, labels);
    } else if (o.head === 'token-cls') {
      const labels = graph.input('labels', 'int64', ['batch', 'seq']);
      logits = buildTokenClassificationHead(ctx, hidden, o.numLabels);
      loss = crossEntropy(reshape(logits, [-1, o.numLabels]), reshape(labels, [-1]));
    } else if (o.head === 'qa') {
      const starts = graph.input('start_positions', 'int64', ['batch']);
      const ends = graph.input('end_positions', 'int64', ['batch']);
      logits = buildQuestionAnsweringHead(ctx, hidden);
      const side = (k: number) => gather(logits, graph.constant(k, 'int64'), 2);
      loss = mul(add(crossEntropy(side(0), starts), crossEntropy(side(1), ends)), 0.5);
    } else {
      const positions = graph.input('mlm_positions', 'int64', ['masked']);
      const labels = graph.input('mlm_labels', 'int64', ['masked']);
      logits = buildMlmHead(ctx, selectRows(hidden, positions));
      loss = crossEntropy(logits, labels);
    }
    return { loss, trainable: ctx.trainable, frozen: ctx.frozen, logits };
  };
  return { build, weight };
}
