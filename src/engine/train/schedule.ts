/**
 * Learning-rate schedules, computed inside the step graph from the step number so one session.run is a
 * whole optimizer step. They follow transformers' schedulers, which evaluate the factor at the count of
 * steps already taken: step t (1-based) uses factor(t - 1), so with warm-up the first step has lr 0.
 * - linear: warm-up from 0 to lr over `warmupSteps`, then linear decay to 0 at `totalSteps`;
 * - constant: lr throughout, after the same warm-up when one is asked for.
 */
import type { Value } from '../graph/graph.js';
import { div, less, max, mul, sub, where } from '../graph/ops/index.js';

export type ScheduleKind = 'linear' | 'constant';

export interface Schedule {
  kind: ScheduleKind;
  lr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** The learning rate of step `step` (float32 scalar input, 1-based) as a graph value. */
export function learningRate(s: Schedule, step: Value): Value {
  const done = sub(step, 1);
  const warm = div(done, Math.max(1, s.warmupSteps));
  const after = s.kind === 'constant' ? step.graph.constant(1, 'float32') : max(div(sub(s.totalSteps, done), Math.max(1, s.totalSteps - s.warmupSteps)), 0);
  const factor = s.warmupSteps > 0 ? where(less(done, s.warmupSteps), warm, after) : after;
  return mul(factor, s.lr);
}
