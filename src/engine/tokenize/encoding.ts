/**
 * Encodings and what happens to them after tokenization: truncation to a maximum length, assembly with
 * the special-token template, padding of batches, and the int64 tensors onnxruntime wants.
 */
import { XlmError } from '../errors.js';
import { specialTokenCount, type TemplatePart } from './template.js';

/** One tokenized text or text pair, every array one entry per token. */
export interface Encoding {
  ids: number[];
  /** The vocabulary string of each id (`<unk>` for unknown characters; their text is at `offsets`). */
  tokens: string[];
  /** [start, end) in UTF-16 code units of the original text of the token's sequence; [0, 0] for added specials and padding. */
  offsets: Array<[number, number]>;
  /** Index of the whitespace-separated word of the token's own text; null for template specials and padding. */
  wordIds: Array<number | null>;
  /** 0 for the first text, 1 for the pair; null for template specials and padding. */
  sequenceIds: Array<0 | 1 | null>;
  /** Token type ids from the template (all 0 for XLM-R). */
  typeIds: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
  /** 1 where the template or padding added the token. */
  specialTokensMask: number[];
  /** How many content tokens truncation removed (0 when nothing was cut; a text over 2,000 characters is tokenized
   * only as far as truncation keeps, so for one the count is at least 1 but not the whole rest). */
  truncatedTokens: number;
}

/** The tokens of one text, before the template: what truncation works on. */
export interface TextTokens {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  wordIds: number[];
}

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface EncodeOptions {
  /** Maximum length counting special tokens; longer inputs are cut at the end. Default: no limit. */
  maxLength?: number;
  /** How pairs are cut (see {@link truncatedLengths}). Default 'longest_first', as Hugging Face does. */
  truncation?: TruncationStrategy;
  /** Add the template's special tokens (`<s>`, `</s>`). Default true. */
  addSpecialTokens?: boolean;
}

export type PaddingSide = 'right' | 'left';

export interface BatchOptions extends EncodeOptions {
  /** Which side padding goes on. Default 'right'. */
  padding?: PaddingSide;
  /** Round the padded length up to a multiple of this (8 helps some kernels). */
  padToMultipleOf?: number;
}

/** A batch: every encoding padded to the same length. */
export interface Batch {
  encodings: Encoding[];
  /** The common length of every encoding. */
  length: number;
  padding: PaddingSide;
}

export function sliceTokens(t: TextTokens, keep: number, from = 0): TextTokens {
  return { ids: t.ids.slice(from, keep), tokens: t.tokens.slice(from, keep), offsets: t.offsets.slice(from, keep), wordIds: t.wordIds.slice(from, keep) };
}

/**
 * The [start, end) token ranges of overflowing windows over `length` tokens, `budget` tokens each, the next window
 * starting `budget - stride` tokens after the previous one (so consecutive windows share `stride` tokens), the last
 * ending at the last token: Hugging Face tokenizers' `Encoding::truncate` with a stride, whose first range is
 * the encoding and the rest its `overflowing`.
 */
export function windowRanges(length: number, budget: number, stride: number): Array<[number, number]> {
  if (length <= budget) return [[0, length]];
  if (!Number.isInteger(stride) || stride < 0 || stride >= budget) {
    throw new XlmError('bad-stride', `stride is ${stride}; it must be at least 0 and less than the ${budget} tokens a window leaves for the context (max length minus the question and the special tokens)`, { what: 'stride' });
  }
  const ranges: Array<[number, number]> = [];
  for (let start = 0; ; start += budget - stride) {
    const end = Math.min(start + budget, length);
    ranges.push([start, end]);
    if (end === length) return ranges;
  }
}

/**
 * How many tokens of each text to keep so that both fit in `budget` content tokens, by the rules of
 * Hugging Face tokenizers' `truncate_encodings` (tokenizers 0.23):
 * - a budget of 0 empties both texts, whatever the strategy (`<s></s></s></s>` for XLM-R);
 * - longest_first keeps the shorter text whole when it fits in half the budget, else gives each text half,
 *   the odd token going to the longer text (to the second when they are equally long);
 * - only_first / only_second cut only that text, and refuse when it would have to lose every token (its
 *   length not above the tokens to remove), or when only_second is asked of a single text that is too long.
 */
export function truncatedLengths(first: number, second: number | null, budget: number, strategy: TruncationStrategy): [number, number] {
  const b = second ?? 0;
  if (budget === 0) return [0, 0];
  if (first + b <= budget) return [first, b];
  const remove = first + b - budget;
  if (strategy === 'only_first' || strategy === 'only_second') {
    const cutFirst = strategy === 'only_first';
    if (!cutFirst && second === null) {
      throw new XlmError('truncation', `only_second truncation needs a text pair, but this single text has ${first} tokens and the limit leaves ${budget}; use longest_first or only_first`);
    }
    const target = cutFirst ? first : b;
    const other = cutFirst ? 'second' : 'first';
    if (target <= remove) {
      throw new XlmError('truncation', `${strategy} truncation cannot fit: the ${other} text has ${cutFirst ? b : first} tokens and the limit leaves ${budget} for both, so the ${cutFirst ? 'first' : 'second'} text (${target} tokens) would lose every token; use longest_first or a larger max length`);
    }
    return cutFirst ? [first - remove, b] : [first, b - remove];
  }
  if (second === null) return [budget, 0];
  const swap = first > b;
  let short = swap ? b : first;
  let long = short > budget ? short : Math.max(short, budget - short);
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  return swap ? [long, short] : [short, long];
}

