/**
 * The optimizer step as graph ops, after the gradients: global-norm clipping, then AdamW or SGD. Each
 * parameter and its state come in as graph inputs and leave as outputs (the runner writes them into
 * its second buffer set).
 *
 * AdamW follows torch.optim.AdamW (what transformers' Trainer uses), in its order:
 *   p *= 1 - lr * wd                      (decoupled decay; skipped where `decay` is false)
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Clipping follows torch.nn.utils.clip_grad_norm_: g *= min(1, max_norm / (||g|| + 1e-6)).
 * SGD is plain: p -= lr * (g + wd p) (weight decay as torch.optim.SGD's L2 term).
 */
import type { Value } from '../graph/graph.js';
import { add, div, min, mul, pow, reduceSum, sqrt, sub } from '../graph/ops/index.js';

export type OptimizerKind = 'adamw' | 'sgd';

export interface OptimizerOptions {
  kind: OptimizerKind;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip the global gradient norm to this; 0 or less turns clipping off. */
  maxGradNorm: number;
}

export interface OptimizedParam {
  name: string;
  value: Value;
  grad: Value;
  decay: boolean;
  /** AdamW's moments (graph inputs); absent for SGD. */
  m?: Value;
  v?: Value;
}

export interface OptimizerOutputs {
  params: Map<string, Value>;
  m: Map<string, Value>;
  v: Map<string, Value>;
  /** The global gradient norm before clipping. */
  gradNorm: Value;
}

/** Names of the optimizer state a parameter needs, as graph inputs. */
export function stateNames(kind: OptimizerKind): ('m' | 'v')[] {
  return kind === 'adamw' ? ['m', 'v'] : [];
}

export function globalNorm(grads: Value[]): Value {
  let total: Value | undefined;
  for (const g of grads) {
    const sq = reduceSum(mul(g, g), [...g.shape.keys()]);
    total = total ? add(total, sq) : sq;
  }
  if (!total) throw new Error('no gradients to take the norm of');
  return sqrt(total);
}

/**
 * The update in as few parameter-sized passes as the algebra allows (each op is a full pass over memory):
 * the clip factor is folded into the moment updates' scalars, and m / (sqrt(v) / c2 + eps) * lr / c1 is
 * computed as m / (sqrt(v) + eps * c2) * (lr * c2 / c1), equal up to rounding.
 */
export function optimizerStep(params: OptimizedParam[], lr: Value, step: Value, o: OptimizerOptions): OptimizerOutputs {
  const gradNorm = globalNorm(params.map((p) => p.grad));
  const clip = o.maxGradNorm > 0 ? min(div(o.maxGradNorm, add(gradNorm, 1e-6)), 1) : undefined;
  const out: OptimizerOutputs = { params: new Map(), m: new Map(), v: new Map(), gradNorm };
  if (o.kind === 'sgd') {
    for (const p of params) {
      const g = clip ? mul(p.grad, clip) : p.grad;
      const full = p.decay && o.weightDecay ? add(g, mul(p.value, o.weightDecay)) : g;
      out.params.set(p.name, sub(p.value, mul(full, lr)));
    }
    return out;
  }
  const bias1 = sub(1, pow(o.beta1, step));
  const bias2Sqrt = sqrt(sub(1, pow(o.beta2, step)));
  const stepSize = div(mul(lr, bias2Sqrt), bias1);
  const epsScaled = mul(bias2Sqrt, o.eps);
  // Scalars: (1 - b1) * clip and (1 - b2) * clip², so the clipped gradient is never materialised.
  const gScale1 = clip ? mul(clip, 1 - o.beta1) : step.graph.constant(1 - o.beta1, 'float32');
  const gScale2 = clip ? mul(mul(clip, clip), 1 - o.beta2) : step.graph.constant(1 - o.beta2, 'float32');
  const decayFactor = o.weightDecay ? sub(1, mul(lr, o.weightDecay)) : undefined;
  for (const p of params) {
    if (!p.m || !p.v) throw new Error(`AdamW needs the moments of ${p.name}`);
    const g = p.grad;
    const decayed = p.decay && decayFactor ? mul(p.value, decayFactor) : p.value;
    const m = add(mul(p.m, o.beta1), mul(g, gScale1));
    const v = add(mul(p.v, o.beta2), mul(mul(g, g), gScale2));
    const update = mul(div(m, add(sqrt(v), epsScaled)), stepSize);
    out.params.set(p.name, sub(decayed, update));
    out.m.set(p.name, m);
    out.v.set(p.name, v);
  }
  return out;
}
