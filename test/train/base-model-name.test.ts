import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { baseModelNameOrPath } from '../../src/engine/train/checkpoint.js';

test('base_model_name_or_path: the Hub id for a Hub cache snapshot, else the folder name', () => {
  const commit = 'a'.repeat(40);
  assert.equal(baseModelNameOrPath(join('/home/u/.cache/huggingface/hub', 'models--FacebookAI--xlm-roberta-base', 'snapshots', commit)), 'FacebookAI/xlm-roberta-base');
  assert.equal(baseModelNameOrPath(join('/cache', 'models--xlm-roberta-base', 'snapshots', commit)), 'xlm-roberta-base');
  assert.equal(baseModelNameOrPath('/work/models/my-xlmr/'), 'my-xlmr');
  assert.equal(baseModelNameOrPath(join('/cache', 'models--a--b', 'snapshots', commit, 'sub')), 'sub');
});
