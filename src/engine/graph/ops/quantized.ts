/**
 * Int8 matrix products for inference (no gradient: quantized graphs are never trained).
 *
 * DynamicQuantizeMatMul is onnxruntime's contrib op (domain com.microsoft): it quantizes A to uint8 per tensor
 * at run time (asymmetric, from A's own min and max), multiplies with an int8 B in MLAS's integer GEMM, and
 * scales the int32 sums back to float per column of B, adding the bias in the same pass. onnxruntime-node's CPU
 * kernel takes a per-column `b_scale` [N] and pre-packs a constant B once at session load.
 */
import { defineOp, type Value } from '../graph.js';

export const DynamicQuantizeMatMul = defineOp({
  name: 'DynamicQuantizeMatMul', onnx: 'DynamicQuantizeMatMul', domain: 'com.microsoft',
  // Ours: [a, b, bScale, bias]; ONNX's: [A, B, b_scale, b_zero_point, bias]. B is symmetric, so no zero point.
  onnxInputNames: ([a, b, scale, bias]) => [a!, b!, scale!, '', bias!],
  infer: ([a, b, scale, bias]) => {
    if (a.dtype !== 'float32') throw new Error(`A must be float32, not ${a.dtype}`);
    if (b.dtype !== 'int8' || b.rank !== 2) throw new Error(`B must be an int8 matrix, not ${b.toString()}`);
    if (a.shape[a.rank - 1] !== b.shape[0]) throw new Error(`inner dimensions differ: ${a.shape[a.rank - 1]} vs ${b.shape[0]}`);
    for (const [what, v] of [['scale', scale], ['bias', bias]] as const) {
      if (v.dtype !== 'float32' || v.rank !== 1 || v.shape[0] !== b.shape[1]) throw new Error(`${what} must be float32 [${b.shape[1]}], not ${v.toString()}`);
    }
    return [{ dtype: 'float32', shape: [...a.shape.slice(0, -1), b.shape[1]] }];
  },
});

/** a [..., K] @ dequantize(b int8 [K, N], per-column scale [N]) + bias [N]. */
export function dynamicQuantizeMatMul(a: Value, b: Value, scale: Value, bias: Value): Value {
  return a.graph.apply1(DynamicQuantizeMatMul, [a, b, scale, bias]);
}
