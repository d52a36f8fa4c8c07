/**
 * A training run's peak memory, estimated before it starts from the model's sizes, the batch, the length and the
 * method, so a run that cannot fit is refused with the figure and what would fit, instead of swapping for an hour
 * or being killed by the OS without a word. The coefficients were fitted to peak RSS measured on small models
 * (bench/memory-estimate.ts; README, "Memory"): float32 weights are held once (trainable and frozen ones are
 * both the trainer's arrays, fed to the sessions as inputs), each trainable parameter costs its gradient, the
 * optimizer's moments and the step's temporaries, and each layer keeps its activations for the backward pass.
 */
import { totalmem } from 'node:os';
import { XlmError, field, joinSaid, said, type Said } from '../errors.js';
import type { XlmrConfig } from '../hf/config.js';
import type { LoraTarget } from './lora.js';

const MB = 1024 * 1024;

export type ModelSizes = Pick<XlmrConfig, 'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'intermediate_size' | 'num_attention_heads' | 'max_position_embeddings' | 'type_vocab_size'>;

export interface MemoryEstimateInput {
  config: ModelSizes;
  task: 'seq-cls' | 'token-cls' | 'mlm' | 'qa';
  method: 'full' | 'lora';
  loraR: number;
  loraTargets: readonly LoraTarget[];
  batchSize: number;
  maxLength: number;
  optimizer: 'adamw' | 'sgd';
  /** false: a second set of weights and optimizer state (RunnerOptions.inPlace; no command asks for it). */
  inPlace: boolean;
}

export interface MemoryEstimate {
  /** The whole process at its peak, in MB. */
  totalMB: number;
  /** Node, onnxruntime and the data (MB). */
  runtimeMB: number;
  /** The model's weights as the trainer and the session hold them (MB). */
  weightsMB: number;
  /** Gradients, optimizer moments and update temporaries of the trainable parameters (MB). */
  optimizerMB: number;
  /** What the forward pass keeps for the backward pass, at the full batch and length (MB). */
  activationsMB: number;
  parameters: number;
  trainable: number;
}

/** Fitted coefficients (see the file comment). */
const RUNTIME_MB = 160;
const WEIGHT_COPIES = 1;
/** Float32 copies per trainable parameter besides the weight itself: gradient, 2 AdamW moments, temporaries. */
const ADAMW_COPIES = 7;
const SGD_COPIES = 4;
/** Floats kept per token per layer, in units of the hidden size and of the feed-forward size. */
const PER_HIDDEN = 11;
const PER_FFN = 3.2;
/** Floats kept per attention score (scores, probabilities, dropout mask, their gradients). */
const PER_SCORE = 2;
/** Floats per vocabulary entry per predicted token for the masked-LM head (logits, softmax, gradient). */
const PER_VOCAB = 3;
/**
 * Full masked-LM training: the decoder is tied to the word embeddings, so the embedding's gradient is dense (a
 * sequence-classification run updates only the rows it looked up), with its temporaries: table-sized copies.
 */
const TIED_EMBEDDING_COPIES = 3;

const LORA_SHAPES: Record<LoraTarget, (h: number, i: number) => [number, number]> = {
  query: (h) => [h, h],
  key: (h) => [h, h],
  value: (h) => [h, h],
  'attention.output.dense': (h) => [h, h],
  'intermediate.dense': (h, i) => [h, i],
  'output.dense': (h, i) => [i, h],
};

