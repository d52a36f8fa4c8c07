/**
 * The default model's tokenizer: the Unigram trainer run on the UDHR training articles, languages weighted
 * with XLM-R's smoothing, written as a Hugging Face tokenizer folder in XLM-R's layout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unigramTokenizerJson, xlmrSpecialTokensMap, xlmrTokenizerConfig } from '../tokenize/tokenizer-json.js';
import { trainingParagraphs, type UdhrArticle } from './corpus.js';
import type { CorpusSegment } from './sources.js';
import { characterSizes, smoothingWeights, XLMR_SMOOTHING_ALPHA } from './sampling.js';
import { trainUnigram, type UnigramModel, type UnigramTrainerOptions, type WeightedText } from './unigram-trainer.js';
import { tokenizerNormalize } from './unigram-words.js';

export interface UdhrTokenizerOptions extends Omit<UnigramTrainerOptions, 'requiredCharacters'> {
  /** Language smoothing exponent (default 0.3, XLM-R's). */
  alpha?: number;
  /** Articles the statistics never read (default: languages.ts's HELD_OUT_ARTICLES); a recipe may name its own. */
  heldOutArticles?: readonly number[];
}

/**
 * The training paragraphs, each weighted by its language's q_i / p_i (shares in characters): the smoothed
 * sampling distribution taken in expectation, with no sampling noise and no paragraph left out.
 */
export function tokenizerTrainingTexts(corpus: readonly UdhrArticle[], alpha: number = XLMR_SMOOTHING_ALPHA, heldOut?: readonly number[]): WeightedText[] {
  const paragraphs = trainingParagraphs(corpus, heldOut);
  const weights = smoothingWeights(characterSizes(paragraphs), alpha);
  return paragraphs.map((p) => ({ text: p.text, weight: weights.get(p.lang)! }));
}

/**
 * Every character of the corpus languages, held-out articles included, sorted. Only the character set crosses
 * the held-out boundary (no counts, no multi-character pieces): a Chinese or Japanese test article uses a dozen
 * Han characters the training articles lack, and a tokenizer that kept only training characters would map them
 * to <unk>. A character seen only in held-out text gets the smallest probability. Characters are taken after
 * the tokenizer's normalization, spaces left out (they become ▁).
 */
export function corpusAlphabet(corpus: readonly UdhrArticle[]): string[] {
  const chars = new Set<string>();
  for (const a of corpus) for (const p of a.paragraphs) for (const ch of tokenizerNormalize(p)) if (ch !== ' ') chars.add(ch);
  return [...chars].sort();
}

/**
 * The tokenizer of a multi-source corpus: training segments weighted by their language's smoothing factor;
 * every character of the segments passed (the caller leaves out a held-out source) kept as a piece.
 */
export function trainSegmentTokenizer(segments: readonly CorpusSegment[], options: UdhrTokenizerOptions = {}): UnigramModel {
  const { alpha, heldOutArticles: _unused, ...trainer } = options;
  const training = segments.filter((s) => s.split === 'train');
  const weights = smoothingWeights(characterSizes(training), alpha ?? XLMR_SMOOTHING_ALPHA);
  const chars = new Set<string>();
  for (const s of segments) for (const ch of tokenizerNormalize(s.text)) if (ch !== ' ') chars.add(ch);
  return trainUnigram(training.map((p) => ({ text: p.text, weight: weights.get(p.lang)! })), { ...trainer, requiredCharacters: [...chars].sort() });
}

export function trainUdhrTokenizer(corpus: readonly UdhrArticle[], options: UdhrTokenizerOptions = {}): UnigramModel {
  const { alpha, heldOutArticles, ...trainer } = options;
  return trainUnigram(tokenizerTrainingTexts(corpus, alpha, heldOutArticles), { ...trainer, requiredCharacters: corpusAlphabet(corpus) });
}

export interface TokenizerFolderFiles {
  'tokenizer.json': object;
  'tokenizer_config.json': object;
  'special_tokens_map.json': object;
}

/** The three files of a Hugging Face tokenizer folder for trained pieces, in XLM-R's layout. */
export function tokenizerFolderFiles(model: Pick<UnigramModel, 'pieces'>, modelMaxLength = 512): TokenizerFolderFiles {
  const tokenizerJson = unigramTokenizerJson(model.pieces);
  return {
    'tokenizer.json': tokenizerJson,
    'tokenizer_config.json': xlmrTokenizerConfig(tokenizerJson, modelMaxLength),
    'special_tokens_map.json': xlmrSpecialTokensMap(),
  };
}

/** Stable bytes: the same pieces always give the same file. */
export function serializeJson(value: object): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir`; returns their paths. */
export function writeTokenizerFolder(dir: string, model: Pick<UnigramModel, 'pieces'>, modelMaxLength = 512): string[] {
  mkdirSync(dir, { recursive: true });
  const files = tokenizerFolderFiles(model, modelMaxLength);
  return Object.entries(files).map(([name, value]) => {
    const path = join(dir, name);
    writeFileSync(path, serializeJson(value as object));
    return path;
  });
}
