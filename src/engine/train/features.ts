/**
 * From examples to model inputs: tokenized features per task, masked-LM masking, and padded batches as
 * onnxruntime tensors.
 * - seq-cls: text (and pair, for NLI) → ids, label id;
 * - token-cls: words → ids with the word's tag on its first sub-token and -100 on the others and on
 *   special tokens, as transformers' token-classification recipe aligns labels;
 * - mlm: text → ids; masks are drawn per batch (see maskTokens), so each epoch masks differently as
 *   transformers' DataCollatorForLanguageModeling does, from a seeded stream that a resumed run repeats.
 */
import type { LoadedDataset } from '../data/index.js';
import { ort } from '../runtime/session.js';
import type { XlmTokenizer } from '../tokenize/tokenizer.js';
import { inputWordIds } from '../tokenize/words.js';
import { createRng } from '../rng/rng.js';
import type { HeadKind } from '../tasks/vocabulary.js';

export const IGNORE = -100;

export interface Feature {
  ids: number[];
  /** seq-cls: the class id; token-cls: one label per token (-100 where none). */
  label?: number;
  tokenLabels?: number[];
  /** mlm: the word of each token (null for specials), for whole-word masking. */
  wordIds?: (number | null)[];
}

/** `stats.truncated` counts the rows that truncation cut (their ends are never read), when given. */
export function encodeDataset(data: LoadedDataset, tokenizer: XlmTokenizer, head: HeadKind, maxLength: number, stats?: { truncated: number }): Feature[] {
  const out: Feature[] = [];
  for (let i = 0; i < data.size; i++) {
    if (head === 'token-cls') {
      const words = data.tokens(i)!;
      const tags = data.tagIds(i)!;
      const enc = tokenizer.encode(words.join(' '), null, { maxLength });
      let previous: number | null = null;
      const tokenLabels = inputWordIds(words, enc).map((w) => {
        const first = w !== null && w !== previous;
        previous = w;
        return first ? tags[w!] : IGNORE;
      });
      if (stats && enc.truncatedTokens > 0) stats.truncated++;
      out.push({ ids: enc.ids, tokenLabels });
    } else {
      const enc = tokenizer.encode(data.text(i), head === 'seq-cls' ? (data.textPair(i) ?? null) : null, { maxLength });
      if (stats && enc.truncatedTokens > 0) stats.truncated++;
      out.push(head === 'seq-cls' ? { ids: enc.ids, label: data.labelId(i) } : { ids: enc.ids, wordIds: enc.wordIds });
    }
  }
  return out;
}

export interface MaskingOptions {
  probability: number;
  wholeWord: boolean;
  maskId: number;
  vocabSize: number;
  /** Ids never masked or drawn as random replacements (specials). */
  specialIds: ReadonlySet<number>;
}

/**
 * BERT's masking: each maskable token (or whole word) is chosen with `probability`; a chosen token becomes
 * <mask> 80% of the time, a random token 10%, and stays 10%; the label is the original id. At least one
 * token per example is chosen, so no batch is without a target. `seed` fixes every draw.
 */
export function maskTokens(f: Feature, o: MaskingOptions, seed: number): { ids: number[]; positions: number[]; labels: number[] } {
  const rng = createRng(seed);
  const ids = [...f.ids];
  const maskable = ids.map((id) => !o.specialIds.has(id));
  const chosen = new Array<boolean>(ids.length).fill(false);
  if (o.wholeWord && f.wordIds) {
    const wordChosen = new Map<number, boolean>();
    f.wordIds.forEach((w, i) => {
      if (w === null || !maskable[i]) return;
      if (!wordChosen.has(w)) wordChosen.set(w, rng.next() < o.probability);
      chosen[i] = wordChosen.get(w)!;
    });
  } else {
    for (let i = 0; i < ids.length; i++) chosen[i] = maskable[i] && rng.next() < o.probability;
  }
  if (!chosen.some(Boolean)) {
    const candidates = maskable.flatMap((m, i) => (m ? [i] : []));
    if (candidates.length) chosen[candidates[rng.int(candidates.length)]] = true;
  }
  const positions: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (!chosen[i]) continue;
    positions.push(i);
    labels.push(ids[i]);
    const r = rng.next();
    if (r < 0.8) ids[i] = o.maskId;
    else if (r < 0.9) {
      let id: number;
      do id = rng.int(o.vocabSize); while (o.specialIds.has(id));
      ids[i] = id;
    }
  }
  return { ids, positions, labels };
}

export interface CollatedBatch {
  feeds: Record<string, ort.Tensor>;
  examples: number;
  /** Real (non-pad) tokens. */
  tokens: number;
}

/** Pads a batch on the right to its longest member and builds the head's input tensors. */
export function collate(features: Feature[], head: HeadKind, padId: number, masking?: { options: MaskingOptions; seeds: number[] }): CollatedBatch {
  const seq = Math.max(...features.map((f) => f.ids.length));
  const rows = features.length;
  const ids = new BigInt64Array(rows * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(rows * seq);
  const feeds: Record<string, ort.Tensor> = {};
  let tokens = 0;
  const positions: number[] = [];
  const mlmLabels: number[] = [];
  const tokenLabels = head === 'token-cls' ? new BigInt64Array(rows * seq).fill(BigInt(IGNORE)) : undefined;
  features.forEach((f, r) => {
    let rowIds = f.ids;
    if (head === 'mlm') {
      const m = maskTokens(f, masking!.options, masking!.seeds[r]);
      rowIds = m.ids;
      m.positions.forEach((p, k) => { positions.push(r * seq + p); mlmLabels.push(m.labels[k]); });
    }
    rowIds.forEach((id, s) => { ids[r * seq + s] = BigInt(id); mask[r * seq + s] = 1n; });
    tokens += rowIds.length;
    if (tokenLabels) f.tokenLabels!.forEach((l, s) => { tokenLabels[r * seq + s] = BigInt(l); });
  });
  feeds.input_ids = new ort.Tensor('int64', ids, [rows, seq]);
  feeds.attention_mask = new ort.Tensor('int64', mask, [rows, seq]);
  if (head === 'seq-cls') feeds.labels = new ort.Tensor('int64', BigInt64Array.from(features.map((f) => BigInt(f.label!))), [rows]);
  if (tokenLabels) feeds.labels = new ort.Tensor('int64', tokenLabels, [rows, seq]);
  if (head === 'mlm') {
    feeds.mlm_positions = new ort.Tensor('int64', BigInt64Array.from(positions.map(BigInt)), [positions.length]);
    feeds.mlm_labels = new ort.Tensor('int64', BigInt64Array.from(mlmLabels.map(BigInt)), [mlmLabels.length]);
  }
  return { feeds, examples: rows, tokens };
}
