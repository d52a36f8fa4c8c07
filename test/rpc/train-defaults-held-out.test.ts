// train/defaults says how the rows it was given became the rows the table saw: the wizard showed "1200 rows" on one
// step and "defaults ... on 1080 rows" on the next, without the tenth held out for evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess } from '../helpers/engine-pair.js';

test('train/defaults names the held-out rows when it holds some out, and not when an eval file is given', async () => {
  const engine = connectEngineInProcess();
  try {
    const model = join(__dirname, '..', '..', 'models', 'default');
    const held = await engine.client.sendRequest(p.trainDefaults, { model, task: 'pair-classification', method: 'lora', rows: 1200 });
    assert.match(held.why, /^defaults for LoRA of classification on 1080 training rows \(1200 less 120 held out for evaluation\) with a small model/);
    const given = await engine.client.sendRequest(p.trainDefaults, { model, task: 'pair-classification', method: 'lora', rows: 1200, evalData: join(__dirname, 'x.jsonl') });
    assert.match(given.why, /on 1200 rows with a small model/);
    // The wizard's Start item says the short form.
    assert.deepEqual([held.chosenFor, given.chosenFor], ['1080 training rows and a small model', '1200 rows and a small model']);
  } finally {
    engine.dispose();
  }
});

test('train/defaults recommends full fine-tuning for a small model and LoRA for a base-sized one (the wizard offers it first)', async () => {
  const engine = connectEngineInProcess();
  const dir = mkdtempSync(join(tmpdir(), 'xlm-defaults-'));
  try {
    const small = join(__dirname, '..', '..', 'models', 'default');
    for (const method of ['lora', 'full'] as const) {
      assert.equal((await engine.client.sendRequest(p.trainDefaults, { model: small, task: 'sequence-classification', method, rows: 780 })).recommendedMethod, 'full');
    }
    // Only config.json is read: a base-sized config (hidden 768) is enough.
    const config = JSON.parse(readFileSync(join(small, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072 }));
    assert.equal((await engine.client.sendRequest(p.trainDefaults, { model: dir, task: 'sequence-classification', method: 'lora', rows: 780 })).recommendedMethod, 'lora');
  } finally {
    engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