export function estimateTrainingMemory(input: MemoryEstimateInput): MemoryEstimate {
  const { vocab_size: v, hidden_size: h, num_hidden_layers: layers, intermediate_size: i, num_attention_heads: heads, max_position_embeddings: positions, type_vocab_size: types } = input.config;
  const embeddings = (v + positions + types) * h + 2 * h;
  const layer = 4 * (h * h + h) + 2 * h * i + i + h + 4 * h;
  const head = input.task === 'mlm' ? h * h + 3 * h + v : input.task === 'qa' ? 2 * h + 2 : h * h + h + 2 * h;
  const parameters = embeddings + layers * layer + head;
  const lora = input.loraTargets.reduce((sum, t) => {
    const [inDim, outDim] = LORA_SHAPES[t](h, i);
    return sum + input.loraR * (inDim + outDim);
  }, 0) * layers;
  const trainable = input.method === 'full' ? parameters : lora + head;

  const copies = (input.optimizer === 'adamw' ? ADAMW_COPIES : SGD_COPIES) + (input.inPlace ? 0 : 3);
  const tokens = input.batchSize * input.maxLength;
  const perLayer = tokens * (PER_HIDDEN * h + PER_FFN * i) + input.batchSize * heads * input.maxLength * input.maxLength * PER_SCORE;
  // A sequence-classification graph computes only the <s> row past the last layer's keys and values; the others
  // compute every row of every layer (about one layer more). The masked-LM head predicts at the masked positions
  // (15% of tokens), over the whole vocabulary.
  const layersKept = input.task === 'seq-cls' ? layers : layers + 1;
  const vocabulary = input.task === 'mlm' ? Math.ceil(tokens * 0.15) * v * PER_VOCAB : 0;
  const tiedEmbedding = input.task === 'mlm' && input.method === 'full' ? v * h * TIED_EMBEDDING_COPIES : 0;

  const weightsMB = (parameters * 4 * WEIGHT_COPIES) / MB;
  const optimizerMB = ((trainable * copies + tiedEmbedding) * 4) / MB;
  const activationsMB = ((layersKept * perLayer + vocabulary) * 4) / MB;
  const totalMB = RUNTIME_MB + weightsMB + optimizerMB + activationsMB;
  return { totalMB, runtimeMB: RUNTIME_MB, weightsMB, optimizerMB, activationsMB, parameters, trainable };
}

export interface MemoryCheck {
  estimate: MemoryEstimate;
  /** The limit the run was held to (MB) and where it came from. */
  limitMB: number;
  limitSource: string;
}

/**
 * Refuses a run whose estimate exceeds the memory limit (xlm.memoryLimitMB / --memory-limit-mb) or, without one,
 * the machine's memory; the message gives the figure and what would fit.
 */
export function checkTrainingMemory(input: MemoryEstimateInput, limitMB: number | undefined, machineMB = totalmem() / MB): MemoryCheck {
  const estimate = estimateTrainingMemory(input);
  const limited = limitMB !== undefined && limitMB > 0;
  const limit = limited ? limitMB : machineMB;
  const limitSource = limited ? `the memory limit of ${Math.round(limitMB)} MB` : `this machine's ${Math.round(machineMB)} MB of memory`;
  if (estimate.totalMB > limit) {
    throw new XlmError(
      'train/memory',
      said`this run needs about ${Math.round(estimate.totalMB)} MB at its peak (weights ${Math.round(estimate.weightsMB)} MB, gradients and optimizer ${Math.round(estimate.optimizerMB)} MB, activations ${Math.round(estimate.activationsMB)} MB), more than ${limitSource}${limited ? said` (${field('memoryLimitMB')})` : ''}. ${suggestions(input, limit)}`,
      { what: limited ? 'memoryLimitMB' : 'memory' },
    );
  }
  return { estimate, limitMB: limit, limitSource };
}

/** Changes that bring the estimate under `limit`, the cheapest to the model's quality first. */
function suggestions(input: MemoryEstimateInput, limit: number): Said {
  const fits = (change: Partial<MemoryEstimateInput>) => estimateTrainingMemory({ ...input, ...change }).totalMB <= limit;
  const ideas: Said[] = [];
  for (let b = Math.floor(input.batchSize / 2); b >= 1; b = Math.floor(b / 2)) {
    if (fits({ batchSize: b })) {
      ideas.push(said`${field('batchSize')} ${b} (with ${field('gradAccum')} ${Math.ceil(input.batchSize / b)} for the same effective batch)`);
      break;
    }
  }
  for (let l = Math.floor(input.maxLength / 2); l >= 16; l = Math.floor(l / 2)) {
    if (fits({ maxLength: l })) {
      ideas.push(said`${field('maxLength')} ${l}`);
      break;
    }
  }
  if (input.method === 'full' && fits({ method: 'lora' })) ideas.push(said`LoRA (${field('method')} lora) instead of full fine-tuning`);
  if (ideas.length === 0) {
    const smallest = estimateTrainingMemory({ ...input, method: 'lora', batchSize: 1, maxLength: Math.min(input.maxLength, 32), inPlace: true });
    return said`Even LoRA with batch size 1 and length 32 needs about ${Math.round(smallest.totalMB)} MB: use a smaller model or a machine with more memory.`;
  }
  return said`Any one of these fits: ${joinSaid(ideas, '; ')}.`;
}
