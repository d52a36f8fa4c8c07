import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/engine/data/index.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { epochBatches } from '../../src/engine/train/batching.js';
import { collate, encodeDataset, IGNORE, maskTokens, type MaskingOptions } from '../../src/engine/train/features.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

test('token classification labels the first sub-token of each word and puts -100 on the rest and on specials', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-features-'));
  try {
    writeTinyXlmr(join(root, 'm'), { head: 'token-cls', seed: 1 });
    writeFileSync(join(root, 'ner.jsonl'), JSON.stringify({ tokens: ['Zażółć', 'Paris', 'cats'], tags: ['B-PER', 'B-LOC', 'O'] }) + '\n');
    const data = await loadDataset(join(root, 'ner.jsonl'), { kind: 'token-classification' });
    const tokenizer = XlmTokenizer.fromFolder(join(root, 'm'));
    const [f] = encodeDataset(data, tokenizer, 'token-cls', 64);
    const enc = tokenizer.encode('Zażółć Paris cats');
    assert.ok(enc.ids.length > 5, 'some word splits into several pieces');
    assert.equal(f.tokenLabels![0], IGNORE, '<s>');
    assert.equal(f.tokenLabels![f.tokenLabels!.length - 1], IGNORE, '</s>');
    const firsts = enc.wordIds.map((w, i) => (w !== null && w !== enc.wordIds[i - 1] ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(firsts.map((i) => data.labels[f.tokenLabels![i]]), ['B-PER', 'B-LOC', 'O']);
    assert.equal(f.tokenLabels!.filter((l) => l !== IGNORE).length, 3, 'later sub-tokens are ignored');
    const batch = collate([f, { ids: [0, 5, 2], tokenLabels: [IGNORE, 1, IGNORE] }], 'token-cls', 1);
    assert.deepEqual(batch.feeds.labels.dims, [2, f.ids.length]);
    assert.equal(Number((batch.feeds.labels.data as BigInt64Array)[f.ids.length + 3]), IGNORE, 'padding is ignored');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const masking: MaskingOptions = { probability: 0.15, wholeWord: false, maskId: 99, vocabSize: 100, specialIds: new Set([0, 1, 2, 3, 99]) };

test('masked-LM masking: about 15% of tokens, 80/10/10 mask/random/kept, never specials, fixed by the seed', () => {
  const ids = [0, ...Array.from({ length: 400 }, (_, i) => 4 + (i % 90)), 2];
  let chosen = 0;
  let masked = 0;
  let kept = 0;
  for (let seed = 0; seed < 50; seed++) {
    const m = maskTokens({ ids }, masking, seed);
    assert.deepEqual(maskTokens({ ids }, masking, seed), m, 'same seed, same masks');
    assert.ok(!m.positions.includes(0) && !m.positions.includes(ids.length - 1), 'specials are never masked');
    m.positions.forEach((p, k) => {
      assert.equal(m.labels[k], ids[p]);
      if (m.ids[p] === 99) masked++;
      else if (m.ids[p] === ids[p]) kept++;
    });
    chosen += m.positions.length;
  }
  const total = 50 * 400;
  assert.ok(Math.abs(chosen / total - 0.15) < 0.01, `chosen ${chosen / total}`);
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.03, `masked ${masked / chosen}`);
  // Kept includes the random replacements that happen to draw the same id (about 1 in 90).
  assert.ok(Math.abs(kept / chosen - 0.1) < 0.03, `kept ${kept / chosen}`);
});

test('whole-word masking masks every piece of a chosen word or none', () => {
  const ids = [0, ...Array.from({ length: 300 }, (_, i) => 4 + (i % 90)), 2];
  const wordIds = [null, ...Array.from({ length: 300 }, (_, i) => Math.floor(i / 3)), null];
  const m = maskTokens({ ids, wordIds }, { ...masking, wholeWord: true }, 7);
  const words = new Set(m.positions.map((p) => wordIds[p]));
  assert.ok(words.size > 5);
  assert.equal(m.positions.length, words.size * 3);
});

test('length grouping: every example once per epoch, less padding than file order, same batches for the same (seed, epoch)', () => {
  const lengths = Array.from({ length: 200 }, (_, i) => 5 + ((i * 37) % 60));
  const padded = (batches: number[][]) => batches.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])), 0);
  const grouped = epochBatches(lengths, 8, true, 3, 0);
  assert.deepEqual(grouped.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
  assert.deepEqual(epochBatches(lengths, 8, true, 3, 0), grouped);
  assert.notDeepEqual(epochBatches(lengths, 8, true, 3, 1), grouped, 'another epoch, another order');
  const plain = epochBatches(lengths, 8, false, 3, 0);
  assert.deepEqual(plain[0], [0, 1, 2, 3, 4, 5, 6, 7], '--no-shuffle keeps file order');
  assert.ok(padded(grouped) < 0.8 * padded(plain), `padded tokens ${padded(grouped)} vs ${padded(plain)}`);
});
