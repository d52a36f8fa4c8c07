/**
 * Token classification (NER) over words: each sentence is a list of words, joined by single spaces and
 * tokenized; a word's prediction is read from its first sub-token, the position transformers' token
 * classification recipe trains (the other sub-tokens carry -100 there). Words that truncation cut off get
 * no logits, so a caller can tell "predicted O" from "never seen".
 */
import type { LoadedModel } from '../runtime/model-cache.js';
import { chunks, modelInputs } from '../runtime/inputs.js';
import { inputWordIds } from '../tokenize/words.js';

export interface TokenClassifyOptions {
  /** Sentences per session run (default 16). */
  batchSize?: number;
  /** Tokens per sentence, specials included (default: the model's limit). */
  maxLength?: number;
}

/** Logits of each word's first sub-token ([labels] per word), null for words truncation removed. */
export type WordLogits = (Float32Array | null)[];

export async function wordLogits(model: LoadedModel, sentences: readonly (readonly string[])[], opts: TokenClassifyOptions = {}): Promise<WordLogits[]> {
  const maxLength = Math.min(opts.maxLength ?? model.maxLength, model.maxLength);
  const { session } = await model.session('token-cls');
  const out: WordLogits[] = [];
  for (const chunk of chunks(sentences, opts.batchSize ?? 16)) {
    const batch = model.tokenizer.encodeBatch(chunk.map((words) => words.join(' ')), { maxLength });
    const result = await session.run({ ...modelInputs(batch) });
    const logits = result.logits.data as Float32Array;
    const labels = result.logits.dims[2];
    const seq = batch.length;
    chunk.forEach((words, r) => {
      const perWord: WordLogits = new Array<Float32Array | null>(words.length).fill(null);
      let previous: number | null = null;
      inputWordIds(words, batch.encodings[r]).forEach((word, position) => {
        const first = word !== null && word !== previous;
        previous = word;
        if (!first || perWord[word] !== null) return;
        const at = (r * seq + position) * labels;
        perWord[word] = logits.slice(at, at + labels);
      });
      out.push(perWord);
    });
  }
  return out;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}
