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

export function optimizerStep(params: OptimizedParam[], lr: Value, step: Value, o: OptimizerOptions): OptimizerOutputs {
  const gradNorm = globalNorm(params.map((p) => p.grad));
  const clip = o.maxGradNorm > 0 ? min(div(o.maxGradNorm, add(gradNorm, 1e-6)), 1) : undefined;
  const out: OptimizerOutputs = { params: new Map(), m: new Map(), v: new Map(), gradNorm };
  const bias1 = o.kind === 'adamw' ? sub(1, pow(o.beta1, step)) : undefined;
  const bias2Sqrt = o.kind === 'adamw' ? sqrt(sub(1, pow(o.beta2, step))) : undefined;
  const stepSize = bias1 ? div(lr, bias1) : undefined;
  for (const p of params) {
    const g = clip ? mul(p.grad, clip) : p.grad;
    if (o.kind === 'sgd') {
      const full = p.decay && o.weightDecay ? add(g, mul(p.value, o.weightDecay)) : g;
      out.params.set(p.name, sub(p.value, mul(full, lr)));
      continue;
    }
    if (!p.m || !p.v) throw new Error(`AdamW needs the moments of ${p.name}`);
    const decayed = p.decay && o.weightDecay ? mul(p.value, sub(1, mul(lr, o.weightDecay))) : p.value;
    const m = add(mul(p.m, o.beta1), mul(g, 1 - o.beta1));
    const v = add(mul(p.v, o.beta2), mul(mul(g, g), 1 - o.beta2));
    const denom = add(div(sqrt(v), bias2Sqrt!), o.eps);
    out.params.set(p.name, sub(decayed, mul(div(m, denom), stepSize!)));
    out.m.set(p.name, m);
    out.v.set(p.name, v);
  }
  return out;
}
