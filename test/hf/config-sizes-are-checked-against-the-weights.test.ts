// config.json decides what the model builder allocates; its sizes are checked against the stored weights
// (headers only) before anything is built, so a config that claims more than the checkpoint holds is a clear
// error naming config.json and the key instead of minutes of allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmError } from '../../src/engine/errors.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

const cases: Array<{ key: string; value: number; found: RegExp }> = [
  { key: 'num_hidden_layers', value: 200, found: /have 2 \(encoder layers\)/ },
  { key: 'vocab_size', value: 3_000_000, found: /have \d+ \(rows of roberta\.embeddings\.word_embeddings\.weight\)/ },
  { key: 'max_position_embeddings', value: 100_000, found: /have 40 \(rows of roberta\.embeddings\.position_embeddings\.weight\)/ },
  { key: 'intermediate_size', value: 100_000, found: /have 32 \(rows of roberta\.encoder\.layer\.0\.intermediate\.dense\.weight\)/ },
  { key: 'type_vocab_size', value: 1000, found: /have 1 \(rows of/ },
];

for (const c of cases) {
  for (const task of [undefined, 'mlm', 'encoder'] as const) {
    test(`config.json with ${c.key} ${c.value} beyond the weights is refused before building (task ${task ?? 'none'})`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'xlm-config-size-'));
      try {
        writeTinyXlmr(dir, { numLayers: 2, hiddenSize: 8, intermediateSize: 32, maxPositionEmbeddings: 40, typeVocabSize: 1 });
        const path = join(dir, 'config.json');
        writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), [c.key]: c.value }));
        assert.throws(
          () => loadModelFolder(dir, task ? { head: task } : {}),
          (e: unknown) => {
            assert.ok(e instanceof XlmError, String(e));
            assert.equal(e.code, 'hf/config-mismatch');
            assert.equal(e.place.file, path);
            assert.equal(e.place.what, c.key);
            assert.match(e.message, new RegExp(`"${c.key}" is ${c.value}, but the weights`));
            assert.match(e.message, c.found);
            return true;
          },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
