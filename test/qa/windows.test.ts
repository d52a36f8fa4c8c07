import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer as HfTokenizer, TruncationStrategy } from 'tokenizers';
import { windowRanges } from '../../src/engine/tokenize/encoding.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson, TINY_MULTILINGUAL_SENTENCES } from '../helpers/tiny-tokenizer.js';

const json = makeTinyTokenizerJson();
const ours = new XlmTokenizer({ tokenizerJson: json, tokenizerConfig: makeTinyTokenizerConfig(json) });
const theirs = HfTokenizer.fromString(JSON.stringify(json));

test('window ranges: run_qa.py semantics (overlap of stride tokens, the last window ends at the last token)', () => {
  assert.deepEqual(windowRanges(5, 8, 3), [[0, 5]]);
  assert.deepEqual(windowRanges(10, 4, 1), [[0, 4], [3, 7], [6, 10]]);
  assert.deepEqual(windowRanges(10, 4, 0), [[0, 4], [4, 8], [8, 10]]);
  assert.deepEqual(windowRanges(9, 4, 2), [[0, 4], [2, 6], [4, 8], [6, 9]]);
  assert.throws(() => windowRanges(10, 4, 4), /stride is 4; it must be at least 0 and less than the 4 tokens/);
});

const CONTEXT = TINY_MULTILINGUAL_SENTENCES.slice(0, 6).join(' ') + ' 😀 𠀀 ' + TINY_MULTILINGUAL_SENTENCES.slice(6, 9).join(' ');
const QUESTIONS = ['Where?', TINY_MULTILINGUAL_SENTENCES[1]];

/**
 * run_qa.py's windows are tokenizers' `Encoding::truncate(budget, stride)` applied to the context (only_second),
 * each part put into the pair template. The npm build of tokenizers 0.23.2 returns too few overflowing encodings
 * from `Tokenizer.encode` with a stride (2 or 3 windows for a context that needs 18, the last not reaching its end),
 * so the test takes the parts from `Encoding.truncate` itself, and the template from encode's first window.
 */
for (const [maxLength, stride] of [[24, 8], [30, 0], [16, 3], [64, 16], [2000, 128]] as const) {
  test(`windows of max length ${maxLength}, stride ${stride}: tokenizers' Encoding.truncate parts in the pair template`, async () => {
    for (const question of QUESTIONS) {
      theirs.disableTruncation();
      const q = (await theirs.encode(question, null, { addSpecialTokens: false })).getIds();
      const context = await theirs.encode(CONTEXT, null, { addSpecialTokens: false });
      const budget = maxLength - 4 - q.length;
      const windows = ours.encodeWindows(question, CONTEXT, { maxLength, stride });
      let parts: number[][];
      if (context.getLength() <= budget) parts = [context.getIds()];
      else {
        context.truncate(budget, stride, 'right');
        parts = [context.getIds(), ...context.getOverflowing().map((o) => o.getIds())];
      }
      assert.equal(windows.length, parts.length, `${question}: window count`);
      theirs.setTruncation(maxLength, { strategy: TruncationStrategy.OnlySecond });
      assert.deepEqual(windows[0].ids, (await theirs.encode(question, CONTEXT)).getIds(), `${question}: the first window is only_second truncation's encoding`);
      const whole = ours.encode(CONTEXT, null, {});
      windows.forEach((w, k) => {
        assert.deepEqual(w.ids, [0, ...q, 2, 2, ...parts[k], 2], `${question}: window ${k} ids`);
        assert.deepEqual(w.sequenceIds, [null, ...q.map(() => 0), null, null, ...parts[k].map(() => 1), null], `${question}: window ${k} sequence ids`);
        assert.ok(w.ids.length <= maxLength);
        // A context token's span is the one it has in the whole context, so answers map back to exact characters.
        const first = k === 0 ? 0 : windows.slice(0, k).length * (budget - stride);
        w.offsets.forEach((span, i) => {
          if (w.sequenceIds[i] !== 1) return;
          const j = first + i - (q.length + 3);
          assert.deepEqual(span, whole.offsets[j + 1], `${question}: window ${k} token ${i} span`);
        });
      });
      if (maxLength < 64) assert.ok(windows.length > 2, 'the context overflows into several windows');
    }
  });
}

test('a question that leaves no room for the context is refused, as only_second truncation refuses it', () => {
  assert.throws(() => ours.encodeWindows(TINY_MULTILINGUAL_SENTENCES.join(' '), 'short', { maxLength: 10, stride: 2 }), /the question has \d+ tokens and max length 10 leaves no room for the context/);
});
