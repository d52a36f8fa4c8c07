/**
 * A tiny token-classification model whose tags are known in advance: each word's tag is decided by its first
 * sub-token alone, as the caller lists them, so tests can assert exact entity spans and types.
 *
 * How: every layer's attention and feed-forward outputs are zero, so each layer passes its input on through its
 * LayerNorms; position and token-type embeddings are zero; a token's word embedding is +1 and -1 on the two
 * dimensions of its tag (2c, 2c+1) and 0 elsewhere, which the LayerNorms scale to ±4; the classifier reads
 * those two dimensions, so the tag's logit is `sharpness · 8` and every other logit 0. Tokens not listed get O.
 */
import { join } from 'node:path';
import { writeSafetensors } from '../../src/engine/hf/safetensors-write.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { writeTinyXlmr } from './tiny-model.js';
import { makeTinyTokenizerJson } from './tiny-tokenizer.js';

export interface TinyNerModel {
  dir: string;
  labels: string[];
  /** The probability the model gives each listed tag (and O): softmax of one logit of 8·sharpness among zeros. */
  score: number;
}

/**
 * `tags` maps a word to its label (B-PER, I-LOC, ...): every word whose first sub-token is that word's first
 * sub-token gets the label (each listed word is made a vocabulary piece of its own). Labels are O plus the listed ones, in order of first appearance unless given.
 */
export function writeTinyNerModel(dir: string, tags: Record<string, string>, o: { labels?: string[]; sharpness?: number; maxPositionEmbeddings?: number } = {}): TinyNerModel {
  const labels = o.labels ?? ['O', ...new Set(Object.values(tags))];
  const hidden = 32;
  if (2 * labels.length > hidden) throw new Error(`writeTinyNerModel: at most ${hidden / 2} labels, got ${labels.length}`);
  // Each tagged word is a piece of its own in the vocabulary, so its first sub-token is the whole word.
  const tokenizerJson = makeTinyTokenizerJson({ extraPieces: Object.keys(tags).map((w): [string, number] => [`\u2581${w}`, -3]) });
  const tiny = writeTinyXlmr(dir, { head: 'token-cls', labels, hiddenSize: hidden, tokenizerJson, maxPositionEmbeddings: o.maxPositionEmbeddings ?? 40 });
  const tokenizer = XlmTokenizer.fromFolder(dir);
  const tagOfToken = new Map<number, number>();
  for (const [word, label] of Object.entries(tags)) {
    const id = tokenizer.encode(word, null, { addSpecialTokens: false }).ids[0];
    if (id === undefined) throw new Error(`writeTinyNerModel: "${word}" has no token`);
    const c = labels.indexOf(label);
    if (c < 0) throw new Error(`writeTinyNerModel: label ${label} is not in ${labels.join(', ')}`);
    const other = tagOfToken.get(id);
    if (other !== undefined && other !== c) throw new Error(`writeTinyNerModel: "${word}" starts with a token another word tagged ${labels[other]} starts with`);
    tagOfToken.set(id, c);
  }
  const sharpness = o.sharpness ?? 1;
  const O = labels.indexOf('O');
  for (const [name, t] of tiny.tensors) {
    const d = t.data;
    if (/word_embeddings\.weight$/.test(name)) {
      d.fill(0);
      for (let id = 0; id < t.shape[0]!; id++) {
        const c = tagOfToken.get(id) ?? Math.max(O, 0);
        d[id * hidden + 2 * c] = 1;
        d[id * hidden + 2 * c + 1] = -1;
      }
    } else if (/LayerNorm\.weight$/.test(name)) d.fill(1);
    else if (/((position|token_type)_embeddings\.weight|LayerNorm\.bias|output\.dense\.(weight|bias)|classifier\.bias)$/.test(name)) d.fill(0);
    else if (/classifier\.weight$/.test(name)) {
      d.fill(0);
      labels.forEach((_, c) => {
        d[c * hidden + 2 * c] = sharpness;
        d[c * hidden + 2 * c + 1] = -sharpness;
      });
    }
  }
  const stored = new Map([...tiny.tensors].map(([name, t]) => [name, { dtype: 'F32' as const, shape: t.shape, data: t.data }]));
  writeSafetensors(join(dir, 'model.safetensors'), stored);
  const top = Math.exp(8 * sharpness);
  return { dir, labels, score: top / (top + labels.length - 1) };
}
