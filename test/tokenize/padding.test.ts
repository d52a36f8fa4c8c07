/**
 * Batches are padded to their longest member with the pad id, an attention mask of 0 on padding,
 * right by default or left on request, and turn into int64 data for onnxruntime.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { batchInputs, toInt64 } from '../../src/engine/tokenize/encoding.js';
import { isXlmError } from '../../src/engine/errors.js';

function tiny(): XlmTokenizer {
  const tokenizerJson = makeTinyTokenizerJson();
  return new XlmTokenizer({ tokenizerJson, tokenizerConfig: makeTinyTokenizerConfig(tokenizerJson) });
}

const TEXTS = ['Paris', 'The capital of France is Paris.', 'Berlin is big'];

test('right padding appends pad ids with attention mask 0', () => {
  const tok = tiny();
  const batch = tok.encodeBatch(TEXTS);
  const single = TEXTS.map((t) => tok.encode(t));
  const longest = Math.max(...single.map((e) => e.ids.length));
  assert.equal(batch.length, longest);
  assert.equal(batch.padding, 'right');
  batch.encodings.forEach((e, i) => {
    const n = single[i].ids.length;
    assert.equal(e.ids.length, longest);
    assert.deepEqual(e.ids, [...single[i].ids, ...new Array(longest - n).fill(tok.padId)]);
    assert.deepEqual(e.attentionMask, [...new Array(n).fill(1), ...new Array(longest - n).fill(0)]);
    assert.deepEqual(e.wordIds.slice(n), new Array(longest - n).fill(null));
    assert.deepEqual(e.tokens.slice(n), new Array(longest - n).fill('<pad>'));
    assert.deepEqual(e.offsets.slice(0, n), single[i].offsets);
  });
});

test('left padding puts the pads first and keeps the real tokens in order', () => {
  const tok = tiny();
  const batch = tok.encodeBatch(TEXTS, { padding: 'left' });
  const single = TEXTS.map((t) => tok.encode(t));
  batch.encodings.forEach((e, i) => {
    const pad = batch.length - single[i].ids.length;
    assert.deepEqual(e.ids, [...new Array(pad).fill(tok.padId), ...single[i].ids]);
    assert.deepEqual(e.attentionMask, [...new Array(pad).fill(0), ...single[i].ids.map(() => 1)]);
    assert.deepEqual(e.sequenceIds.slice(pad), single[i].sequenceIds);
  });
});

test('pairs, truncation and padToMultipleOf combine', () => {
  const tok = tiny();
  const batch = tok.encodeBatch([['Paris', 'France'], 'The capital of France is Paris.'], { maxLength: 7, padToMultipleOf: 4 });
  assert.equal(batch.length, 8);
  assert.deepEqual(batch.encodings.map((e) => e.attentionMask.reduce((a, b) => a + b, 0)), [6, 7]);
  assert.deepEqual(batch.encodings[0].ids.slice(0, 6), tok.encode('Paris', 'France').ids);
  assert.throws(() => tok.encodeBatch(['a'], { padToMultipleOf: 0 }), (e) => isXlmError(e));
});

test('batchInputs gives row-major BigInt64Array ids and mask', () => {
  const tok = tiny();
  const batch = tok.encodeBatch(TEXTS, { padding: 'left' });
  const { inputIds, attentionMask, dims } = batchInputs(batch);
  assert.deepEqual(dims, [3, batch.length]);
  assert.ok(inputIds instanceof BigInt64Array);
  assert.deepEqual(Array.from(inputIds, Number), batch.encodings.flatMap((e) => e.ids));
  assert.deepEqual(Array.from(attentionMask, Number), batch.encodings.flatMap((e) => e.attentionMask));
  assert.throws(() => toInt64([[1, 2], [3]]), (e) => isXlmError(e) && /pad the batch/.test(e.message));
});
