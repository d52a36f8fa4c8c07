// Translation batches: grouped by source length, then target length; each side padded on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketKey, collatePairs } from '../../src/engine/seq2seq/features.js';
import { epochBatches } from '../../src/engine/train/batching.js';

test('batches group pairs by source length, then target length, and pad each side on its own', () => {
  const features = Array.from({ length: 40 }, (_, i) => ({ source: new Array<number>(3 + (i * 7) % 20).fill(5), labels: new Array<number>(2 + (i * 11) % 13).fill(6) }));
  const batches = epochBatches(features.map(bucketKey), 4, true, 1, 0);
  for (const b of batches) {
    const keys = b.map((i) => [features[i].source.length, features[i].labels.length]);
    for (let k = 1; k < keys.length; k++) assert.ok(keys[k - 1][0] > keys[k][0] || (keys[k - 1][0] === keys[k][0] && keys[k - 1][1] >= keys[k][1]), `batch ${JSON.stringify(keys)} is sorted`);
  }
  const collated = collatePairs([features[0], features[1]], { padTokenId: 1, decoderStartTokenId: 9 });
  assert.deepEqual(collated.feeds.input_ids.dims, [2, Math.max(features[0].source.length, features[1].source.length)]);
  const labels = Array.from(collated.feeds.labels.data as BigInt64Array, Number);
  const decoder = Array.from(collated.feeds.decoder_input_ids.data as BigInt64Array, Number);
  const width = collated.feeds.labels.dims[1];
  assert.equal(decoder[0], 9, 'the decoder starts with decoder_start_token_id');
  assert.deepEqual(decoder.slice(1, features[0].labels.length), labels.slice(0, features[0].labels.length - 1), 'then the labels shifted right');
  assert.ok(labels.slice(features[1].labels.length + width).every((l) => l === -100) || features[1].labels.length === width, 'label padding is ignored (-100)');
});
