/**
 * Numpy-style broadcasting for shape rules, and the one helper that undoes it for gradients:
 * a gradient shaped like an op's output is summed over the axes an input was broadcast along,
 * then reshaped to the input's shape.
 */
import type { Dim, Shape, Value } from './graph.js';
import { shapeToString } from './graph.js';
import { reduceSum } from './ops/reduce.js';

export function broadcastShapes(...shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) throw new Error(`shapes ${shapes.map(shapeToString).join(' and ')} do not broadcast (axis ${i}: ${dim} vs ${d})`);
    }
    out.push(dim);
  }
  return out;
}

/**
 * Sums `grad` (shaped like the broadcast output) down to `target`, the shape of the input it flows to.
 * Leading axes the input lacked are summed away; axes where the input had 1 are summed with keepdims.
 */
export function unbroadcast(grad: Value, target: Shape): Value {
  const extra = grad.rank - target.length;
  if (extra < 0) throw new Error(`unbroadcast: gradient ${grad} has lower rank than target ${shapeToString(target)}`);
  let g = grad;
  if (extra > 0) g = reduceSum(g, [...Array(extra).keys()], false);
  const keepAxes: number[] = [];
  for (let i = 0; i < target.length; i++) {
    if (target[i] === 1 && g.shape[i] !== 1) keepAxes.push(i);
  }
  if (keepAxes.length) g = reduceSum(g, keepAxes, true);
  return g;
}
