import { test } from 'node:test';
import assert from 'node:assert/strict';
import { languageLabel } from '../../media/lib/language-label.js';
import { detectScript, languageOfScript } from '../../src/engine/data/script.js';

test('the per-language table names languages in words and scripts as scripts, never a bare mix of both', () => {
  assert.equal(languageLabel('de'), 'German (de)');
  assert.equal(languageLabel('deu'), 'German (deu)');
  assert.equal(languageLabel('de-CH'), 'Swiss High German (de-CH)');
  assert.equal(languageLabel('ko'), 'Korean (ko)');
  assert.equal(languageLabel('Latin'), 'Latin script');
  assert.equal(languageLabel('Canadian_Aboriginal'), 'Canadian Aboriginal script');
  assert.equal(languageLabel('Unknown'), 'text of no known script');
  // A key that is neither stays as the data wrote it.
  assert.equal(languageLabel('xx'), 'xx');
  assert.equal(languageLabel('my-dialect-7'), 'my-dialect-7');
});

test('every key that evaluation guesses from a script reads as a language name or a script', () => {
  for (const text of ['Hello world', 'Привет мир', 'مرحبا', 'नमस्ते', 'ሰላም', '안녕하세요', 'สวัสดี', 'Γειά σου', '你好', 'こんにちは', 'שלום', 'გამარჯობა']) {
    const script = detectScript(text);
    const key = languageOfScript(script) ?? script;
    const label = languageLabel(key);
    assert.ok(/^[A-Z][\p{L} ]+ \([a-z]{2}\)$/u.test(label) || label.endsWith(' script'), `${text}: ${key} -> ${label}`);
  }
});
