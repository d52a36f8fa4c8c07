// Why the language-identification head's answer is not trusted under 20 letters (LANGUAGE_ID_MIN_LETTERS): on the
// examples' held-out UDHR paragraphs cut to their first N letters, the shipped model's head names the language right
// far less often, while its probabilities stay high. The hover shows no language for such a text; the CLI marks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { identifyLanguage, LANGUAGE_ID_MIN_LETTERS, tooShortForLanguageId } from '../../src/engine/tasks/language-id.js';

const ROOT = join(__dirname, '..', '..');

/** The text's first `n` letters, with what stands between them. */
function firstLetters(text: string, n: number): string {
  const chars = [...text];
  let letters = 0;
  let i = 0;
  for (; i < chars.length && letters < n; i++) if (/\p{L}/u.test(chars[i]!)) letters++;
  return chars.slice(0, i).join('');
}

test('under 20 letters a text is too short for the language-identification head; digits, spaces and marks do not count', () => {
  assert.equal(LANGUAGE_ID_MIN_LETTERS, 20);
  assert.equal(tooShortForLanguageId('How are you?'), true);
  assert.equal(tooShortForLanguageId('Hello, how are you today?'), true, '19 letters');
  assert.equal(tooShortForLanguageId('Hello, how are you today, friend?'), false);
  assert.equal(tooShortForLanguageId('1234567890 1234567890 !!!'), true);
  assert.equal(tooShortForLanguageId('東京は日本の首都です。東京は日本の首都です。'), false, 'twenty Han and kana letters');
});

test("the shipped model's head on held-out paragraphs cut to a few letters: at least 129 of 130 whole, at most 80% at 12 letters, at least 90% at 20", async () => {
  const rows = readFileSync(join(ROOT, 'examples', 'langid', 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string });
  const cache = new ModelCache({ threads: 1 });
  try {
    const model = await cache.model(join(ROOT, 'models', 'default'));
    const accuracy = async (n: number) => {
      const answers = await identifyLanguage(model, rows.map((r) => firstLetters(r.text, n)), { topK: 1 });
      return answers.filter((a, i) => a[0]!.label === rows[i]!.label).length / rows.length;
    };
    // Measured 2026-12-07 on the weights after the third pre-training stage: 1.000 whole, 0.931 at 20 letters, 0.800
    // at 12. Before it, with the head refitted without ckb: 0.992 whole (one Persian paragraph taken for Dari, whose
    // text differs by one word), 0.908 at 20, 0.777 at 12; the head fitted with ckb had 1.000, 0.915, 0.785.
    assert.ok((await accuracy(100_000)) >= 129 / 130);
    assert.ok((await accuracy(LANGUAGE_ID_MIN_LETTERS)) >= 0.9);
    assert.ok((await accuracy(12)) <= 0.8, 'a dozen letters is too few to tell a language by');
  } finally {
    await cache.closeAll();
  }
});
