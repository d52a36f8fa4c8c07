/**
 * Truncation to a maximum length that counts the special tokens: single texts lose their end; pairs lose
 * tokens longest-first, one at a time, ties from the second text (Hugging Face's rule).
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

/** Hugging Face's longest-first loop, written out literally as the reference. */
function hfLongestFirst(a: number, b: number, budget: number): [number, number] {
  for (let remove = a + b - budget; remove > 0; remove--) {
    if (a > b) a--;
    else b--;
  }
  return [a, b];
}

test('longest-first lengths equal the one-token-at-a-time loop on every small case', () => {
  for (let a = 0; a <= 12; a++) {
    for (let b = 0; b <= 12; b++) {
      for (let budget = 0; budget <= a + b + 1; budget++) {
        const expected = a + b <= budget ? [a, b] : hfLongestFirst(a, b, budget);
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
  assert.throws(() => tok.encode(a, b, { maxLength: 3 }), (e) => isXlmError(e) && /at least 4/.test(e.message));
  assert.throws(() => tok.encode(a, null, { maxLength: 1 }), (e) => isXlmError(e) && /at least 2/.test(e.message));
});
