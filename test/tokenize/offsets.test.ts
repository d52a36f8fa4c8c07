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
import { inputWordIds } from '../../src/engine/tokenize/words.js';

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
  ['I love 😀👍 🎉', ['▁I=I', '▁love=love', '▁= ', '😀=😀', '👍=👍', '▁= ', '🎉=🎉']],
  ['Paris\tis\tbig', ['▁Paris=Paris', '▁is=is', '▁big=big']],
  ['Paris    is', ['▁Paris=Paris', '▁is=is']],
  ['   Paris  ', ['▁Paris=Paris']],
  ['the <mask> of', ['▁the=the', '<mask>=<mask>', '▁of=of']],
  ['x ☃☃ y', ['▁=', 'x=x', '▁= ', '<unk>=☃☃', '▁y=y']],
  ['ｆｕｌｌ ﬁx', ['▁=', 'f=ｆ', 'u=ｕ', 'l=ｌ', 'l=ｌ', '▁= ', 'f=ﬁ', 'i=ﬁ', 'x=x']],
  ['👩\u200d💻 ok', ['▁=', '<unk>=👩\u200d💻', '▁= ', 'o=o', 'k=k']],
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

test('word ids are those of Hugging Face tokenizers: U+0020 and added tokens of the normalized text cut words', () => {
  const tok = tiny();
  const words = (t: XlmTokenizer, text: string, pair?: string) => {
    const e = t.encode(text, pair);
    return e.ids.map((_, i) => `${e.tokens[i]}:${e.wordIds[i]}`);
  };
  assert.deepEqual(words(tok, 'Zoo is big'), ['<s>:null', '▁:0', 'Z:0', 'o:0', 'o:0', '▁is:1', '▁big:2', '</s>:null']);
  assert.deepEqual(words(tok, 'Paris, France.'), ['<s>:null', '▁Paris:0', ',:0', '▁France:1', '.:1', '</s>:null']);
  // An added token is a word of its own and ends the one before it.
  assert.deepEqual(words(tok, 'Paris<mask>ing is'), ['<s>:null', '▁Paris:0', '<mask>:1', '▁:2', 'ing:2', '▁is:3', '</s>:null']);
  assert.deepEqual(words(tok, 'a<mask>b'), ['<s>:null', '▁a:0', '<mask>:1', '▁:2', 'b:2', '</s>:null']);
  assert.deepEqual(words(tok, '  東京  は'), ['<s>:null', '▁:0', '東:0', '京:0', '▁:1', 'は:1', '</s>:null']);
  assert.deepEqual(words(tok, 'Paris is', 'big'), ['<s>:null', '▁Paris:0', '▁is:1', '</s>:null', '</s>:null', '▁big:0', '</s>:null']);
  // NFKC expands ﷺ into four words.
  assert.deepEqual(new Set(tok.encode('ﷺ').wordIds.filter((w) => w !== null)), new Set([0, 1, 2, 3]));
  const raw = tiny(null);
  // Without a normalizer every space is a '▁' that starts a word, and a tab, NBSP or U+3000 cuts nothing.
  assert.deepEqual(words(raw, 'a  b '), ['<s>:null', '▁a:0', '▁:1', '▁:2', 'b:2', '▁:3', '</s>:null']);
  for (const space of ['\t', '\u00a0', '\u3000', '\n']) {
    assert.deepEqual(new Set(raw.encode(`a${space}b`).wordIds.filter((w) => w !== null)), new Set([0]), JSON.stringify(space));
    assert.deepEqual(new Set(tok.encode(`a${space}b`).wordIds.filter((w) => w !== null)), new Set([0, 1]), `normalized ${JSON.stringify(space)}`);
  }
});

test('a lone space mark covers the space it replaced; characters NFKC composes keep their own spans', () => {
  const tok = tiny();
  const spansOf = (text: string) => {
    const e = tok.encode(text);
    return e.ids.flatMap((_, i) => (e.specialTokensMask[i] ? [] : [`${e.tokens[i]}=[${e.offsets[i].join(',')}]`]));
  };
  // The whitespace unit used to be normalized alone, stripped to nothing, and its '▁' left empty.
  assert.deepEqual(spansOf('a b'), ['▁a=[0,1]', '▁=[1,2]', 'b=[2,3]']);
  // é is e + U+0301; the second U+0301 is its own token, not a second copy of the whole cluster.
  assert.deepEqual(spansOf('e\u0301\u0301'), ['▁=[0,0]', 'é=[0,2]', '<unk>=[2,3]']);
  // A mark after a space does not take the space with it.
  assert.deepEqual(spansOf('x \u0301 y'), ['▁=[0,0]', 'x=[0,1]', '▁=[1,2]', '<unk>=[2,3]', '▁y=[4,5]']);
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

test('pre-split words (NER) keep one word id per input word, however the tokenizer splits inside them', () => {
  const tok = tiny();
  const words = ['Paris<mask>ing', 'ﷺ', 'New York', 'a\u00a0b', 'x'];
  const enc = tok.encode(words.join(' '));
  const ids = inputWordIds(words, enc);
  assert.deepEqual([...new Set(ids.filter((w) => w !== null))], [0, 1, 2, 3, 4]);
  assert.ok(Math.max(...enc.wordIds.filter((w): w is number => w !== null)) > 4, 'the tokenizer itself cuts these into more words');
  assert.deepEqual(ids.map((w, i) => (w === null ? null : enc.specialTokensMask[i])), ids.map((w) => (w === null ? null : 0)));
});
