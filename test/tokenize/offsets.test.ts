/**
 * Offsets point into the original text (UTF-16 code units) and word ids group the tokens of one
 * whitespace-separated word, on the cases that break naive alignment: accents precomposed and combining,
 * CJK, emoji (surrogate pairs, ZWJ sequences), tabs, newlines, runs of spaces, leading and trailing spaces,
 * `<mask>`, unknown characters, NFKC expansions, with and without a normalizer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson, TINY_MULTILINGUAL_SENTENCES } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { offsetProblems } from './offset-invariants.js';

function tiny(normalizer?: null): XlmTokenizer {
  const tokenizerJson = makeTinyTokenizerJson(normalizer === null ? { normalizer: null } : {});
  return new XlmTokenizer({ tokenizerJson, tokenizerConfig: makeTinyTokenizerConfig(tokenizerJson) });
}

/** Every non-special token as `token=slice of the original text`. */
function spans(tok: XlmTokenizer, text: string): string[] {
  const e = tok.encode(text);
  return e.ids.flatMap((_, i) => (e.specialTokensMask[i] ? [] : [`${e.tokens[i]}=${text.slice(...e.offsets[i])}`]));
}

const WITH_NORMALIZER: Array<[string, string[]]> = [
  ['Le café naïve', ['▁Le=Le', '▁café=café', '▁naïve=naïve']],
  ['cafe\u0301 nai\u0308ve', ['▁café=cafe\u0301', '▁naïve=nai\u0308ve']],
  ['東京は首都', ['▁=', '東=東', '京=京', 'は=は', '首=首', '都=都']],
  ['I love 😀👍 🎉', ['▁I=I', '▁love=love', '▁=', '😀=😀', '👍=👍', '▁=', '🎉=🎉']],
  ['Paris\tis\tbig', ['▁Paris=Paris', '▁is=is', '▁big=big']],
  ['Paris    is', ['▁Paris=Paris', '▁is=is']],
  ['   Paris  ', ['▁Paris=Paris']],
  ['the <mask> of', ['▁the=the', '<mask>=<mask>', '▁of=of']],
  ['x ☃☃ y', ['▁=', 'x=x', '▁=', '<unk>=☃☃', '▁y=y']],
  ['ｆｕｌｌ ﬁx', ['▁=', 'f=ｆ', 'u=ｕ', 'l=ｌ', 'l=ｌ', '▁=', 'f=ﬁ', 'i=ﬁ', 'x=x']],
  ['👩\u200d💻 ok', ['▁=', '<unk>=👩\u200d💻', '▁=', 'o=o', 'k=k']],
  ['\u1112\u1161\u11ab국', ['▁=', '한=\u1112\u1161\u11ab', '국=국']],
];

const WITHOUT_NORMALIZER: Array<[string, string[]]> = [
  ['cafe\u0301', ['▁=', 'c=c', 'a=a', 'f=f', 'e=e', '<unk>=\u0301']],
  ['I love 😀👍', ['▁I=I', '▁love=love', '▁= ', '😀=😀', '👍=👍']],
  ['Paris\tis', ['▁Paris=Paris', '<unk>=\t', 'i=i', 's=s']],
  ['Paris   is', ['▁Paris=Paris', '▁= ', '▁= ', '▁is=is']],
  ['  Paris ', ['▁= ', '▁Paris=Paris', '▁= ']],
  ['ｆｕｌｌ', ['▁=', '<unk>=ｆｕｌｌ']],
  ['a\nb', ['▁a=a', '<unk>=\n', 'b=b']],
];

test('offsets slice the original text to each token, with the default normalizer', () => {
  const tok = tiny();
  for (const [text, expected] of WITH_NORMALIZER) assert.deepEqual(spans(tok, text), expected, JSON.stringify(text));
});

test('offsets slice the original text to each token, without a normalizer', () => {
  const tok = tiny(null);
  for (const [text, expected] of WITHOUT_NORMALIZER) assert.deepEqual(spans(tok, text), expected, JSON.stringify(text));
});

test('offset and word invariants hold on every case, singles and pairs, both normalizers', () => {
  const texts = [...WITH_NORMALIZER.map(([t]) => t), ...WITHOUT_NORMALIZER.map(([t]) => t), ...TINY_MULTILINGUAL_SENTENCES, 'Paris<mask>ing', ' <mask> ', '\t\t', ''];
  for (const tok of [tiny(), tiny(null)]) {
    for (const text of texts) assert.deepEqual(offsetProblems(tok, [text], tok.encode(text)), [], JSON.stringify(text));
    for (let i = 0; i + 1 < texts.length; i += 2) {
      const [a, b] = [texts[i], texts[i + 1]];
      assert.deepEqual(offsetProblems(tok, [a, b], tok.encode(a, b)), [], JSON.stringify([a, b]));
    }
  }
});

test('word ids number the whitespace-separated words and group their subwords', () => {
  const tok = tiny();
  const words = (text: string, pair?: string) => {
    const e = tok.encode(text, pair);
    return e.ids.map((_, i) => `${e.tokens[i]}:${e.wordIds[i]}`);
  };
  assert.deepEqual(words('Zoo is big'), ['<s>:null', '▁:0', 'Z:0', 'o:0', 'o:0', '▁is:1', '▁big:2', '</s>:null']);
  assert.deepEqual(words('Paris, France.'), ['<s>:null', '▁Paris:0', ',:0', '▁France:1', '.:1', '</s>:null']);
  assert.deepEqual(words('Paris<mask>ing is'), ['<s>:null', '▁Paris:0', '<mask>:0', '▁:0', 'ing:0', '▁is:1', '</s>:null']);
  assert.deepEqual(words('  東京  は'), ['<s>:null', '▁:0', '東:0', '京:0', '▁:1', 'は:1', '</s>:null']);
  assert.deepEqual(words('Paris is', 'big'), ['<s>:null', '▁Paris:0', '▁is:1', '</s>:null', '</s>:null', '▁big:0', '</s>:null']);
  const e = tiny(null).encode('a  b ');
  assert.deepEqual(e.ids.map((_, i) => `${e.tokens[i]}:${e.wordIds[i]}`), ['<s>:null', '▁a:0', '▁:1', '▁:1', 'b:1', '▁:1', '</s>:null'],
    'space-only pieces join the next word, or the last one at the end');
});

test('alignment stays inside the text and keeps the invariants on hostile input', () => {
  const hostile = [
    '\u0301\u0301 leading marks',
    '\ud83d lone high surrogate and lone low \ude00',
    'control\u0001chars\u0007here',
    '<mask<mask>>',
    '\u3000ideographic\u3000space',
    'ﾊﾝｶｸ ｶﾀｶﾅ ｶﾞ',
    '¨ ½ ㍿',
    'x'.repeat(3000),
  ];
  // A literal '▁' in the text is its own piece, so it breaks only the "space-only piece covers whitespace" rule.
  const literalMetaspace = '▁▁ literal metaspace ▁';
  for (const tok of [tiny(), tiny(null)]) {
    for (const text of hostile) assert.deepEqual(offsetProblems(tok, [text], tok.encode(text)), [], JSON.stringify(text.slice(0, 40)));
    const e = tok.encode(literalMetaspace);
    const pieces = e.ids.flatMap((_, i) => (e.specialTokensMask[i] ? [] : [`${e.tokens[i]}=${literalMetaspace.slice(...e.offsets[i])}`]));
    assert.deepEqual(pieces.slice(0, 2), ['▁=▁', '▁=▁']);
    for (const [s, end] of e.offsets) assert.ok(s >= 0 && s <= end && end <= literalMetaspace.length);
  }
});
