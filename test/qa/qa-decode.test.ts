import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAnswer, DEFAULT_DECODE } from '../../src/engine/qa/decode.js';
import { encodeQuestion } from '../../src/engine/qa/features.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson } from '../helpers/tiny-tokenizer.js';

const json = makeTinyTokenizerJson();
const tokenizer = new XlmTokenizer({ tokenizerJson: json, tokenizerConfig: makeTinyTokenizerConfig(json) });

test('training windows: the answer tokens cover exactly the answer, windows without it point at <s>', () => {
  const context = 'I love 😀 Paris. The cat is in the house. Berlin is the capital of Germany. The dog is big and old.';
  const start = context.indexOf('Berlin');
  const windows = encodeQuestion(tokenizer, '  What is the capital of Germany?', context, { maxLength: 24, stride: 4 }, 0, { start, text: 'Berlin' });
  assert.ok(windows.length > 2);
  let holding = 0;
  for (const w of windows) {
    assert.equal(w.ids[1], tokenizer.encode('What', null, { addSpecialTokens: false }).ids[0], 'the question\'s leading spaces are stripped');
    if (w.start === 0) {
      assert.equal(w.end, 0);
      const spans = w.spans.filter((s) => s !== null);
      assert.ok(spans[0]![0] > start || spans[spans.length - 1]![1] < start + 6, 'a window pointing at <s> lacks the whole answer');
      continue;
    }
    holding++;
    assert.equal(context.slice(w.spans[w.start]![0], w.spans[w.end]![1]), 'Berlin');
  }
  assert.ok(holding >= 1);
});

test('n-best decoding: the best valid span, the max answer length, spans outside the context skipped, the null answer', () => {
  const context = 'Paris is big. Berlin is old.';
  // Window: <s> q </s> </s> Paris is big . Berlin is old . </s>, context tokens at 3..10.
  const spans: Array<[number, number] | null> = [null, null, null, [0, 5], [6, 8], [9, 12], [12, 13], [14, 20], [21, 23], [24, 27], [27, 28], null];
  const start = [5, 9, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0];
  const end = [5, 0, 9, 0, 0, 3, 0, 4, 0, 2.5, 0, 0];
  // The question token (1) and </s> (2) score highest but are not context: skipped. Best: Berlin (4 + 4).
  const d = decodeAnswer(context, [{ spans, startLogits: start, endLogits: end }], DEFAULT_DECODE);
  assert.equal(d.answer, 'Berlin');
  assert.deepEqual([d.nBest[0].start, d.nBest[0].end, d.nBest[0].score], [14, 20, 8]);
  assert.ok(d.nBest.every((s, i) => i === 0 || s.score <= d.nBest[i - 1].score));
  assert.ok(Math.abs(d.nBest.reduce((a, s) => a + s.probability, 0) - 1) < 1e-9);
  // No span longer than the limit: with 2 tokens, "Berlin is old" (3 tokens) is not a candidate.
  const short = decodeAnswer(context, [{ spans, startLogits: start, endLogits: end }], { ...DEFAULT_DECODE, maxAnswerLength: 2 });
  assert.ok(short.nBest.every((s) => s.text.split(' ').length <= 2));
  // SQuAD v2.0: the null score (<s>: 5 + 5 = 10) beats the best span (8) by 2: empty unless the threshold is above 2.
  assert.equal(decodeAnswer(context, [{ spans, startLogits: start, endLogits: end }], { ...DEFAULT_DECODE, allowNull: true }).answer, '');
  assert.equal(decodeAnswer(context, [{ spans, startLogits: start, endLogits: end }], { ...DEFAULT_DECODE, allowNull: true, nullThreshold: 2.5 }).answer, 'Berlin');
});

test('the same span from two overlapping windows is listed once, with its best score; the null score is the lowest over windows', () => {
  const context = 'Rome is old.';
  const w = (s: number, e: number) => ({ spans: [null, [0, 4], [5, 7], [8, 11], null] as Array<[number, number] | null>, startLogits: [s, 3, 0, 0, 0], endLogits: [e, 3, 0, 0, 0] });
  const d = decodeAnswer(context, [w(1, 1), w(0.5, 0)], { ...DEFAULT_DECODE, allowNull: true });
  assert.equal(d.nBest.filter((s) => s.text === 'Rome').length, 1);
  assert.equal(d.nullScore, 0.5);
  assert.equal(d.answer, 'Rome');
});
