/**
 * Answers for a set of questions: their windows run through a model in batches, each window's start and end
 * logits kept, then every question's windows decoded together (decode.ts). The model is anything that turns a
 * batch of windows into start and end logits: an inference session (`xlm eval`, `xlm qa`) or the training
 * run's forward graph fed the current weights.
 */
import { decodeAnswer, type QaDecodeOptions, type QaDecoded } from './decode.js';
import type { QaFeature } from './features.js';

/** Start and end logits of a batch of windows, row-major [rows, seq] each, seq the batch's padded length. */
export interface QaBatchLogits {
  start: Float32Array;
  end: Float32Array;
  seq: number;
}

export type QaLogitsOf = (batch: readonly QaFeature[]) => Promise<QaBatchLogits>;

/** One decoded answer per context (features name their context by index), in order. */
export async function predictAnswers(contexts: readonly string[], features: readonly QaFeature[], logitsOf: QaLogitsOf, batchSize: number, decode: QaDecodeOptions): Promise<QaDecoded[]> {
  const windows = contexts.map(() => [] as { spans: QaFeature['spans']; startLogits: Float32Array; endLogits: Float32Array }[]);
  for (let from = 0; from < features.length; from += batchSize) {
    const batch = features.slice(from, from + batchSize);
    const out = await logitsOf(batch);
    batch.forEach((f, r) => {
      const row = (data: Float32Array) => data.slice(r * out.seq, r * out.seq + f.ids.length);
      windows[f.example].push({ spans: f.spans, startLogits: row(out.start), endLogits: row(out.end) });
    });
  }
  return contexts.map((context, i) => decodeAnswer(context, windows[i], decode));
}

/** Splits [rows, seq, 2] logits (the training graph's QA output) into start and end. */
export function splitQaLogits(logits: Float32Array, rows: number, seq: number): QaBatchLogits {
  const start = new Float32Array(rows * seq);
  const end = new Float32Array(rows * seq);
  for (let i = 0; i < rows * seq; i++) {
    start[i] = logits[2 * i];
    end[i] = logits[2 * i + 1];
  }
  return { start, end, seq };
}
