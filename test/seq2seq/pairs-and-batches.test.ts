// Parallel pairs as translation training reads them (the minimal TSV / JSONL reader) and batches grouped by
// source length, then target length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isXlmError } from '../../src/engine/errors.js';
import { bucketKey, collatePairs } from '../../src/engine/seq2seq/features.js';
import { readParallelFile } from '../../src/engine/seq2seq/pairs.js';
import { epochBatches } from '../../src/engine/train/batching.js';

function withFile(name: string, text: string, check: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-pairs-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, text);
    check(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('TSV and JSONL pairs are read; blank lines are skipped', () => {
  withFile('p.tsv', 'Hello\tBonjour\n\nThank you\tMerci\n', (f) => assert.deepEqual(readParallelFile(f), [{ source: 'Hello', target: 'Bonjour' }, { source: 'Thank you', target: 'Merci' }]));
  withFile('p.jsonl', '{"source": "Hello", "target": "Hallo"}\n', (f) => assert.deepEqual(readParallelFile(f), [{ source: 'Hello', target: 'Hallo' }]));
});

const bad: [string, string, RegExp, number][] = [
  ['p.tsv', 'Hello\tBonjour\nno tab here\n', /no tab/, 2],
  ['p.tsv', 'Hello\t \n', /target side is empty/, 1],
  ['p.jsonl', '{"source": "", "target": "x"}\n', /source side is empty/, 1],
  ['p.jsonl', '{"source": "a", "target": "b"}\n[1, 2]\n', /expected an object/, 2],
  ['p.jsonl', '{"source": "a",\n', /not a JSON object/, 1],
];
for (const [name, text, message, line] of bad) {
  test(`a bad ${name} line is an error naming the file and line ${line}: ${message}`, () => {
    withFile(name, text, (f) => {
      assert.throws(() => readParallelFile(f), (e) => isXlmError(e) && message.test(e.message) && e.place.file === f && e.place.line === line);
    });
  });
}

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
