/**
 * The one table of training defaults, read by `xlm train` (for every option not given) and by the editor's
 * fine-tune wizard (train/defaults, which shows the values before a run starts): learning rate, warm-up and epochs
 * per task, method, model size and dataset size.
 *
 * Why these values. Small models (hidden size up to 384, such as the shipped default model, 4 layers of 256) need
 * far larger steps than XLM-R base: on examples/langid (780 rows, 26 languages) full fine-tuning of the shipped model
 * at 2e-5 or 5e-5 leaves the loss at ln 26, and LoRA at 2e-4 does too, while full fine-tuning at 1e-3 and LoRA at
 * 5e-3 reach the test accuracy of 1.0 in three epochs (README, *Training defaults*, has the measured table). Base
 * and large models keep the values their papers and transformers' examples use (full 2e-5 to 5e-5, LoRA 5e-4);
 * full fine-tuning of XLM-R base above 1e-4 is known to diverge.
 * Small datasets take more epochs, so that a run makes at least MIN_STEPS optimizer steps; large ones fewer.
 */
import { HEAD_OF_TASK, type HeadKind, type Task } from '../tasks/vocabulary.js';
import type { TrainMethod } from './model-loss.js';

export interface TrainingDefaults {
  lr: number;
  epochs: number;
  warmupRatio: number;
  batchSize: number;
  /** Which row of the table this is ("defaults for full fine-tuning of classification … with a small model …"). */
  rowName: string;
  /** The model's size in words, as the row names it without the hidden size: "a small model". */
  modelInWords: string;
  /** One line saying which row of the table this is and its values, for the wizard. */
  why: string;
}

export type ModelScale = 'small' | 'base';

/** Models of hidden size up to this are "small" (the shipped default, recipes/quick.json, distilled models). */
const SMALL_HIDDEN = 384;
/** Fewest optimizer steps a default run makes: below this a new head has not moved from the label prior. */
export const MIN_STEPS = 150;
const MAX_EPOCHS = 20;
/** Examples per micro-batch when none is given (package.json's xlm.batchSize default is the same; a test holds them equal). */
export const DEFAULT_BATCH_SIZE = 16;
/** How many times a run with eval rows evaluates when --eval-every is not given (evalEvery = total steps / this). */
export const DEFAULT_EVALUATIONS = 10;

/** The table's rows: the encoder's heads (a pair classifier is a sequence classifier), and sequence-to-sequence translation. */
type DefaultsRow = HeadKind | 'translation';

/**
 * Peak learning rates: [task][method][scale]. Translation's row is transformers' usual seq2seq fine-tuning rates
 * (not measured here).
 */
const LEARNING_RATE: Record<DefaultsRow, Record<TrainMethod, Record<ModelScale, number>>> = {
  'seq-cls': { full: { small: 1e-3, base: 3e-5 }, lora: { small: 5e-3, base: 5e-4 } },
  'token-cls': { full: { small: 1e-3, base: 5e-5 }, lora: { small: 5e-3, base: 5e-4 } },
  mlm: { full: { small: 5e-4, base: 5e-5 }, lora: { small: 2e-3, base: 5e-4 } },
  translation: { full: { small: 5e-4, base: 5e-5 }, lora: { small: 2e-3, base: 5e-4 } },
  // Question answering: base is run_qa.py's usual XLM-R rate; small is what test/qa/qa-train.test.ts learns with.
  qa: { full: { small: 3e-3, base: 3e-5 }, lora: { small: 5e-3, base: 5e-4 } },
};

/**
 * The method the wizard offers first. A small model's full fine-tuning costs about what LoRA does and learns more:
 * on examples/langid with the shipped model and the table's values, a user's trial got eval accuracy 100% from full
 * fine-tuning and 89.7% from LoRA, about a minute each. A base-sized model keeps LoRA (a fraction of the memory).
 */
export function recommendedMethod(hiddenSize: number): TrainMethod {
  return modelScale(hiddenSize) === 'small' ? 'full' : 'lora';
}

export function modelScale(hiddenSize: number): ModelScale {
  return hiddenSize <= SMALL_HIDDEN ? 'small' : 'base';
}

/** Epochs by dataset size: at least MIN_STEPS steps (at most MAX_EPOCHS epochs); 2 from 10,000 rows, 1 from 100,000. */
function epochsFor(rows: number | undefined, batchSize: number): number {
  if (rows === undefined) return 3;
  if (rows >= 100_000) return 1;
  if (rows >= 10_000) return 2;
  const stepsPerEpoch = Math.max(1, Math.ceil(rows / batchSize));
  return Math.min(MAX_EPOCHS, Math.max(3, Math.ceil(MIN_STEPS / stepsPerEpoch)));
}

const TASK_WORDS: Record<DefaultsRow, string> = { 'seq-cls': 'classification', 'token-cls': 'token classification', mlm: 'masked-LM', translation: 'translation', qa: 'question answering' };

/**
 * The defaults for a run. `rows`: training rows after any hold-out (undefined when not known yet: 3 epochs);
 * `hiddenSize`: the model's config.json hidden_size.
 */
export function trainingDefaults(q: { task: Task | 'translation'; method: TrainMethod; hiddenSize: number; rows?: number; batchSize?: number }): TrainingDefaults {
  const scale = modelScale(q.hiddenSize);
  const batchSize = q.batchSize ?? DEFAULT_BATCH_SIZE;
  const row: DefaultsRow = q.task === 'translation' ? 'translation' : HEAD_OF_TASK[q.task];
  const lr = LEARNING_RATE[row][q.method][scale];
  const epochs = epochsFor(q.rows, batchSize);
  const size = q.rows === undefined ? '' : ` on ${q.rows} rows`;
  const modelInWords = scale === 'small' ? 'a small model' : 'a base-size or larger model';
  const named = `defaults for ${q.method === 'lora' ? 'LoRA' : 'full fine-tuning'} of ${TASK_WORDS[row]}${size} with ${modelInWords} (hidden size ${q.hiddenSize})`;
  const values = { lr, epochs, warmupRatio: 0.1 };
  return { ...values, batchSize, rowName: named, modelInWords, why: `${named}: ${defaultsInWords(values, DEFAULTED_KEYS)}` };
}

/** The values the table chooses when a run is not given them. */
const DEFAULTED_KEYS = ['lr', 'epochs', 'warmupRatio'] as const;

/** `keys`' values in words, in the table's order: "learning rate 0.001, 3 epochs, 10% warm-up". */
export function defaultsInWords(d: Pick<TrainingDefaults, (typeof DEFAULTED_KEYS)[number]>, keys: readonly (typeof DEFAULTED_KEYS)[number][]): string {
  const words = { lr: `learning rate ${d.lr}`, epochs: `${d.epochs} epochs`, warmupRatio: `${Math.round(d.warmupRatio * 100)}% warm-up` };
  return keys.map((k) => words[k]).join(', ');
}
