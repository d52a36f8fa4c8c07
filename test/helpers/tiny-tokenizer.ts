/**
 * A tiny Unigram tokenizer in XLM-R's exact layout (`<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, pieces,
 * `<mask>` last with lstrip), small enough for tests and tiny random models.
 *
 * Its pieces cover every character of {@link TINY_MULTILINGUAL_SENTENCES} (Latin with accents, Cyrillic,
 * Greek, CJK, kana, Hangul, Arabic, Devanagari, emoji, digits, punctuation), so almost nothing maps to
 * `<unk>`, plus whole words with '▁' so common words stay one token. Scores are log-probabilities of
 * made-up counts; pieces are ordered by score, as SentencePiece orders them.
 *
 * Normalizer: the portable XLM-R default from tokenizer-json.ts (NFKC, whitespace runs to one space,
 * strip); pass `normalizer: null` for none.
 */
import {
  unigramTokenizerJson,
  xlmrSpecialTokensMap,
  xlmrTokenizerConfig,
  type UnigramPiece,
} from '../../src/engine/tokenize/tokenizer-json.js';

/** Sentences the tiny vocabulary covers without `<unk>`. */
export const TINY_MULTILINGUAL_SENTENCES: readonly string[] = [
  'The capital of France is Paris.',
  'Berlin is the capital of Germany!',
  'Hello world, this is a test: 12 cats and 3 dogs.',
  'Le café est très naïve à Paris.',
  'Die Hauptstadt von Deutschland ist Berlin, über alles.',
  'El niño está en Madrid, España.',
  'Zażółć gęślą jaźń. Příliš žluťoučký kůň.',
  'Москва — столица России.',
  'Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.',
  '東京は日本の首都です。',
  '北京是中国的首都。',
  '서울은 한국의 수도입니다.',
  'مرحبا بالعالم',
  'नमस्ते दुनिया',
  'I love Paris 😀👍🌍 🎉',
  'Price: $42.50 (approx. 38%) #1 @home',
];

/** Whole words (stored with a leading '▁') with made-up counts: frequent words first. */
const WORDS = [
  'the', 'The', 'of', 'is', 'a', 'and', 'in', 'to', 'capital', 'Paris', 'France', 'Berlin', 'Germany', 'city',
  'country', 'language', 'Hello', 'hello', 'world', 'this', 'that', 'it', 'was', 'are', 'I', 'love', 'like',
  'cat', 'cats', 'dog', 'dogs', 'house', 'big', 'small', 'with', 'for', 'on', 'test', 'Madrid', 'Spain',
  'London', 'Rome', 'Italy', 'Tokyo', 'Japan', 'new', 'old', 'day', 'human', 'rights', 'free', 'equal', 'born',
  'all', 'Le', 'la', 'le', 'de', 'est', 'et', 'café', 'très', 'naïve', 'à', 'Die', 'der', 'die', 'das', 'ist',
  'und', 'von', 'Hauptstadt', 'Deutschland', 'über', 'alles', 'El', 'el', 'es', 'en', 'y', 'niño', 'está',
  'España', 'Москва', 'столица', 'России', 'и', 'в', 'Η', 'η', 'Αθήνα', 'είναι', 'πρωτεύουσα', 'της', 'Ελλάδας',
  'Price', 'approx',
];
const SUBWORDS = ['ing', 'ed', 's', 'er', 'es', 'tion', 'ly', 'al', 'en', 'ung', 'ity', 'ne', 'ce', 'ra', 'ta'];

const CHAR_GROUPS = [
  'abcdefghijklmnopqrstuvwxyz',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  '0123456789',
  '.,!?;:\'"()-/&%$@#*+=[]{}<>_~`^|\\—–…«»“”‘’¿¡',
  'àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿß',
  'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝ',
  'ąćęłńśźżčďěňřšťůžőűğışœĄĆĘŁŃŚŹŻČŘŠŽ',
  'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ',
  'αβγδεζηθικλμνξοπρστυφχψωςάέήίόύώΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ',
  '日本語中文東京北京上海人大小是的我你他在有了不和国学生首都中国爱巴黎法兰西',
  'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんです。、',
  '한국어안녕하세요서울은의수도입니다',
  'مرحبالعاي',
  'नमस्तेदुनियाािीुूेैोौंः्',
  '😀😂🙂👍🌍🎉❤',
];

export interface TinyTokenizerOptions {
  /** Extra ordinary pieces appended after the built-in ones (their ids follow the built-ins). */
  extraPieces?: UnigramPiece[];
  /** tokenizer.json "normalizer"; `null` for none. Default: the portable XLM-R normalizer. */
  normalizer?: object | null;
}

/** The built-in ordinary pieces, ordered by score as SentencePiece orders them. */
export function tinyPieces(): UnigramPiece[] {
  const counts = new Map<string, number>();
  const add = (piece: string, count: number) => {
    if (!counts.has(piece)) counts.set(piece, count);
  };
  add('\u2581', 5000);
  WORDS.forEach((w, rank) => add(`\u2581${w}`, Math.round(2000 / (1 + rank / 8))));
  for (const s of SUBWORDS) add(s, 250);
  for (const group of CHAR_GROUPS) for (const ch of group) add(ch, 60);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts.entries()]
    .map(([piece, count]): UnigramPiece => [piece, Math.log(count / total)])
    .sort((a, b) => b[1] - a[1]);
}

/** tokenizer.json (as a parsed object) of the tiny tokenizer. */
export function makeTinyTokenizerJson(opts: TinyTokenizerOptions = {}): object {
  const pieces = tinyPieces();
  const known = new Set(pieces.map(([p]) => p));
  for (const [piece, score] of opts.extraPieces ?? []) if (!known.has(piece)) pieces.push([piece, score]);
  return unigramTokenizerJson(pieces, opts.normalizer === undefined ? {} : { normalizer: opts.normalizer });
}

/** tokenizer_config.json matching a tokenizer.json made by {@link makeTinyTokenizerJson}. */
export function makeTinyTokenizerConfig(tokenizerJson: object = makeTinyTokenizerJson(), modelMaxLength = 512): object {
  return xlmrTokenizerConfig(tokenizerJson, modelMaxLength);
}

/** special_tokens_map.json as XLM-R ships it. */
export function makeTinySpecialTokensMap(): object {
  return xlmrSpecialTokensMap();
}

/** Number of ids in the tiny tokenizer (specials included), for sizing a tiny model's embeddings. */
export function tinyVocabSize(tokenizerJson: object = makeTinyTokenizerJson()): number {
  return (tokenizerJson as { model: { vocab: unknown[] } }).model.vocab.length;
}
