/**
 * Elementwise ops with numpy broadcasting. Each gradient is undone over broadcast axes by `unbroadcast`.
 */
import { defineOp, type DType, type Value } from '../graph.js';
import { broadcastShapes, unbroadcast } from './broadcast.js';

function sameDtype(inputs: Value[]): DType {
  const dtype = inputs[0].dtype;
  for (const v of inputs) if (v.dtype !== dtype) throw new Error(`mixed dtypes ${inputs.map((i) => i.dtype).join(', ')}`);
  return dtype;
}

const binary = (inputs: Value[]) => [{ dtype: sameDtype(inputs), shape: broadcastShapes(inputs[0].shape, inputs[1].shape) }];
const unary = ([x]: Value[]) => [{ dtype: x.dtype, shape: x.shape }];
const comparison = (inputs: Value[]) => [{ dtype: 'bool' as DType, shape: broadcastShapes(inputs[0].shape, inputs[1].shape) }];

export const Add = defineOp({
  name: 'Add', onnx: 'Add', infer: binary,
  grad: ({ inputs: [a, b] }, [d], needs) => [needs[0] ? unbroadcast(d!, a.shape) : undefined, needs[1] ? unbroadcast(d!, b.shape) : undefined],
});

export const Sub = defineOp({
  name: 'Sub', onnx: 'Sub', infer: binary,
  grad: ({ inputs: [a, b] }, [d], needs) => [needs[0] ? unbroadcast(d!, a.shape) : undefined, needs[1] ? unbroadcast(neg(d!), b.shape) : undefined],
});

export const Mul = defineOp({
  name: 'Mul', onnx: 'Mul', infer: binary,
  grad: ({ inputs: [a, b] }, [d], needs) => [needs[0] ? unbroadcast(mul(d!, b), a.shape) : undefined, needs[1] ? unbroadcast(mul(d!, a), b.shape) : undefined],
});

export const Div = defineOp({
  name: 'Div', onnx: 'Div', infer: binary,
  // d(a/b)/db = -a/b² = -out/b: reuse the output.
  grad: ({ inputs: [a, b], outputs: [out] }, [d], needs) => [
    needs[0] ? unbroadcast(div(d!, b), a.shape) : undefined,
    needs[1] ? unbroadcast(neg(div(mul(d!, out), b)), b.shape) : undefined,
  ],
});

export const Neg = defineOp({ name: 'Neg', onnx: 'Neg', infer: unary, grad: (_c, [d]) => [neg(d!)] });

export const Sqrt = defineOp({
  name: 'Sqrt', onnx: 'Sqrt', infer: unary,
  grad: ({ outputs: [out] }, [d]) => [div(mul(d!, scalarLike(out, 0.5)), out)],
});

export const Exp = defineOp({ name: 'Exp', onnx: 'Exp', infer: unary, grad: ({ outputs: [out] }, [d]) => [mul(d!, out)] });

export const Log = defineOp({ name: 'Log', onnx: 'Log', infer: unary, grad: ({ inputs: [x] }, [d]) => [div(d!, x)] });

export const Erf = defineOp({
  name: 'Erf', onnx: 'Erf', infer: unary,
  // erf'(x) = 2/sqrt(pi) * exp(-x²)
  grad: ({ inputs: [x] }, [d]) => [mul(d!, mul(scalarLike(x, 2 / Math.sqrt(Math.PI)), exp(neg(mul(x, x)))))],
});

export const Tanh = defineOp({
  name: 'Tanh', onnx: 'Tanh', infer: unary,
  grad: ({ outputs: [out] }, [d]) => [mul(d!, sub(scalarLike(out, 1), mul(out, out)))],
});

export const Pow = defineOp({
  name: 'Pow', onnx: 'Pow', infer: binary,
  // d(a^b)/da = b * a^(b-1); exponents here are constants (schedules, bias correction), so b gets no gradient.
  grad: ({ inputs: [a, b] }, [d]) => [unbroadcast(mul(d!, mul(b, pow(a, sub(b, scalarLike(b, 1))))), a.shape), undefined],
  nonDifferentiable: [1],
});

/** The logistic function 1 / (1 + e^-x) (SiLU / swish is x * sigmoid(x), Marian's activation); dx = d * y * (1 - y) reuses the output. */
export const Sigmoid = defineOp({
  name: 'Sigmoid', onnx: 'Sigmoid', infer: unary,
  grad: ({ outputs: [out] }, [d]) => [mul(d!, mul(out, sub(scalarLike(out, 1), out)))],
});

export const Relu = defineOp({
  name: 'Relu', onnx: 'Relu', infer: unary,
  grad: ({ outputs: [out] }, [d]) => [where(greater(out, scalarLike(out, 0)), d!, scalarLike(d!, 0))],
});

