/** Matrix product with batch broadcasting (numpy matmul semantics for rank >= 2). */
import { defineOp, type Value } from '../graph.js';
import { broadcastShapes, unbroadcast } from './broadcast.js';
import { reshape, transposeLast } from './shape.js';

export const MatMul = defineOp({
  name: 'MatMul', onnx: 'MatMul',
  infer: ([a, b]) => {
    if (a.rank < 2 || b.rank < 2) throw new Error('operands must have rank >= 2');
    const k1 = a.shape[a.rank - 1];
    const k2 = b.shape[b.rank - 2];
    if (k1 !== k2) throw new Error(`inner dimensions differ: ${k1} vs ${k2}`);
    if (a.dtype !== b.dtype) throw new Error(`mixed dtypes ${a.dtype}, ${b.dtype}`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ dtype: a.dtype, shape: [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]] }];
  },
  grad: ({ inputs: [a, b] }, [d], needs) => {
    const da = needs[0] ? unbroadcast(matmul(d!, transposeLast(b)), a.shape) : undefined;
    let db: Value | undefined;
    if (needs[1]) {
      if (b.rank === 2 && a.rank > 2) {
        // A weight shared across the batch: fold batch and rows into one product, [k, rows] x [rows, n],
        // instead of a product per batch entry summed afterwards.
        const k = a.shape[a.rank - 1] as number;
        const n = d!.shape[d!.rank - 1] as number;
        db = matmul(transposeLast(reshape(a, [-1, k])), reshape(d!, [-1, n]));
      } else {
        db = unbroadcast(matmul(transposeLast(a), d!), b.shape);
      }
    }
    return [da, db];
  },
});

export const matmul = (a: Value, b: Value) => a.graph.apply1(MatMul, [a, b]);
