// train/defaults says how the rows it was given became the rows the table saw: the wizard showed "1200 rows" on one
// step and "defaults ... on 1080 rows" on the next, without the tenth held out for evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
  } finally {
    engine.dispose();
  }
});
