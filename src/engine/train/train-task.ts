/**
 * `train(options, hooks)`: the entry point of every fine-tuning run (`xlm train`, the engine's train/start): the
 * TrainingRun of the task, QA's own (src/engine/qa/train-run.ts), translation's (src/engine/seq2seq/train-run.ts)
 * or the base one.
 */
import { QaTrainingRun } from '../qa/train-run.js';
import { TranslationRun, type TranslationTrainOptions } from '../seq2seq/train-run.js';
import type { TrainHooks, TrainOptions, TrainResult } from './options.js';
import { TrainingRun } from './train.js';

export async function train(options: TrainOptions | TranslationTrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  if (options.task === 'translation') return new TranslationRun(options as TranslationTrainOptions, hooks).run();
  return (options.task === 'question-answering' ? new QaTrainingRun(options as TrainOptions, hooks) : new TrainingRun(options as TrainOptions, hooks)).run();
}
