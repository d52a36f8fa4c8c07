import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDataset } from '../../src/engine/data/dataset.js';
import { loadDataset } from '../../src/engine/data/memory.js';
import { epochOrder, shuffleBatches, shuffleBuffer, shuffledIndices } from '../../src/engine/data/shuffle.js';
import { loadSplits, stratifiedSplit } from '../../src/engine/data/split.js';
import { createRng } from '../../src/engine/rng/rng.js';
import { collect, tempFolder } from './temp-files.js';

const files = tempFolder('shuffle');

/** 100 rows: label a on 60, b on 40; languages en/de alternating. */
function hundredRows(): string {
  return Array.from({ length: 100 }, (_, i) => JSON.stringify({ text: `row ${i}`, label: i < 60 ? 'a' : 'b', lang: i % 2 === 0 ? 'en' : 'de' })).join('\n');
}

test('loadDataset holds the same examples the stream yields, with label ids in sorted label order', async () => {
  const path = files.write('small.jsonl', '{"text":"x","label":"zeta","lang":"fr"}\n{"text":"y","label":"alpha"}\n{"text":"z","label":"zeta","lang":"en"}\n');
  const data = await loadDataset(path);
  assert.deepEqual(data.labels, ['alpha', 'zeta']);
  assert.deepEqual(data.languages, ['en', 'fr']);
  assert.deepEqual([0, 1, 2].map((i) => [data.labelId(i), data.languageId(i)]), [[1, 1], [0, -1], [1, 0]]);
  assert.deepEqual([...data], await collect(await openDataset(path)));
});

test('label ids follow id2label when given, and NER tags are ordered O, then B-/I- by type', async () => {
  const path = files.write('ids.jsonl', '{"text":"x","label":"pos"}\n{"text":"y","label":"neg"}\n');
  const data = await loadDataset(path, { id2label: { 1: 'pos', 0: 'neg' } });
  assert.deepEqual(data.labels, ['neg', 'pos']);
  assert.deepEqual([data.labelId(0), data.labelId(1)], [1, 0]);

  const ner = files.write('tags.conll', 'Anna B-PER\nin O\nRom B-LOC\n\nDie O\nUNO B-ORG\nSitzung I-ORG\n');
  const tagged = await loadDataset(ner);
  assert.deepEqual(tagged.labels, ['O', 'B-LOC', 'B-ORG', 'I-ORG', 'B-PER']);
  assert.deepEqual(Array.from(tagged.tagIds(1)!), [0, 2, 3]);
  assert.deepEqual(tagged.example(1).tags, ['O', 'B-ORG', 'I-ORG']);
});

test('shuffledIndices is a permutation fixed by the seed; each epoch gets its own order', () => {
  const a = shuffledIndices(50, createRng(1));
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(a, shuffledIndices(50, createRng(1)));
  assert.notDeepEqual(a, shuffledIndices(50, createRng(2)));
  assert.deepEqual(epochOrder(50, 42, 3), epochOrder(50, 42, 3));
  assert.notDeepEqual(epochOrder(50, 42, 0), epochOrder(50, 42, 1));
});

test('the shuffle buffer yields every row once, repeats for a seed, and never reaches further ahead than its window', async () => {
  const input = Array.from({ length: 1000 }, (_, i) => i);
  const out: number[] = [];
  for await (const x of shuffleBuffer(input, { bufferSize: 64, seed: 9 })) out.push(x);
  assert.deepEqual([...out].sort((x, y) => x - y), input);
  assert.notDeepEqual(out, input);
  out.forEach((value, position) => assert.ok(value < position + 64, `row ${value} came out at ${position}, beyond the window`));

  const again: number[] = [];
  for await (const x of shuffleBuffer(input, { bufferSize: 64, seed: 9 })) again.push(x);
  assert.deepEqual(again, out);

  async function* chunks() {
    for (let i = 0; i < input.length; i += 37) yield input.slice(i, i + 37);
  }
  const batched: number[] = [];
  for await (const batch of shuffleBatches(chunks(), { bufferSize: 64, seed: 9 })) batched.push(...batch);
  assert.deepEqual(batched, out, 'the batch form gives the same order');
});

test('a stratified split keeps each label and language share, is disjoint and repeats for a seed', async () => {
  const data = await loadDataset(files.write('hundred.jsonl', hundredRows()));
  const { train, eval: held } = stratifiedSplit(data, { evalFraction: 0.2, seed: 5 });
  assert.equal(held.size, 20);
  assert.equal(train.size, 80);
  const count = (d: typeof data, label: string, lang: string) => [...d].filter((e) => e.label === label && e.language === lang).length;
  // 30 rows in each (a, en) and (a, de) group → 6 held out each; 20 in each b group → 4.
  assert.deepEqual([count(held, 'a', 'en'), count(held, 'a', 'de'), count(held, 'b', 'en'), count(held, 'b', 'de')], [6, 6, 4, 4]);
  const heldTexts = new Set([...held].map((e) => e.text));
  assert.ok([...train].every((e) => !heldTexts.has(e.text)));
  assert.equal(new Set([...[...train].map((e) => e.text), ...heldTexts]).size, 100);

  const same = stratifiedSplit(data, { evalFraction: 0.2, seed: 5 });
  assert.deepEqual([...same.eval].map((e) => e.text), [...held].map((e) => e.text));
  const other = stratifiedSplit(data, { evalFraction: 0.2, seed: 6 });
  assert.notDeepEqual([...other.eval].map((e) => e.text), [...held].map((e) => e.text));
});

test('uneven groups: the held-out total is still round(fraction × rows), owed rows going to the largest remainders', async () => {
  const rows = ['a', 'a', 'a', 'b', 'b', 'c', 'c', 'c', 'c', 'c', 'c'].map((label, i) => JSON.stringify({ text: `t${i}`, label }));
  const data = await loadDataset(files.write('uneven.jsonl', rows.join('\n')));
  const { eval: held } = stratifiedSplit(data, { evalFraction: 0.3, seed: 1 });
  // exact shares 0.9, 0.6, 1.8 → floors 0, 0, 1; total round(3.3) = 3 → the two largest remainders (a 0.9, c 0.8) get one more.
  assert.deepEqual([...held].map((e) => e.label).sort(), ['a', 'c', 'c']);
});

test('explicit train and eval files: the eval file is read with the training label set', async () => {
  const train = files.write('train.jsonl', '{"text":"x","label":"pos"}\n{"text":"y","label":"neg"}\n');
  const good = files.write('dev.jsonl', '{"text":"z","label":"neg"}\n');
  const split = await loadSplits(train, { evalPath: good });
  assert.equal(split.how, 'files');
  assert.deepEqual(split.eval.labels, split.train.labels);
  assert.equal(split.eval.labelId(0), split.train.labels.indexOf('neg'));

  const unseen = files.write('dev-bad.jsonl', '{"text":"z","label":"neutral"}\n');
  await assert.rejects(loadSplits(train, { evalPath: unseen }), /dev-bad\.jsonl:1:\d+: label 'neutral' is not one of: neg, pos/);
});
