/**
 * The optimizer-step loop that fine-tuning (TrainingRun) and pre-training (each stage of a recipe) share: steps until
 * the runner reaches the last one, a cancel between two steps, a stop asked for after a step (early stopping), and a
 * loss that is not finite ends the run as diverged. What each kind of run does around a step (its batches and
 * metrics line, its evaluations, checkpoints and validation marks) are the hooks.
 */
import type { StepResult, StepRunner } from './runner.js';

export interface StepLoop {
  runner: Pick<StepRunner, 'stepCount'>;
  /** The step count at which the loop ends (the runner counts the steps it has made, resumed ones included). */
  until: number;
  signal?: AbortSignal;
  /** Makes one optimizer step (its batches, its metrics line) and returns what the runner gave. */
  step(): Promise<StepResult>;
  /** The error a run ends with when the loss of step `done` (1-based) is `loss`, not finite. */
  diverged(loss: number, done: number): Error;
  /** After each good step: evaluations, checkpoints, progress. 'stop' ends the loop there (early stopping). */
  after?(done: number, result: StepResult): Promise<'stop' | void>;
}

/** How the loop ended: at its last step, cancelled (the signal, seen between two steps), or stopped by `after`. */
export type LoopEnd = 'done' | 'cancelled' | 'stopped';

export async function runStepLoop(loop: StepLoop): Promise<LoopEnd> {
  const { runner } = loop;
  while (runner.stepCount < loop.until) {
    if (loop.signal?.aborted) return 'cancelled';
    const result = await loop.step();
    const done = runner.stepCount;
    if (!Number.isFinite(result.loss)) throw loop.diverged(result.loss, done);
    if ((await loop.after?.(done, result)) === 'stop') return 'stopped';
  }
  return 'done';
}
