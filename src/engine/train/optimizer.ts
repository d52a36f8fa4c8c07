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
 *
 * An embedding's gradient is zeros with the looked-up rows scattered in. AdamW then takes it as those rows,
 * summed per distinct id in a fixed order (`rowSparse`), and scatters their terms into the decayed moments:
 * the same numbers as the dense update, without the parameter-sized zero tensor, scatter and three passes.
 * The moments and the update m / (sqrt(v) + eps) are computed only on the active rows (looked up now, or with
 * non-zero moments: `rowsWithState`) and scattered back: every other row has m = v = 0 and update exactly 0, and
 * a fine-tuning run's batches touch a small share of a 250k-piece vocabulary. What stays table-sized: the decay,
 * two ReduceL1 passes that find the rows with state, and the scatter into the decayed table.
 */
import { makeTensor, type Value } from '../graph/graph.js';
import { add, concat, ConstantOfShape, div, elementPositions, equal, Expand, gather, gatherND, min, mul, nonZero, not, pow, reduceL1, reduceSum, reshape, ScatterElements, scatterAddRows, ScatterND, shapeOf, sqrt, sub, unique, unsqueeze } from '../graph/ops/index.js';

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

/** A gradient that is zeros except some rows of axis 0: the rows [n, ...rest] and their distinct indices `ids` [n]. */
interface RowSparse {
  rows: Value;
  ids: Value;
}

/**
 * The rows of a gradient built by scatterAddRows into zeros (an embedding lookup's), summed per distinct row
 * the same way (ScatterElements, in index order), so each row is bit-identical to the dense gradient's;
 * undefined for any other gradient (accumulated, or with a dense term such as a tied decoder's).
 */
function rowSparse(grad: Value): RowSparse | undefined {
  const node = grad.producer;
  if (!node || node.op !== ScatterElements || node.attrs.reduction !== 'add' || node.attrs.axis !== 0) return undefined;
  const [base, spread, updates] = node.inputs;
  const fill = base.producer?.op === ConstantOfShape ? (base.producer.attrs.value as { data: ArrayLike<number> }) : undefined;
  const column = spread.producer?.op === Expand ? spread.producer.inputs[0] : undefined;
  const rest = grad.shape.slice(1);
  if (!fill || fill.data[0] !== 0 || !column || !rest.every((d): d is number => typeof d === 'number')) return undefined;
  const g = grad.graph;
  const { distinct, inverse } = unique(reshape(column, [-1]));
  const zeros = g.apply1(ConstantOfShape, [concat([shapeOf(distinct), g.constant(rest, 'int64')], 0)], {
    value: makeTensor(grad.dtype, [1], [0]), likeShape: [distinct.shape[0], ...rest] as number[],
  });
  return { rows: scatterAddRows(zeros, inverse, updates), ids: distinct };
}

/** x[at] += updates (x dense, `at` distinct rows: ScatterND is deterministic without repeats). */
const scatterAdd = (x: Value, at: Value, updates: Value) => x.graph.apply1(ScatterND, [x, at, updates], { reduction: 'add' });
/** x[at] = updates (`at` distinct rows). */
const scatterRows = (x: Value, at: Value, updates: Value) => x.graph.apply1(ScatterND, [x, at, updates]);

/** The rows (1-D int64) where `m` or `v` has a non-zero element (NaN counts). */
function rowsWithState(m: Value, v: Value): Value {
  const axes = [...m.shape.keys()].slice(1);
  return reshape(nonZero(not(equal(add(reduceL1(m, axes), reduceL1(v, axes)), 0))), [-1]);
}

function sumOfSquares(squares: Value[]): Value {
  let total: Value | undefined;
  for (const sq of squares) {
    const sum = reduceSum(sq, [...sq.shape.keys()]);
    total = total ? add(total, sum) : sum;
  }
  if (!total) throw new Error('no gradients to take the norm of');
  return total;
}

/**
 * The update in as few parameter-sized passes as the algebra allows (each op is a full pass over memory):
 * the clip factor is folded into the moment updates' scalars, and m / (sqrt(v) / c2 + eps) * lr / c1 is
 * computed as m / (sqrt(v) + eps * c2) * (lr * c2 / c1), equal up to rounding.
 */
export function optimizerStep(params: OptimizedParam[], lr: Value, step: Value, o: OptimizerOptions): OptimizerOutputs {
  const adam = o.kind === 'adamw';
  const sparse = params.map((p) => (adam ? rowSparse(p.grad) : undefined));
  // g², once per parameter: the norm and AdamW's second moment share it.
  const squares = params.map((p, i) => { const g = sparse[i]?.rows ?? p.grad; return mul(g, g); });
  const gradNorm = sqrt(sumOfSquares(squares));
  const clip = o.maxGradNorm > 0 ? min(div(o.maxGradNorm, add(gradNorm, 1e-6)), 1) : undefined;
  const out: OptimizerOutputs = { params: new Map(), m: new Map(), v: new Map(), gradNorm };
  if (!adam) {
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
  params.forEach((p, i) => {
    if (!p.m || !p.v) throw new Error(`AdamW needs the moments of ${p.name}`);
    const decayed = p.decay && decayFactor ? mul(p.value, decayFactor) : p.value;
    const update = (m: Value, v: Value) => mul(div(m, add(sqrt(v), epsScaled)), stepSize);
    const rows = sparse[i];
    if (!rows) {
      const m = add(mul(p.m, o.beta1), mul(p.grad, gScale1));
      const v = add(mul(p.v, o.beta2), mul(squares[i], gScale2));
      out.params.set(p.name, sub(decayed, update(m, v)));
      out.m.set(p.name, m);
      out.v.set(p.name, v);
      return;
    }
    // Row-sparse: a row with both moments zero and no gradient this step keeps m = v = 0 and has update exactly
    // 0, so it moves by decay alone. The moments and the update are computed on the other rows only (the
    // looked-up ones and those with state), gathered, and scattered back: written over their inputs (the
    // runner's in-place buffers), the moments' scatters copy nothing.
    const { distinct, inverse } = unique(concat([rows.ids, rowsWithState(p.m, p.v)], 0));
    const active = unsqueeze(distinct, [-1]);
    // Where this step's rows sit among the active ones: the first len(ids) entries of the inverse.
    const looked = unsqueeze(gather(inverse, elementPositions(rows.ids)), [-1]);
    const m = scatterAdd(mul(gatherND(p.m, active), o.beta1), looked, mul(rows.rows, gScale1));
    const v = scatterAdd(mul(gatherND(p.v, active), o.beta2), looked, mul(squares[i], gScale2));
    out.params.set(p.name, scatterRows(decayed, active, sub(gatherND(decayed, active), update(m, v))));
    out.m.set(p.name, scatterRows(p.m, active, m));
    out.v.set(p.name, scatterRows(p.v, active, v));
  });
  return out;
}
