import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDefaultModel, DEFAULT_MODEL_FOLDER } from '../../src/engine/pretrain/default-model.js';
import type { PretrainProgress } from '../../src/engine/pretrain/pretrain.js';
import { loadRecipe } from '../../src/engine/pretrain/recipe.js';

const TINY = loadRecipe(resolve(__dirname, '../../recipes/tiny.json'));
const QUICK = { ...TINY, steps: 4, warmupSteps: 1 };

function recorder() {
  const phases: PretrainProgress['phase'][] = [];
  return { phases, onProgress: (p: PretrainProgress) => phases.push(p.phase) };
}

test('the default model is built once, reused while the recipe is unchanged, rebuilt when it changes', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'xlm-default-'));
  try {
    const first = recorder();
    const built = await ensureDefaultModel({ cacheDir, recipe: QUICK, onProgress: first.onProgress });
    assert.equal(built.reused, false);
    assert.equal(built.dir, join(cacheDir, DEFAULT_MODEL_FOLDER));
    assert.ok(first.phases.includes('train'));
    const weights = join(built.dir, 'model.safetensors');
    const stamp = statSync(weights).mtimeMs;

    const second = recorder();
    const again = await ensureDefaultModel({ cacheDir, recipe: { ...QUICK }, onProgress: second.onProgress });
    assert.equal(again.reused, true);
    assert.equal(again.hash, built.hash);
    assert.deepEqual(second.phases, [], 'a reuse does no work');
    assert.equal(statSync(weights).mtimeMs, stamp, 'the folder is untouched');

    const third = recorder();
    const changed = await ensureDefaultModel({ cacheDir, recipe: { ...QUICK, seed: QUICK.seed + 1 }, onProgress: third.onProgress });
    assert.equal(changed.reused, false);
    assert.notEqual(changed.hash, built.hash);
    assert.ok(third.phases.includes('train'));
    assert.deepEqual(readdirSync(cacheDir), [DEFAULT_MODEL_FOLDER], 'no build or lock folders are left behind');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a cancelled build leaves no folder, and a stale lock of a dead process is broken', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'xlm-default-'));
  try {
    const lock = join(cacheDir, `${DEFAULT_MODEL_FOLDER}.lock`);
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), '999999999');
    const abort = new AbortController();
    const onProgress = (p: PretrainProgress) => {
      if (p.phase === 'train') abort.abort();
    };
    await assert.rejects(ensureDefaultModel({ cacheDir, recipe: QUICK, onProgress, signal: abort.signal }), /cancelled/);
    assert.ok(!existsSync(join(cacheDir, DEFAULT_MODEL_FOLDER)));
    assert.deepEqual(readdirSync(cacheDir), [], 'build folder and lock removed');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
