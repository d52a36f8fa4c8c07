// A killed default-model build leaves default-model.building-PID, as large as a model; the next use removes it
// once its process is gone, and never touches the build of a live process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_FOLDER, defaultModelStatus, ensureDefaultModel, loadDefaultRecipe } from '../../src/engine/pretrain/default-model.js';
import { PRETRAIN_INFO_FILE } from '../../src/engine/pretrain/pretrain.js';

test('builds left by dead processes are removed; a live build and the model stay', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'xlm-dead-builds-'));
  try {
    const recipe = loadDefaultRecipe();
    const status = defaultModelStatus({ cacheDir, recipe });
    // A ready default model (its files and recorded hash), so nothing is built here.
    mkdirSync(status.dir, { recursive: true });
    for (const file of ['config.json', 'model.safetensors']) writeFileSync(join(status.dir, file), '{}');
    writeFileSync(join(status.dir, PRETRAIN_INFO_FILE), JSON.stringify({ hash: status.hash }));
    // A pid that has exited: a child that ran and finished.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const dead = `${DEFAULT_MODEL_FOLDER}.building-${deadPid}`;
    const live = `${DEFAULT_MODEL_FOLDER}.building-${process.ppid}`;
    for (const name of [dead, live]) {
      mkdirSync(join(cacheDir, name));
      writeFileSync(join(cacheDir, name, 'model.safetensors'), Buffer.alloc(1000));
    }
    const result = await ensureDefaultModel({ cacheDir, recipe });
    assert.equal(result.reused, true);
    assert.ok(!existsSync(join(cacheDir, dead)), 'the dead build is gone');
    assert.deepEqual(readdirSync(cacheDir).sort(), [DEFAULT_MODEL_FOLDER, live].sort());
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