/**
 * max(0, min(1, alpha x + beta)): one pass for an affine map whose result is known to stay in [0, 1] (GELU's
 * backward turns erf into the normal CDF with it). No gradient rule: only backward passes use it.
 */
export const HardSigmoid = defineOp({ name: 'HardSigmoid', onnx: 'HardSigmoid', attrTypes: { alpha: 'float', beta: 'float' }, infer: unary });

export const Where = defineOp({
  name: 'Where', onnx: 'Where',
  infer: ([c, a, b]) => {
    if (c.dtype !== 'bool') throw new Error('condition must be bool');
    return [{ dtype: sameDtype([a, b]), shape: broadcastShapes(c.shape, a.shape, b.shape) }];
  },
  grad: ({ inputs: [c, a, b] }, [d], needs) => {
    const zero = scalarLike(d!, 0);
    return [undefined, needs[1] ? unbroadcast(where(c, d!, zero), a.shape) : undefined, needs[2] ? unbroadcast(where(c, zero, d!), b.shape) : undefined];
  },
  nonDifferentiable: [0],
});

export const Cast = defineOp({
  name: 'Cast', onnx: 'Cast', attrTypes: { to: 'int' },
  infer: ([x], attrs) => [{ dtype: attrs.dtype as DType, shape: x.shape }],
  grad: ({ inputs: [x] }, [d]) => [isFloat(x.dtype) ? cast(d!, x.dtype) : undefined],
});

export const Equal = defineOp({ name: 'Equal', onnx: 'Equal', infer: comparison, nonDifferentiable: [0, 1] });
export const Greater = defineOp({ name: 'Greater', onnx: 'Greater', infer: comparison, nonDifferentiable: [0, 1] });
export const GreaterOrEqual = defineOp({ name: 'GreaterOrEqual', onnx: 'GreaterOrEqual', infer: comparison, nonDifferentiable: [0, 1] });
export const Less = defineOp({ name: 'Less', onnx: 'Less', infer: comparison, nonDifferentiable: [0, 1] });
export const Not = defineOp({ name: 'Not', onnx: 'Not', infer: unary, nonDifferentiable: [0] });
export const Min = defineOp({ name: 'Min', onnx: 'Min', infer: binary, nonDifferentiable: [0, 1] });
export const Max = defineOp({ name: 'Max', onnx: 'Max', infer: binary, nonDifferentiable: [0, 1] });

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

/** A scalar constant of `like`'s dtype (broadcasts against anything). */
export function scalarLike(like: Value, v: number): Value {
  return like.graph.constant(v, like.dtype);
}

/** Lets builders take plain numbers where a scalar of the other operand's dtype is meant. */
function lift(a: Value | number, b: Value | number): [Value, Value] {
  if (typeof a === 'number' && typeof b === 'number') throw new Error('at least one operand must be a Value');
  const av = typeof a === 'number' ? scalarLike(b as Value, a) : a;
  const bv = typeof b === 'number' ? scalarLike(a as Value, b) : b;
  return [av, bv];
}

export const add = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Add, [x, y]); };
export const sub = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Sub, [x, y]); };
export const mul = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Mul, [x, y]); };
export const div = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Div, [x, y]); };
export const neg = (x: Value) => x.graph.apply1(Neg, [x]);
export const sqrt = (x: Value) => x.graph.apply1(Sqrt, [x]);
export const exp = (x: Value) => x.graph.apply1(Exp, [x]);
export const log = (x: Value) => x.graph.apply1(Log, [x]);
export const erf = (x: Value) => x.graph.apply1(Erf, [x]);
export const tanh = (x: Value) => x.graph.apply1(Tanh, [x]);
export const pow = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Pow, [x, y]); };
export const relu = (x: Value) => x.graph.apply1(Relu, [x]);
export const sigmoid = (x: Value) => x.graph.apply1(Sigmoid, [x]);
export const hardSigmoid = (x: Value, alpha: number, beta: number) => x.graph.apply1(HardSigmoid, [x], { alpha, beta });
export const where = (c: Value, a: Value, b: Value) => c.graph.apply1(Where, [c, a, b]);
export const equal = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Equal, [x, y]); };
export const greater = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Greater, [x, y]); };
export const greaterOrEqual = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(GreaterOrEqual, [x, y]); };
export const less = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Less, [x, y]); };
export const not = (x: Value) => x.graph.apply1(Not, [x]);
export const min = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Min, [x, y]); };
export const max = (a: Value | number, b: Value | number) => { const [x, y] = lift(a, b); return x.graph.apply1(Max, [x, y]); };

const ONNX_DTYPE: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, uint32: 12 };
export function onnxDataType(dtype: DType): number {
  return ONNX_DTYPE[dtype];
}

export const cast = (x: Value, dtype: DType) => (x.dtype === dtype ? x : x.graph.apply1(Cast, [x], { to: ONNX_DTYPE[dtype], dtype }));
