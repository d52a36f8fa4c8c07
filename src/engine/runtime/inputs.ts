/**
 * onnxruntime input tensors from tokenizer batches: optimum's names, int64, [batch, seq].
 */
import { batchInputs, type Batch } from '../tokenize/encoding.js';
import { ort } from './session.js';

export interface ModelInputs {
  input_ids: ort.Tensor;
  attention_mask: ort.Tensor;
}

export function modelInputs(batch: Batch): ModelInputs {
  const { inputIds, attentionMask, dims } = batchInputs(batch);
  return {
    input_ids: new ort.Tensor('int64', inputIds, dims),
    attention_mask: new ort.Tensor('int64', attentionMask, dims),
  };
}

export function int64Tensor(values: readonly number[], dims: readonly number[] = [values.length]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/** Whether the work was cancelled: an RPC request's token has this shape. */
export interface Cancellation {
  readonly isCancellationRequested: boolean;
}

/** Thrown between batches of a cancelled request; the RPC server answers it as RequestCancelled. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export interface InferenceBatchEvent {
  /** Index of the batch's first item in the request. */
  first: number;
  size: number;
  /** Items in the whole request. */
  total: number;
}
const batchListeners = new Set<(e: InferenceBatchEvent) => void>();

/** Calls `listener` as each inference batch starts (tests count the batches a cancelled request still runs). */
export function onInferenceBatch(listener: (e: InferenceBatchEvent) => void): () => void {
  batchListeners.add(listener);
  return () => batchListeners.delete(listener);
}

/**
 * The chunks of an inference request, cancellable between them: onnxruntime-node cannot stop a running
 * session.run, so a request is cut into small batches and a cancelled one stops before its next batch. Each
 * batch first yields to the event loop, so a cancel notification that arrived meanwhile is seen, and a request
 * cancelled while it waited behind others runs no batch at all.
 */
export async function* cancellableChunks<T>(items: readonly T[], size: number, cancel?: Cancellation): AsyncGenerator<T[]> {
  for (let first = 0; first < items.length; first += size) {
    if (cancel) {
      await new Promise((resolve) => setImmediate(resolve));
      if (cancel.isCancellationRequested) throw new CancelledError();
    }
    const chunk = items.slice(first, first + size);
    for (const listener of batchListeners) listener({ first, size: chunk.length, total: items.length });
    yield chunk;
  }
}

/** Splits `items` into chunks of at most `size`, keeping order. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
