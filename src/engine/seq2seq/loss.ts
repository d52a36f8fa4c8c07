/**
 * The translation loss as a LossBuilder for the step graphs (src/engine/train/step-graph.ts): teacher-forced
 * cross-entropy of the decoder's logits against the labels, label-smoothed as transformers' Trainer does,
 * padding (-100) ignored. Inputs (int64): input_ids, attention_mask [batch, src], decoder_input_ids and
 * labels [batch, tgt].
 *
 * Full fine-tuning trains every parameter transformers' optimizer would see; never final_logits_bias or a
 * sinusoidal position table (buffers, or frozen). LoRA trains only its matrices on the targeted projections.
 */
import { labelSmoothedCrossEntropy, reshape } from '../graph/ops/index.js';
import { TrainContext } from '../train/context.js';
import { initLora, isLoraName, type LoraOptions } from '../train/lora.js';
import type { ModelLoss } from '../train/model-loss.js';
import type { LossBuilder } from '../train/step-graph.js';
import { createRng } from '../rng/rng.js';
import type { Seq2SeqConfig } from './config.js';
import { buildLmLogits, buildSeq2SeqDecoder, buildSeq2SeqEncoder } from './model.js';
import { isFrozenBuffer, type Seq2SeqWeights } from './weights.js';

/** PEFT's default targets for Marian and M2M100 (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
export const SEQ2SEQ_DEFAULT_LORA_TARGETS = ['q_proj', 'v_proj'];
/** The attention and feed-forward projections of every encoder and decoder layer. */
export const SEQ2SEQ_LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2'] as const;

export interface TranslationLossOptions {
  config: Seq2SeqConfig;
  weights: Pick<Seq2SeqWeights, 'get'>;
  method: 'full' | 'lora';
  lora?: LoraOptions;
  labelSmoothing: number;
  /** Overrides every dropout probability of the config; undefined keeps them. */
  dropout?: number;
  initSeed: number;
}

export function translationLoss(o: TranslationLossOptions): ModelLoss {
  if (o.method === 'lora' && !o.lora) throw new Error('LoRA training needs LoRA options');
  const rng = createRng(o.initSeed);
  const kept = new Map<string, Float32Array>();
  const trainable = (name: string) => (o.method === 'full' ? !isFrozenBuffer(o.config, name) : isLoraName(name));
  const initialize = (name: string, shape: number[]) => {
    if (!isLoraName(name)) throw new Error(`no value for weight ${name}`);
    return initLora(name, shape, rng);
  };
  // Every value is read or drawn once and kept, so every graph of the run (step, accumulation) starts from the same
  // ones and a frozen weight has one copy, fed to each session.
  const weight = (name: string, shape: number[]): Float32Array => {
    let data = kept.get(name);
    if (!data) {
      data = isLoraName(name) ? initialize(name, shape) : o.weights.get(name, shape);
      kept.set(name, data);
    }
    return data;
  };
  const build: LossBuilder = (graph, randomKey, mode = 'train') => {
    const ctx = new TrainContext<Seq2SeqConfig>(graph, o.config, { weight, initialize, trainable, lora: o.method === 'lora' ? o.lora : undefined, dropoutOverride: o.dropout, randomKey, eval: mode === 'eval' });
    const ids = graph.input('input_ids', 'int64', ['batch', 'src']);
    const mask = graph.input('attention_mask', 'int64', ['batch', 'src']);
    const decoderIds = graph.input('decoder_input_ids', 'int64', ['batch', 'tgt']);
    const labels = graph.input('labels', 'int64', ['batch', 'tgt']);
    const encoded = buildSeq2SeqEncoder(ctx, ids, mask);
    const logits = buildLmLogits(ctx, buildSeq2SeqDecoder(ctx, decoderIds, encoded, mask).hidden);
    const loss = labelSmoothedCrossEntropy(reshape(logits, [-1, o.config.decoderVocabSize]), reshape(labels, [-1]), o.labelSmoothing);
    return { loss, trainable: ctx.trainable, frozen: ctx.frozen, logits };
  };
  return { build, weight };
}
