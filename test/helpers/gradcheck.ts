/**
 * Finite-difference checks of gradient rules: builds a scalar loss from the given inputs, asks autodiff
 * for d loss / d input, runs both the gradient graph and the loss at perturbed points in onnxruntime
 * (float64, so central differences are accurate), and compares.
 */
import { Graph, type Value } from '../../src/engine/graph/graph.js';
import { gradients } from '../../src/engine/graph/autodiff.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import '../../src/engine/graph/ops/index.js';

export interface GradInput {
  name: string;
  shape: number[];
  data: number[];
  /** Integer inputs (indices, labels) are fed but not differentiated. */
  dtype?: 'float64' | 'float32' | 'int64' | 'bool' | 'uint32';
}

export interface GradCheckResult {
  analytic: Map<string, Float64Array>;
  numeric: Map<string, Float64Array>;
  maxAbsError: number;
  maxRelError: number;
}

function feeds(inputs: GradInput[], override?: { name: string; data: Float64Array }) {
  const out: Record<string, ort.Tensor> = {};
  for (const i of inputs) {
    const dtype = i.dtype ?? 'float64';
    if (dtype === 'int64') out[i.name] = new ort.Tensor('int64', BigInt64Array.from(i.data.map(BigInt)), i.shape);
    else if (dtype === 'bool') out[i.name] = new ort.Tensor('bool', Uint8Array.from(i.data), i.shape);
    else if (dtype === 'uint32') out[i.name] = new ort.Tensor('uint32', Uint32Array.from(i.data), i.shape);
    else {
      const data = override?.name === i.name ? override.data : Float64Array.from(i.data);
      out[i.name] = dtype === 'float32' ? new ort.Tensor('float32', Float32Array.from(data), i.shape) : new ort.Tensor('float64', data, i.shape);
    }
  }
  return out;
}

/**
 * float64 inputs give accurate differences (eps 1e-6); ops onnxruntime has no float64 kernel for (Erf)
 * are checked with float32 inputs, a larger eps (1e-2 suits) and a looser tolerance.
 */
export async function gradCheck(inputs: GradInput[], build: (values: Record<string, Value>) => Value, eps = 1e-6): Promise<GradCheckResult> {
  const { session, diffable, analytic } = await gradientSession(inputs, build);
  const numeric = new Map<string, Float64Array>();
  let maxAbsError = 0;
  let maxRelError = 0;
  for (const i of diffable) {
    const a = analytic.get(i.name)!;
    const n = new Float64Array(i.data.length);
    for (let k = 0; k < i.data.length; k++) {
      const plus = Float64Array.from(i.data);
      const minus = Float64Array.from(i.data);
      plus[k] += eps;
      minus[k] -= eps;
      const lp = (await session.run(feeds(inputs, { name: i.name, data: plus }))).loss.data[0] as number;
      const lm = (await session.run(feeds(inputs, { name: i.name, data: minus }))).loss.data[0] as number;
      n[k] = (lp - lm) / (2 * eps);
      const abs = Math.abs(n[k] - a[k]);
      maxAbsError = Math.max(maxAbsError, abs);
      maxRelError = Math.max(maxRelError, abs / Math.max(1e-3, Math.abs(n[k])));
    }
    numeric.set(i.name, n);
  }
  await session.release();
  return { analytic, numeric, maxAbsError, maxRelError };
}

/** The loss and autodiff's gradient of every float input, from one onnxruntime run. */
export async function analyticGradients(inputs: GradInput[], build: (values: Record<string, Value>) => Value): Promise<{ loss: number; grads: Map<string, Float64Array> }> {
  const { session, analytic, loss } = await gradientSession(inputs, build);
  await session.release();
  return { loss, grads: analytic };
}

async function gradientSession(inputs: GradInput[], build: (values: Record<string, Value>) => Value) {
  const graph = new Graph('gradcheck');
  const values: Record<string, Value> = {};
  for (const i of inputs) values[i.name] = graph.input(i.name, i.dtype ?? 'float64', i.shape);
  const loss = build(values);
  const diffable = inputs.filter((i) => (i.dtype ?? 'float64').startsWith('float'));
  const grads = gradients(graph, loss, diffable.map((i) => values[i.name]));
  graph.output(loss, 'loss');
  for (const i of diffable) {
    const g = grads.get(values[i.name]);
    if (!g) throw new Error(`no gradient reached ${i.name}`);
    graph.output(g, `grad_${i.name}`);
  }
  const { session } = await createSession(graph);
  const base = await session.run(feeds(inputs));
  const analytic = new Map<string, Float64Array>();
  for (const i of diffable) analytic.set(i.name, Float64Array.from(base[`grad_${i.name}`].data as Float64Array));
  return { session, diffable, analytic, loss: Number(base.loss.data[0]) };
}
