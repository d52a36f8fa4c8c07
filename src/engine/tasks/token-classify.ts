/**
 * Token classification (NER) over words: each sentence is a list of words, joined by single spaces and
 * tokenized; a word's prediction is read from its first sub-token, the position transformers' token
 * classification recipe trains (the other sub-tokens carry -100 there). Words that truncation cut off get
 * no logits, so a caller can tell "predicted O" from "never seen".
 */
import type { LoadedModel } from '../runtime/model-cache.js';
import { chunks, modelInputs } from '../runtime/inputs.js';
import { softmax } from './classify.js';

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
    const pieces = chunk.map(splitWords);
    const batch = model.tokenizer.encodeBatch(pieces.map((p) => p.text), { maxLength });
    const result = await session.run({ ...modelInputs(batch) });
    const logits = result.logits.data as Float32Array;
    const labels = result.logits.dims[2];
    const seq = batch.length;
    chunk.forEach((words, r) => {
      const perWord: WordLogits = new Array<Float32Array | null>(words.length).fill(null);
      let previous: number | null = null;
      batch.encodings[r].wordIds.forEach((piece, position) => {
        const first = piece !== null && piece !== previous;
        previous = piece;
        if (!first) return;
        const word = pieces[r].wordOfPiece[piece];
        if (word === undefined || perWord[word] !== null) return;
        const at = (r * seq + position) * labels;
        perWord[word] = logits.slice(at, at + labels);
      });
      out.push(perWord);
    });
  }
  return out;
}

export interface WordPrediction {
  word: string;
  label: string;
  score: number;
}

/** The best label of every word with its probability; truncated words get the label 'O' and score 0. */
export async function tokenClassify(model: LoadedModel, sentences: readonly (readonly string[])[], opts: TokenClassifyOptions = {}): Promise<WordPrediction[][]> {
  const logits = await wordLogits(model, sentences, opts);
  const id2label = model.config.id2label;
  return logits.map((perWord, s) =>
    perWord.map((row, w) => {
      if (row === null) return { word: sentences[s][w], label: 'O', score: 0 };
      const probs = softmax(row);
      const best = argmax(row);
      return { word: sentences[s][w], label: id2label[best] ?? `LABEL_${best}`, score: probs[best] };
    }),
  );
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * The text the tokenizer sees, and which input word each of its whitespace-separated pieces belongs to: a
 * word holding a space ("New York" as one CoNLL token) spans several pieces and is read at its first; a word
 * that is only whitespace has no piece and gets no prediction.
 */
function splitWords(words: readonly string[]): { text: string; wordOfPiece: number[] } {
  const wordOfPiece: number[] = [];
  words.forEach((word, w) => {
    const n = word.split(/\s+/u).filter(Boolean).length;
    for (let k = 0; k < n; k++) wordOfPiece.push(w);
  });
  return { text: words.join(' '), wordOfPiece };
}
