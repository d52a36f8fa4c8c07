/**
 * A 1 MB text tokenizes: it is cut into pieces before the Unigram segmenter (whose call stack and lattice a
 * single huge run exhausts), at whitespace where there is any, and the result is the concatenation of the
 * pieces' tokens with offsets into the original text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from '@huggingface/tokenizers';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { LONG_TEXT_PIECE, longTextPieces } from '../../src/engine/tokenize/long-text.js';
import { truncatedLengths } from '../../src/engine/tokenize/encoding.js';
import { offsetProblems } from './offset-invariants.js';

const tokenizerJson = makeTinyTokenizerJson();
const tokenizerConfig = makeTinyTokenizerConfig(tokenizerJson);
const tok = new XlmTokenizer({ tokenizerJson, tokenizerConfig });

const WORDS = ['Le', 'café', 'est', 'très', 'bon.', 'Привет,', 'мир', '東京は', 'hello', 'world', '😀', 'ąćę', 'नमस्ते', '<mask>'];
/** About `chars` characters of words separated by single spaces, runs of spaces and newlines. */
function multilingual(chars: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const word = WORDS[(i * 7) % WORDS.length]!;
    const gap = i % 97 === 0 ? '\n' : i % 31 === 0 ? '   ' : ' ';
    parts.push(word, gap);
    length += word.length + gap.length;
  }
  return parts.join('');
}

test('a 1 MB text has the ids of its whitespace-cut pieces encoded one by one, and offsets into the original', () => {
  const text = multilingual(1_000_000);
  const whole = tok.encode(text, null, { addSpecialTokens: false });
  // Independent cuts: at the newline nearest each 1,500 characters, each piece short enough to be encoded whole.
  const expected: number[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start + 1_000);
    if (end === -1) end = text.length;
    assert.ok(end - start <= LONG_TEXT_PIECE, `piece of ${end - start}`);
    expected.push(...tok.encode(text.slice(start, end), null, { addSpecialTokens: false }).ids);
    start = end;
  }
  assert.equal(whole.ids.length, expected.length);
  assert.ok(whole.ids.every((id, i) => id === expected[i]), 'ids differ from the pieces encoded one by one');
  assert.deepEqual(offsetProblems(tok, [text], whole).slice(0, 5), []);
  const masks = whole.ids.filter((id) => id === tok.maskId).length;
  assert.equal(masks, text.split('<mask>').length - 1, 'a <mask> was cut in two');
});

test('below the library\'s own limit, the pieces give exactly the ids of encoding the text whole', () => {
  const text = multilingual(40_000);
  const library = new Tokenizer(tokenizerJson, tokenizerConfig as Record<string, unknown>);
  assert.deepEqual(tok.encode(text, null, { addSpecialTokens: false }).ids, library.encode(text, { add_special_tokens: false }).ids);
});

test('a long run without whitespace is cut after punctuation or between characters, never inside a surrogate pair or <mask>', () => {
  const cjk = '東京は日本の首都です。'.repeat(20_000) + '😀'.repeat(5_000) + '<mask>'.repeat(2_000);
  for (const [s, e] of longTextPieces(cjk, ['<mask>'])) {
    assert.ok(e - s <= LONG_TEXT_PIECE && e > s);
    const c = cjk.charCodeAt(e);
    assert.ok(!(c >= 0xdc00 && c <= 0xdfff), `cut at ${e} splits a surrogate pair`);
  }
  const enc = tok.encode(cjk, null, { addSpecialTokens: false });
  assert.deepEqual(offsetProblems(tok, [cjk], enc).slice(0, 5), []);
  assert.equal(enc.ids.filter((id) => id === tok.maskId).length, 2_000);
});

test('a 1 MB text truncated to max length keeps the first tokens of the whole, pair cut as longest-first cuts the whole', () => {
  const text = multilingual(1_000_000);
  const cut = tok.encode(text, 'and a pair', { maxLength: 64 });
  assert.equal(cut.ids.length, 64);
  assert.ok(cut.truncatedTokens > 0);
  const head = tok.encode(text.slice(0, 1_000), null, { addSpecialTokens: false }).ids;
  assert.deepEqual(cut.ids.slice(1, 30), head.slice(0, 29));
  // Tokenizing only as far as truncation keeps cuts a pair exactly as the whole texts are cut.
  for (const [a, b] of [[multilingual(30_000), multilingual(3_000)], [multilingual(3_000), 'short pair'], [multilingual(5_000), multilingual(40_000)]] as const) {
    for (const maxLength of [16, 501, 4_000]) {
      const whole = tok.encode(a, b);
      const expected = tok.encode(a, b, { maxLength });
      const keepA = expected.sequenceIds.filter((s) => s === 0).length;
      const keepB = expected.sequenceIds.filter((s) => s === 1).length;
      const idsOf = (seq: 0 | 1) => whole.ids.filter((_, i) => whole.sequenceIds[i] === seq);
      assert.deepEqual(expected.ids.filter((_, i) => expected.sequenceIds[i] === 0), idsOf(0).slice(0, keepA));
      assert.deepEqual(expected.ids.filter((_, i) => expected.sequenceIds[i] === 1), idsOf(1).slice(0, keepB));
      assert.deepEqual([keepA, keepB], truncatedLengths(idsOf(0).length, idsOf(1).length, maxLength - 4, 'longest_first'));
    }
  }
});

test('a long text gets the word ids a short one does: each added token is a word of its own', () => {
  const unit = 'café<mask>bon ';
  assert.deepEqual(new Set(tok.encode(unit, null, { addSpecialTokens: false }).wordIds).size, 3, "'café<mask>bon' is three words, as HF cuts it");
  const count = 400;
  const long = unit.repeat(count);
  assert.ok(long.length > LONG_TEXT_PIECE);
  const ids = tok.encode(long, null, { addSpecialTokens: false }).wordIds;
  assert.equal(new Set(ids).size, 3 * count, 'three words a unit, however the text is cut into pieces');
});
