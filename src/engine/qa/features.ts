/**
 * From QA examples to model inputs, as Hugging Face's run_qa.py prepares them: the question (its leading
 * whitespace stripped) first, the context in overlapping windows (max length 384, stride 128 by default), and
 * - for training, the answer's first and last token in each window, or 0 (the `<s>` token) for both when the
 *   window does not hold the whole answer (or the question has none);
 * - for evaluation and inference, each window's context spans, so a predicted span maps back to characters.
 */
import type { QaExample } from '../data/index.js';
import { ort } from '../runtime/session.js';
import type { XlmTokenizer } from '../tokenize/tokenizer.js';

export const QA_MAX_LENGTH = 384;
export const QA_STRIDE = 128;

export interface QaWindowOptions {
  maxLength: number;
  stride: number;
}

export interface QaFeature {
  ids: number[];
  /** Which example (index into the examples encoded) the window comes from. */
  example: number;
  /** Gold start and end tokens (training); 0 and 0 when the window lacks the answer. */
  start: number;
  end: number;
  /** [start, end) in UTF-16 units of the context for context tokens; null for the question, specials and padding. */
  spans: Array<readonly [number, number] | null>;
}

/** The windows of one question and its context, each with its context spans and the gold positions of `answer`. */
export function encodeQuestion(tokenizer: XlmTokenizer, question: string, context: string, o: QaWindowOptions, example = 0, answer?: { start: number; text: string }): QaFeature[] {
  return tokenizer.encodeWindows(question.trimStart(), context, o).map((w) => {
    const spans = w.offsets.map((span, i) => (w.sequenceIds[i] === 1 ? span : null));
    const [start, end] = answer ? answerTokens(spans, answer.start, answer.start + answer.text.length) : [0, 0];
    return { ids: w.ids, example, start, end, spans };
  });
}

/**
 * The first and last token of [startChar, endChar) in a window, or [0, 0] when the window's context does not
 * cover it: the start is the last context token starting at or before the answer's start, the end the first
 * context token (from the right) ending at or after its end, as run_qa.py's two scans find them.
 */
function answerTokens(spans: ReadonlyArray<readonly [number, number] | null>, startChar: number, endChar: number): [number, number] {
  const context = spans.flatMap((s, i) => (s ? [i] : []));
  if (context.length === 0) return [0, 0];
  const first = context[0];
  const last = context[context.length - 1];
  if (spans[first]![0] > startChar || spans[last]![1] < endChar) return [0, 0];
  let start = first;
  while (start + 1 <= last && spans[start + 1]![0] <= startChar) start++;
  let end = last;
  while (end - 1 >= first && spans[end - 1]![1] >= endChar) end--;
  return [start, Math.max(start, end)];
}

/** Every window of every example; training windows carry the first gold answer's positions. */
export function encodeQaExamples(examples: readonly QaExample[], tokenizer: XlmTokenizer, o: QaWindowOptions): QaFeature[] {
  return examples.flatMap((e, i) => encodeQuestion(tokenizer, e.question, e.context, o, i, e.impossible ? undefined : e.answers[0]));
}

/** A batch padded on the right: input_ids, attention_mask, and start_positions / end_positions for training. */
export function collateQa(features: readonly QaFeature[], padId: number): { feeds: Record<string, ort.Tensor>; examples: number; tokens: number } {
  const seq = Math.max(...features.map((f) => f.ids.length));
  const rows = features.length;
  const ids = new BigInt64Array(rows * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(rows * seq);
  let tokens = 0;
  features.forEach((f, r) => {
    f.ids.forEach((id, s) => {
      ids[r * seq + s] = BigInt(id);
      mask[r * seq + s] = 1n;
    });
    tokens += f.ids.length;
  });
  return {
    feeds: {
      input_ids: new ort.Tensor('int64', ids, [rows, seq]),
      attention_mask: new ort.Tensor('int64', mask, [rows, seq]),
      start_positions: new ort.Tensor('int64', BigInt64Array.from(features.map((f) => BigInt(f.start))), [rows]),
      end_positions: new ort.Tensor('int64', BigInt64Array.from(features.map((f) => BigInt(f.end))), [rows]),
    },
    examples: rows,
    tokens,
  };
}
