/**
 * The frozen model's features for the audit's fast route (`--method features`), computed once for every row:
 * - a row (sequence or pair classification): the last hidden state averaged over its tokens and the average of its
 *   pieces' input embeddings, each scaled to unit length (the features the language-identification head reads); a
 *   pair's two texts each get both, side by side;
 * - a word (token classification): the last hidden state and the input embedding at the word's first sub-token.
 * A k-fold logistic regression on these (features-folds.ts) stands in for k LoRA fine-tunings.
 */
import type { LoadedDataset } from '../data/index.js';
import { CancelledError, modelInputs } from '../runtime/inputs.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import { languageFeatures } from '../tasks/language-id.js';
import { inputWordIds } from '../tokenize/words.js';

const BATCH = 32;

/** One vector per row, in row order. Rows are read in order of length, so a batch pads little. */
export async function rowFeatures(model: LoadedModel, data: LoadedDataset, signal: AbortSignal | undefined, onDone: (done: number) => void): Promise<Float64Array[]> {
  const out: Float64Array[] = new Array(data.size);
  const cancel = { get isCancellationRequested() { return signal?.aborted ?? false; } };
  const pairs = data.size > 0 && data.textPair(0) !== undefined;
  const length = (i: number) => data.text(i).length + (data.textPair(i)?.length ?? 0);
  const order = Array.from({ length: data.size }, (_, i) => i).sort((a, b) => length(a) - length(b));
  for (let start = 0; start < data.size; start += BATCH) {
    if (signal?.aborted) throw new CancelledError();
    const rows = order.slice(start, start + BATCH);
    const first = await languageFeatures(model, rows.map((i) => data.text(i)), ['mean-last', 'mean-embeddings'], cancel);
    const second = pairs ? await languageFeatures(model, rows.map((i) => data.textPair(i) ?? ''), ['mean-last', 'mean-embeddings'], cancel) : undefined;
    first.forEach((f, r) => {
      const v = new Float64Array(f.length * (second ? 2 : 1));
      v.set(f);
      if (second) v.set(second[r], f.length);
      out[rows[r]] = v;
    });
    onDone(start + rows.length);
  }
  return out;
}

/** One vector per word (null where truncation cut the word off), per row. */
export async function wordFeatures(model: LoadedModel, data: LoadedDataset, maxLength: number, signal: AbortSignal | undefined, onDone: (done: number) => void): Promise<(Float64Array | null)[][]> {
  const hidden = model.config.hidden_size;
  const table = model.folder.weights.get('roberta.embeddings.word_embeddings.weight');
  const { session } = await model.session('hidden');
  const limit = Math.min(maxLength, model.maxLength);
  const out: (Float64Array | null)[][] = [];
  for (let start = 0; start < data.size; start += BATCH) {
    if (signal?.aborted) throw new CancelledError();
    const sentences = Array.from({ length: Math.min(BATCH, data.size - start) }, (_, r) => data.tokens(start + r)!);
    const batch = model.tokenizer.encodeBatch(sentences.map((words) => words.join(' ')), { maxLength: limit });
    const states = (await session.run({ ...modelInputs(batch) })).last_hidden_state.data as Float32Array;
    const seq = batch.length;
    sentences.forEach((words, r) => {
      const perWord = new Array<Float64Array | null>(words.length).fill(null);
      let previous: number | null = null;
      const ids = batch.encodings[r].ids;
      inputWordIds(words, batch.encodings[r]).forEach((word, position) => {
        const first = word !== null && word !== previous;
        previous = word;
        if (!first || perWord[word] !== null) return;
        const v = new Float64Array(2 * hidden);
        const at = (r * seq + position) * hidden;
        for (let d = 0; d < hidden; d++) v[d] = states[at + d];
        const id = ids[position];
        for (let d = 0; d < hidden; d++) v[hidden + d] = table[id * hidden + d];
        perWord[word] = v;
      });
      out.push(perWord);
    });
    onDone(out.length);
  }
  return out;
}
