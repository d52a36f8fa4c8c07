import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';
import { classify } from '../../src/engine/tasks/classify.js';
import { describeError } from '../../src/engine/errors.js';

async function fill(cache: ModelCache, dir: string) {
  return fillMask(await cache.model(dir), ['The capital of France is <mask>.'], { topK: 3 });
}

test('a truncated model.safetensors is an error naming the file, and the engine answers the next requests', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-broken-'));
  const good = join(root, 'good');
  const broken = join(root, 'broken');
  try {
    writeTinyXlmr(good, { seed: 1 });
    writeTinyXlmr(broken, { seed: 1 });
    const weights = join(broken, 'model.safetensors');
    truncateSync(weights, Math.floor(statSync(weights).size / 2));
    const cache = new ModelCache({ threads: 1 });

    await assert.rejects(fill(cache, broken), (e: Error) => {
      assert.equal(e.name, 'XlmError');
      // The located one-line message the CLI and the RPC error carry.
      assert.ok(describeError(e).startsWith(weights), `names the file: ${describeError(e)}`);
      return true;
    });
    // The same engine still serves a good model, and asking for the broken one again fails the same way.
    const answer = await fill(cache, good);
    assert.equal(answer[0].masks[0].candidates.length, 3);
    await assert.rejects(fill(cache, broken), (e) => describeError(e).includes(weights));

    // Once the file is whole again, the same folder loads: a failure is not cached.
    writeTinyXlmr(broken, { seed: 1 });
    const repaired = await fill(cache, broken);
    assert.deepEqual(repaired[0].masks[0].candidates.map((c) => c.id), answer[0].masks[0].candidates.map((c) => c.id));
    await cache.closeAll();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('asking a model for a head it does not have names the file and the head', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-nohead-'));
  try {
    writeTinyXlmr(dir, { head: 'mlm' });
    const cache = new ModelCache({ threads: 1 });
    await assert.rejects(classify(await cache.model(dir), [{ text: 'Hello' }]), (e: Error) => e.name === 'XlmError' && /model\.safetensors: this model has no classification head, which classification needs: it is a masked-language model \(it fills masks\)\. To fix: fine-tune a classifier/.test(describeError(e)));
    await cache.closeAll();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model folder rewritten on disk (a new checkpoint) is loaded afresh on the next request', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-reload-'));
  try {
    writeTinyXlmr(dir, { seed: 1 });
    const cache = new ModelCache({ threads: 1 });
    const first = await fill(cache, dir);
    assert.equal(await cache.model(dir), await cache.model(dir), 'unchanged files: the same loaded model');
    writeTinyXlmr(dir, { seed: 2 });
    const second = await fill(cache, dir);
    assert.notDeepEqual(second[0].masks[0].candidates.map((c) => c.score), first[0].masks[0].candidates.map((c) => c.score));
    await cache.closeAll();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a text whose <mask> falls beyond the model length is refused, not answered without it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-long-'));
  try {
    writeTinyXlmr(dir, { seed: 1, maxPositionEmbeddings: 20 });
    const cache = new ModelCache({ threads: 1 });
    const model = await cache.model(dir);
    const long = `${'the city '.repeat(20)}is <mask>.`;
    await assert.rejects(fillMask(model, [long]), (e: Error) => e.name === 'XlmError' && /longer than the model's 18 tokens/.test(e.message));
    await cache.closeAll();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
