/**
 * `train(options, hooks)`: the entry point of every fine-tuning run (`xlm train`, the engine's train/start): the
 * TrainingRun of the task, QA's own (src/engine/qa/train-run.ts) or the base one.
 */
import { QaTrainingRun } from '../qa/train-run.js';
import type { TrainHooks, TrainOptions, TrainResult } from './options.js';
import { TrainingRun } from './train.js';

export async function train(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  return (options.task === 'question-answering' ? new QaTrainingRun(options, hooks) : new TrainingRun(options, hooks)).run();
}
