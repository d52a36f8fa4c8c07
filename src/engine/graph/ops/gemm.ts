/**
 * Gemm with a transposed second operand: y = a @ b^T + c, a [N, K], b [M, K], c [M].
 *
 * It exists for weights stored [out, in] that must not be copied: XLM-R's MLM decoder is tied to the
 * word embeddings [vocab, hidden], whose transpose would be a second 768 MB tensor at base size.
 * onnxruntime reads b transposed in place.
 */
import { defineOp, type Value } from '../graph.js';
import { matmul } from './matmul.js';
import { reduceSum } from './broadcast.js';
import { transposeLast } from './shape.js';

export const GemmTransB = defineOp({
  name: 'GemmTransB', onnx: 'Gemm', attrTypes: { transB: 'int' },
  infer: ([a, b, c]) => {
    if (a.rank !== 2 || b.rank !== 2) throw new Error('a and b must be matrices');
    if (a.shape[1] !== b.shape[1]) throw new Error(`inner dimensions differ: ${a.shape[1]} vs ${b.shape[1]}`);
    if (c && (c.rank !== 1 || c.shape[0] !== b.shape[0])) throw new Error(`bias shape [${c.shape}] does not match ${b.shape[0]} outputs`);
    return [{ dtype: a.dtype, shape: [a.shape[0], b.shape[0]] }];
  },
  // dy = d: da = d @ b, db = d^T @ a, dc = sum over rows of d.
  grad: ({ inputs: [a, b] }, [d], needs) => [
    needs[0] ? matmul(d!, b) : undefined,
    needs[1] ? matmul(transposeLast(d!), a) : undefined,
    needs[2] ? reduceSum(d!, [0]) : undefined,
  ],
});

/** a @ b^T (+ c), without materialising b^T. */
export function gemmTransB(a: Value, b: Value, c?: Value): Value {
  return a.graph.apply1(GemmTransB, c ? [a, b, c] : [a, b], { transB: 1 });
}
