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
 * The grace a request waits before its first batch: a cancel sent right behind its request (the editor's requests
 * while the user types) reaches the engine up to about a millisecond after it over the IPC pipe, and a run, once
 * started, cannot be stopped (onnxruntime-node's session.run holds the thread). Waiting 8% of a recent batch's
 * time, at most 3 ms, lets such a cancel land first: with an XLM-R base-sized model (20-80 ms a batch) a cancelled
 * burst then costs 2-3 ms instead of a whole run (bench/editor.ts; at 5%, 1.2 ms before a 23 ms batch, a few bursts
 * in 40 still ran theirs); with the small default model (1-3 ms a batch) the grace is nothing and the request waits
 * only for the event loop's turn.
 */
export const GRACE_SHARE = 0.08;
export const MAX_GRACE_MS = 3;
/** Below this a grace is not worth a timer (whose resolution is a millisecond): the request only yields a turn. */
const MIN_GRACE_MS = 1;

/**
 * A recent batch's time per kind of request (its `pace` key: the editor's requests, one per model and task): an
 * exponential average, in milliseconds. Requests without a key (embeddings, zero-shot, translation, the audit's
 * reading) neither wait a grace nor count here, so a long batch of theirs does not make a hover wait.
 */
const recentBatchMs = new Map<string, number>();

/** Records how long a batch of requests of kind `pace` took (between its chunk being handed out and the next being asked for). */
export function noteBatchTime(pace: string, ms: number): void {
  const before = recentBatchMs.get(pace);
  recentBatchMs.set(pace, before === undefined ? ms : 0.7 * before + 0.3 * ms);
}

/** The grace before the first batch of a request of kind `pace`, in milliseconds, from its kind's recent batch time. */
export function firstBatchGrace(pace: string): number {
  const grace = Math.min(MAX_GRACE_MS, GRACE_SHARE * (recentBatchMs.get(pace) ?? 0));
  return grace < MIN_GRACE_MS ? 0 : grace;
}

const graceListeners = new Set<(pace: string) => void>();

/** Calls `listener` as a request of a paced kind starts waiting for its first batch (tests cancel it then). */
export function onFirstBatchWait(listener: (pace: string) => void): () => void {
  graceListeners.add(listener);
  return () => graceListeners.delete(listener);
}

/** Waits `ms` of real time: a timer counts from the event loop's cached clock, so it can fire early by the turn's length. */
async function graceTime(ms: number): Promise<void> {
  if (ms <= 0) return;
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) await new Promise((resolve) => setTimeout(resolve, left));
}

/**
 * The chunks of an inference request, cancellable between them: onnxruntime-node cannot stop a running
 * session.run, so a request is cut into small batches and a cancelled one stops before its next batch. Each
 * batch first yields to the event loop, so a cancel notification that arrived meanwhile is seen, and a request
 * cancelled while it waited behind others runs no batch at all; with a `pace` key (the editor's requests), the first
 * batch waits its grace (above) too.
 */
export async function* cancellableChunks<T>(items: readonly T[], size: number, cancel?: Cancellation, pace?: string): AsyncGenerator<T[]> {
  for (let first = 0; first < items.length; first += size) {
    if (cancel) {
      if (first === 0 && pace !== undefined) {
        for (const listener of graceListeners) listener(pace);
        await graceTime(firstBatchGrace(pace));
      }
      // One more turn after the grace: a cancel read in the same turn as its timer fired is processed then.
      await new Promise((resolve) => setImmediate(resolve));
      if (cancel.isCancellationRequested) throw new CancelledError();
    }
    const chunk = items.slice(first, first + size);
    for (const listener of batchListeners) listener({ first, size: chunk.length, total: items.length });
    const started = performance.now();
    yield chunk;
    if (pace !== undefined) noteBatchTime(pace, performance.now() - started);
  }
}

/** Splits `items` into chunks of at most `size`, keeping order. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