/** Truncates and puts the texts into the template. */
export function assemble(
  first: TextTokens,
  second: TextTokens | null,
  template: readonly TemplatePart[] | null,
  opts: EncodeOptions,
): Encoding {
  const specials = template ? specialTokenCount(template) : 0;
  let a = first;
  let b = second;
  let cut = 0;
  if (opts.maxLength !== undefined) {
    if (!Number.isInteger(opts.maxLength) || opts.maxLength < specials) {
      throw new XlmError('bad-max-length', `max length is ${opts.maxLength}; it must be an integer of at least ${specials}, the special tokens the template adds`, { what: 'maxLength' });
    }
    const [ka, kb] = truncatedLengths(a.ids.length, b ? b.ids.length : null, opts.maxLength - specials, opts.truncation ?? 'longest_first');
    cut = a.ids.length - ka + (b ? b.ids.length - kb : 0);
    a = sliceTokens(a, ka);
    if (b) b = sliceTokens(b, kb);
  }
  const out: Encoding = { ids: [], tokens: [], offsets: [], wordIds: [], sequenceIds: [], typeIds: [], attentionMask: [], specialTokensMask: [], truncatedTokens: cut };
  const pushText = (t: TextTokens, sequence: 0 | 1, typeId: number) => {
    for (let i = 0; i < t.ids.length; i++) {
      out.ids.push(t.ids[i]);
      out.tokens.push(t.tokens[i]);
      out.offsets.push(t.offsets[i]);
      out.wordIds.push(t.wordIds[i]);
      out.sequenceIds.push(sequence);
      out.typeIds.push(typeId);
      out.attentionMask.push(1);
      out.specialTokensMask.push(0);
    }
  };
  const parts: readonly TemplatePart[] = template ?? (b
    ? [{ kind: 'sequence', sequence: 0, typeId: 0 }, { kind: 'sequence', sequence: 1, typeId: 0 }]
    : [{ kind: 'sequence', sequence: 0, typeId: 0 }]);
  for (const part of parts) {
    if (part.kind === 'sequence') {
      const t = part.sequence === 0 ? a : b;
      if (t) pushText(t, part.sequence, part.typeId);
      continue;
    }
    part.ids.forEach((id, k) => {
      out.ids.push(id);
      out.tokens.push(part.tokens[k] ?? '');
      out.offsets.push([0, 0]);
      out.wordIds.push(null);
      out.sequenceIds.push(null);
      out.typeIds.push(part.typeId);
      out.attentionMask.push(1);
      out.specialTokensMask.push(1);
    });
  }
  return out;
}

/** Pads every encoding to the longest one (rounded up to `padToMultipleOf`). */
export function padBatch(encodings: Encoding[], pad: { id: number; token: string }, opts: BatchOptions = {}): Batch {
  const side = opts.padding ?? 'right';
  let length = encodings.reduce((m, e) => Math.max(m, e.ids.length), 0);
  const multiple = opts.padToMultipleOf;
  if (multiple !== undefined) {
    if (!Number.isInteger(multiple) || multiple < 1) throw new XlmError('bad-padding', `padToMultipleOf is ${multiple}; it must be a positive integer`, { what: 'padToMultipleOf' });
    length = Math.ceil(length / multiple) * multiple;
  }
  const padded = encodings.map((e) => {
    const n = length - e.ids.length;
    if (n === 0) return e;
    const fill = <T>(value: T): T[] => new Array<T>(n).fill(value);
    const join = <T>(real: T[], padding: T[]) => (side === 'right' ? [...real, ...padding] : [...padding, ...real]);
    return {
      ids: join(e.ids, fill(pad.id)),
      tokens: join(e.tokens, fill(pad.token)),
      offsets: join(e.offsets, Array.from({ length: n }, (): [number, number] => [0, 0])),
      wordIds: join(e.wordIds, fill<number | null>(null)),
      sequenceIds: join(e.sequenceIds, fill<0 | 1 | null>(null)),
      typeIds: join(e.typeIds, fill(0)),
      attentionMask: join(e.attentionMask, fill(0)),
      specialTokensMask: join(e.specialTokensMask, fill(1)),
      truncatedTokens: e.truncatedTokens,
    };
  });
  return { encodings: padded, length, padding: side };
}

/** Row-major int64 data of equally long rows, with its dims: what an onnxruntime int64 tensor takes. */
export function toInt64(rows: ReadonlyArray<readonly number[]>): { data: BigInt64Array; dims: [number, number] } {
  const width = rows.length ? rows[0].length : 0;
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((row, r) => {
    if (row.length !== width) throw new XlmError('ragged-batch', `row ${r} has ${row.length} entries and row 0 has ${width}; pad the batch first`);
    for (let c = 0; c < width; c++) data[r * width + c] = BigInt(row[c]);
  });
  return { data, dims: [rows.length, width] };
}

/** input_ids and attention_mask of a padded batch as int64 data. */
export function batchInputs(batch: Batch): { inputIds: BigInt64Array; attentionMask: BigInt64Array; dims: [number, number] } {
  const ids = toInt64(batch.encodings.map((e) => e.ids));
  const mask = toInt64(batch.encodings.map((e) => e.attentionMask));
  return { inputIds: ids.data, attentionMask: mask.data, dims: ids.dims };
}
