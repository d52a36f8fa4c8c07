/**
 * Truncation to a maximum length that counts the special tokens: single texts lose their end; pairs are cut
 * as Hugging Face tokenizers' truncate_encodings cuts them (the odd token of an even split goes to the
 * longer text, to the second on a tie; only_first / only_second refuse to empty their text).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { truncatedLengths } from '../../src/engine/tokenize/encoding.js';
import { isXlmError } from '../../src/engine/errors.js';

function tiny(): XlmTokenizer {
  const tokenizerJson = makeTinyTokenizerJson();
  return new XlmTokenizer({ tokenizerJson, tokenizerConfig: makeTinyTokenizerConfig(tokenizerJson) });
}

/** tokenizers' LongestFirst branch (src/utils/truncation.rs), written out as the Rust reads. */
function hfLongestFirst(a: number, b: number, budget: number): [number, number] {
  let n1 = a;
  let n2 = b;
  const swap = n1 > n2;
  if (swap) [n1, n2] = [n2, n1];
  n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  return swap ? [n2, n1] : [n1, n2];
}

test('longest-first lengths equal tokenizers\' rule on every small case', () => {
  for (let a = 0; a <= 12; a++) {
    for (let b = 0; b <= 12; b++) {
      for (let budget = 0; budget <= a + b + 1; budget++) {
        const expected = budget === 0 ? [0, 0] : a + b <= budget ? [a, b] : hfLongestFirst(a, b, budget);
        assert.deepEqual(truncatedLengths(a, b, budget, 'longest_first'), expected, `a=${a} b=${b} budget=${budget}`);
      }
    }
  }
});

test('a single text keeps its first tokens and the template', () => {
  const tok = tiny();
  const full = tok.encode('The capital of France is Paris.');
  const cut = tok.encode('The capital of France is Paris.', null, { maxLength: 5 });
  assert.equal(cut.ids.length, 5);
  assert.deepEqual(cut.ids, [0, ...full.ids.slice(1, 4), 2]);
  assert.deepEqual(cut.offsets.slice(1, 4), full.offsets.slice(1, 4));
  assert.deepEqual(cut.wordIds, [null, 0, 1, 2, null]);
  assert.equal(cut.truncatedTokens, full.ids.length - 5);
  assert.equal(tok.encode('Paris', null, { maxLength: 5 }).truncatedTokens, 0, 'short texts are untouched');
  assert.deepEqual(tok.encode('Paris', null, { maxLength: 2 }).ids, [0, 2]);
});

test('a pair loses tokens from the longer text first, then alternately', () => {
  const tok = tiny();
  const a = 'The capital of France is Paris and Berlin is the capital of Germany';
  const b = 'Paris is big';
  const fa = tok.encode(a).ids.slice(1, -1);
  const fb = tok.encode(b).ids.slice(1, -1);
  assert.ok(fa.length > fb.length + 4);
  for (const maxLength of [6, 8, 10, 12, 14]) {
    const enc = tok.encode(a, b, { maxLength });
    const [ka, kb] = hfLongestFirst(fa.length, fb.length, maxLength - 4);
    assert.equal(enc.ids.length, Math.min(maxLength, fa.length + fb.length + 4));
    assert.deepEqual(enc.ids, [0, ...fa.slice(0, ka), 2, 2, ...fb.slice(0, kb), 2], `maxLength ${maxLength}`);
    assert.deepEqual(enc.sequenceIds.filter((s) => s === 1).length, kb);
  }
});

test('only_first and only_second cut one side; impossible limits are clear errors', () => {
  const tok = tiny();
  const a = 'The capital of France is Paris';
  const b = 'Berlin is the capital of Germany';
  const onlyFirst = tok.encode(a, b, { maxLength: 12, truncation: 'only_first' });
  assert.equal(onlyFirst.sequenceIds.filter((s) => s === 1).length, 6);
  assert.equal(onlyFirst.sequenceIds.filter((s) => s === 0).length, 2);
  const onlySecond = tok.encode(a, b, { maxLength: 12, truncation: 'only_second' });
  assert.equal(onlySecond.sequenceIds.filter((s) => s === 0).length, 6);
  assert.throws(() => tok.encode(a, b, { maxLength: 6, truncation: 'only_first' }), (e) => isXlmError(e) && /only_first/.test(e.message));
  // The second text (6 tokens) exactly fills the budget of 10: Hugging Face refuses rather than empty the first.
  assert.throws(() => tok.encode(a, b, { maxLength: 10, truncation: 'only_first' }), (e) => isXlmError(e) && /would lose every token/.test(e.message));
  assert.throws(() => tok.encode(a, b, { maxLength: 10, truncation: 'only_second' }), (e) => isXlmError(e) && /would lose every token/.test(e.message));
  assert.throws(() => tok.encode(a, null, { maxLength: 4, truncation: 'only_second' }), (e) => isXlmError(e) && /needs a text pair/.test(e.message));
  assert.deepEqual(tok.encode(a, null, { maxLength: 4, truncation: 'only_first' }).ids.length, 4);
  assert.throws(() => tok.encode(a, b, { maxLength: 3 }), (e) => isXlmError(e) && /at least 4/.test(e.message));
  assert.throws(() => tok.encode(a, null, { maxLength: 1 }), (e) => isXlmError(e) && /at least 2/.test(e.message));
});

test('the odd token of an even split goes to the second text, as in Hugging Face (a b / c d at 5)', () => {
  const tok = tiny();
  const sep = tok.sepId;
  const enc = tok.encode('a b', 'c d', { maxLength: 5 });
  // '▁a ▁ b' and '▁ c ▁ d': one content token left; tokenizers keeps the second text's '▁'.
  assert.deepEqual(enc.ids, [tok.clsId, sep, sep, tok.tokenToId('\u2581'), sep]);
  assert.deepEqual(truncatedLengths(3, 3, 5, 'longest_first'), [2, 3]);
  assert.deepEqual(truncatedLengths(4, 3, 5, 'longest_first'), [3, 2], 'the longer first text gets it');
});

test('a max length equal to the special tokens empties both texts, whatever the strategy', () => {
  const tok = tiny();
  for (const truncation of ['longest_first', 'only_first', 'only_second'] as const) {
    assert.deepEqual(tok.encode('a b', 'c d', { maxLength: 4, truncation }).tokens, ['<s>', '</s>', '</s>', '</s>'], truncation);
  }
  assert.deepEqual(tok.encode('a b', null, { maxLength: 2 }).tokens, ['<s>', '</s>']);
});
