/** Neural-network ops: softmax, log-softmax, layer normalization. */
import { defineOp, type Value } from '../graph.js';
import { add, cast, div, erf, mul, sub, exp, hardSigmoid } from './elementwise.js';
import { reduceSum } from './broadcast.js';
import { reduceMean } from './reduce.js';

function lastAxisOnly(x: Value, axis: number): void {
  if (axis !== -1 && axis !== x.rank - 1) throw new Error(`only the last axis is supported, got ${axis}`);
}

export const Softmax = defineOp({
  name: 'Softmax', onnx: 'Softmax', attrTypes: { axis: 'int' },
  infer: ([x], attrs) => { lastAxisOnly(x, attrs.axis as number); return [{ dtype: x.dtype, shape: x.shape }]; },
  // dx = y * (d - sum(d * y)): reuses the output y.
  grad: ({ outputs: [y] }, [d]) => [mul(y, sub(d!, reduceSum(mul(d!, y), [-1], true)))],
});

export const LogSoftmax = defineOp({
  name: 'LogSoftmax', onnx: 'LogSoftmax', attrTypes: { axis: 'int' },
  infer: ([x], attrs) => { lastAxisOnly(x, attrs.axis as number); return [{ dtype: x.dtype, shape: x.shape }]; },
  // dx = d - softmax * sum(d), softmax = exp(output).
  grad: ({ outputs: [y] }, [d]) => [sub(d!, mul(exp(y), reduceSum(d!, [-1], true)))],
});

export const softmax = (x: Value) => x.graph.apply1(Softmax, [x], { axis: -1 });
export const logSoftmax = (x: Value) => x.graph.apply1(LogSoftmax, [x], { axis: -1 });

/**
 * LayerNormalization over the last axis (opset 17). Outputs Y, Mean, InvStdDev; the gradient reuses the
 * saved mean and 1/std: with xhat = (x - mean) * rstd and g = d * scale,
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), dscale = sum(d * xhat), dbias = sum(d).
 */
export const LayerNormalization = defineOp({
  name: 'LayerNormalization', onnx: 'LayerNormalization', attrTypes: { axis: 'int', epsilon: 'float' },
  outputs: 3,
  infer: ([x, scale], attrs) => {
    lastAxisOnly(x, attrs.axis as number);
    if (scale.rank !== 1 || scale.shape[0] !== x.shape[x.rank - 1]) throw new Error(`scale shape [${scale.shape}] does not match the last axis`);
    const stats = [...x.shape.slice(0, -1), 1];
    // onnxruntime keeps the statistics in float32 (stash_type 1) whatever x's type.
    return [{ dtype: x.dtype, shape: x.shape }, { dtype: 'float32', shape: stats }, { dtype: 'float32', shape: stats }];
  },
  grad: ({ inputs: [x, scale], outputs: [, savedMean, savedRstd] }, [d], needs) => {
    const mean = cast(savedMean, x.dtype);
    const rstd = cast(savedRstd, x.dtype);
    const xhat = mul(sub(x, mean), rstd);
    const leading = [...Array(x.rank - 1).keys()];
    let dx: Value | undefined;
    if (needs[0]) {
      const gxhat = mul(d!, scale);
      const meanG = reduceMean(gxhat, [-1], true);
      const meanGX = reduceMean(mul(gxhat, xhat), [-1], true);
      dx = mul(rstd, sub(sub(gxhat, meanG), mul(xhat, meanGX)));
    }
    const dscale = needs[1] ? reduceSum(mul(d!, xhat), leading) : undefined;
    const dbias = needs[2] ? reduceSum(d!, leading) : undefined;
    return [dx, dscale, dbias];
  },
});

export function layerNorm(x: Value, scale: Value, bias: Value, epsilon: number): Value {
  return x.graph.apply(LayerNormalization, [x, scale, bias], { axis: -1, epsilon })[0];
}

/** ln(1/sqrt(pi)): folds GELU's density constant into the exponent of its backward. */
const LOG_INV_SQRT_PI = -0.5 * Math.log(Math.PI);

/**
 * Exact GELU, as Hugging Face's "gelu": x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2))). A composite: the forward
 * is that expression in plain ONNX ops, in the form onnxruntime's GeluFusion matches (Div by sqrt(2)), so it
 * runs as one Gelu kernel when nothing else reads its intermediates; hence a rule of its own, from x alone:
 *   dx = dy * (Phi(x) + x * phi(x)),  with q = x / sqrt(2) (a Mul here, so it is not merged with the forward's Div):
 *   Phi(x) = 0.5 * erf(q) + 0.5 (one HardSigmoid: erf lies in [-1, 1], so its clip never bites),
 *   x * phi(x) = q * exp(ln(1/sqrt(pi)) - q^2).
 * One fused forward kernel and nine backward passes, where differentiating the pieces took fifteen.
 */
export const Gelu = defineOp({
  name: 'Gelu', onnx: 'Gelu',
  infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
  expand: ([x]) => mul(mul(x, 0.5), add(erf(div(x, Math.SQRT2)), 1)),
  grad: ({ inputs: [x] }, [dy]) => {
    const q = mul(x, Math.SQRT1_2);
    const cdf = hardSigmoid(erf(q), 0.5, 0.5);
    const xPdf = mul(q, exp(sub(LOG_INV_SQRT_PI, mul(q, q))));
    return [mul(dy!, add(cdf, xPdf))];
  },
});

export const gelu = (x: Value) => x.graph.apply1(Gelu, [x]);
