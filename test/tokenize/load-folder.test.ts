/**
 * Loading a tokenizer from a model folder: the three files, the precedence of tokenizer_config.json over
 * special_tokens_map.json, and errors that name the file (and line and column for broken JSON).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTinySpecialTokensMap, makeTinyTokenizerConfig, makeTinyTokenizerJson, tinyVocabSize } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { isXlmError, XlmError } from '../../src/engine/errors.js';

function withFolder(files: Record<string, string>, run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-tok-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const json = JSON.stringify(makeTinyTokenizerJson(), null, 2);

test('a folder with the three files loads and encodes like the objects', () => {
  withFolder({
    'tokenizer.json': json,
    'tokenizer_config.json': JSON.stringify(makeTinyTokenizerConfig()),
    'special_tokens_map.json': JSON.stringify(makeTinySpecialTokensMap()),
  }, (dir) => {
    const tok = XlmTokenizer.fromFolder(dir);
    assert.equal(tok.vocabSize, tinyVocabSize());
    assert.equal(tok.maskId, tinyVocabSize() - 1);
    assert.deepEqual(tok.encode('Paris <mask>').ids, [0, tok.tokenToId('▁Paris'), tok.maskId, 2]);
  });
});

test('tokenizer.json alone is enough; tokenizer_config.json wins over special_tokens_map.json', () => {
  withFolder({ 'tokenizer.json': json }, (dir) => {
    const tok = XlmTokenizer.fromFolder(dir);
    assert.deepEqual([tok.clsId, tok.sepId, tok.padId, tok.unkId, tok.maskId], [0, 2, 1, 3, tinyVocabSize() - 1]);
    assert.equal(tok.modelMaxLength, undefined);
  });
  withFolder({
    'tokenizer.json': json,
    'special_tokens_map.json': JSON.stringify({ pad_token: '<unk>' }),
    'tokenizer_config.json': JSON.stringify({ pad_token: { content: '</s>' }, model_max_length: 1e30 }),
  }, (dir) => {
    const tok = XlmTokenizer.fromFolder(dir);
    assert.equal(tok.padId, 2);
    assert.equal(tok.modelMaxLength, undefined, 'transformers writes 1e30 when there is no limit');
  });
});

test('errors name the file and say what to do', () => {
  withFolder({}, (dir) => {
    assert.throws(() => XlmTokenizer.fromFolder(dir), (e) => isXlmError(e) && e.place.file === join(dir, 'tokenizer.json') && /missing/.test(e.message));
  });
  withFolder({ 'sentencepiece.bpe.model': 'x' }, (dir) => {
    assert.throws(() => XlmTokenizer.fromFolder(dir), (e) => isXlmError(e) && /save_pretrained/.test(e.message));
  });
  withFolder({ 'tokenizer.json': '{\n  "model": {\n    "type": "Unigram",\n  }\n}' }, (dir) => {
    assert.throws(() => XlmTokenizer.fromFolder(dir), (e) => {
      assert.ok(e instanceof XlmError);
      assert.equal(e.code, 'bad-json');
      assert.equal(e.place.file, join(dir, 'tokenizer.json'));
      assert.equal(e.place.line, 4);
      return true;
    });
  });
  withFolder({ 'tokenizer.json': '{"version": "1.0"}' }, (dir) => {
    assert.throws(() => XlmTokenizer.fromFolder(dir), (e) => isXlmError(e) && e.place.what === 'model');
  });
  withFolder({ 'tokenizer.json': json, 'tokenizer_config.json': '[1]' }, (dir) => {
    assert.throws(() => XlmTokenizer.fromFolder(dir), (e) => isXlmError(e) && e.place.file === join(dir, 'tokenizer_config.json'));
  });
});

test('a tokenizer without a pad or mask token says so when one is needed', () => {
  const bare = makeTinyTokenizerJson() as { added_tokens: Array<{ content: string }>; model: { vocab: Array<[string, number]> } };
  const renamed = {
    ...bare,
    added_tokens: bare.added_tokens.map((t) => (t.content === '<pad>' ? { ...t, content: '<nopad>' } : t.content === '<mask>' ? { ...t, content: '<nomask>' } : t)),
    model: { ...bare.model, vocab: bare.model.vocab.map(([p, s]): [string, number] => [p === '<pad>' ? '<nopad>' : p === '<mask>' ? '<nomask>' : p, s]) },
  };
  const tok = new XlmTokenizer({ tokenizerJson: renamed });
  assert.equal(tok.special.pad, null);
  assert.deepEqual(tok.encode('Paris').ids.length, 3);
  assert.throws(() => tok.encodeBatch(['Paris', 'Paris is']), (e) => isXlmError(e) && /pad_token/.test(e.message));
  assert.throws(() => tok.maskId, (e) => isXlmError(e) && /mask_token/.test(e.message));
});
