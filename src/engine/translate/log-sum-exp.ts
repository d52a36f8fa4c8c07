/**
 * The log-softmax normalizer of every logits row, max + log(sum(exp(x - max))), computed by onnxruntime in a
 * tiny graph of our own: its vectorized exp over a 58k-256k vocabulary per row is several times faster than
 * Math.exp in a JS loop, and search needs it for every row at every step (scores are log-probabilities).
 */
import { Graph } from '../graph/graph.js';
import { add, exp, log, sub } from '../graph/ops/elementwise.js';
import { reduceSum } from '../graph/ops/broadcast.js';
import { reduceMax } from '../graph/ops/reduce.js';
import { createSession, ort, type GraphSession } from '../runtime/session.js';

export class LogSumExp {
  private constructor(private readonly graph: GraphSession) {}

  static async create(threads = 0): Promise<LogSumExp> {
    const g = new Graph('log_sum_exp');
    const logits = g.input('logits', 'float32', ['rows', 'vocab']);
    const max = reduceMax(logits, [1], true);
    const shift = add(log(reduceSum(exp(sub(logits, max)), [1], true)), max);
    g.output(shift, 'shift');
    return new LogSumExp(await createSession(g, { threads }));
  }

  /** One value per row of a row-major [rows, vocab] array. */
  async rows(logits: Float32Array, rows: number, vocab: number): Promise<Float32Array> {
    const out = await this.graph.session.run({ logits: new ort.Tensor('float32', logits, [rows, vocab]) });
    return out.shift.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.graph.session.release();
  }
}
