import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDataset, validateDataset } from '../../src/engine/data/dataset.js';
import { DataErrorsError } from '../../src/engine/data/issues.js';
import { loadDataset } from '../../src/engine/data/memory.js';
import { collect, lines, tempFolder } from './temp-files.js';

const files = tempFolder('policy');

// Lines 2, 4 and 7 are bad; 1, 3, 5, 6, 8 are good.
const mixed = [
  '{"text":"one","label":"a"}',
  '{"text":"two","label":}',
  '{"text":"three","label":"b"}',
  '{"text":"","label":"a"}',
  '{"text":"five","label":"a"}',
  '{"text":"six","label":"b"}',
  'not json',
  '{"text":"eight","label":"b"}',
].join('\n');

test("'skip' yields every good row and reports every bad one", async () => {
  const path = files.write('mixed.jsonl', mixed);
  const ds = await openDataset(path, { onError: 'skip' });
  const rows = await collect(ds);
  assert.deepEqual(lines(rows), [1, 3, 5, 6, 8]);
  assert.deepEqual(rows.map((r) => r.text), ['one', 'three', 'five', 'six', 'eight']);
  assert.equal(ds.report.rows, 5);
  assert.equal(ds.report.errorCount, 3);
  assert.deepEqual(ds.report.errors.map((e) => e.line), [2, 4, 7]);
});

test("'skip' keeps the good rows of a bad file in memory too (the good rows still train)", async () => {
  const path = files.write('mixed-load.jsonl', mixed);
  const data = await loadDataset(path, { onError: 'skip' });
  assert.equal(data.size, 5);
  assert.deepEqual(data.labels, ['a', 'b']);
  assert.deepEqual(Array.from({ length: data.size }, (_, i) => data.labelId(i)), [0, 1, 0, 1, 1]);
});

test("'stop' (the default) refuses the file at the end when it holds fewer bad rows than the limit, listing them", async () => {
  const path = files.write('mixed-stop.jsonl', mixed);
  const ds = await openDataset(path);
  await assert.rejects(collect(ds), (e: unknown) => {
    assert.ok(e instanceof DataErrorsError);
    assert.equal(e.code, 'data/bad-rows');
    assert.equal(e.errorCount, 3);
    assert.deepEqual(e.errors.map((x) => x.line), [2, 4, 7]);
    assert.match(e.message, /3 bad rows/);
    assert.ok(e.message.includes(`${path}:2:23: invalid JSON`), e.message);
    assert.ok(e.message.includes(`${path}:4:9: 'text' (the text) is empty`), e.message);
    assert.match(e.message, /onError 'skip'/);
    assert.deepEqual(e.place, { file: path, line: 2, column: 23 });
    return true;
  });
});

test("'stop' gives up as soon as it holds maxErrors errors, without reading further", async () => {
  const path = files.write('mixed-max.jsonl', mixed);
  const seen: number[] = [];
  const ds = await openDataset(path, { maxErrors: 2, onIssue: (issue) => seen.push(issue.line) });
  await assert.rejects(collect(ds), (e: unknown) => {
    assert.ok(e instanceof DataErrorsError);
    assert.match(e.message, /stopped after the first 2 bad rows/);
    assert.deepEqual(e.errors.map((x) => x.line), [2, 4]);
    return true;
  });
  assert.deepEqual(seen, [2, 4], 'line 7 was never reached');
});

test('the report keeps the first maxReported problems and counts the rest', async () => {
  const rows = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? '{"text":"ok","label":"a"}' : 'bad'));
  const path = files.write('many.jsonl', rows.join('\n'));
  const report = await validateDataset(path, { onError: 'skip', maxReported: 5 });
  assert.equal(report.rows, 10);
  assert.equal(report.errorCount, 20);
  assert.equal(report.errors.length, 5);
});

test('every pass starts a fresh report: a dataset can be streamed once per epoch', async () => {
  const path = files.write('epochs.jsonl', mixed);
  const ds = await openDataset(path, { onError: 'skip' });
  assert.equal((await collect(ds)).length, 5);
  assert.equal((await collect(ds)).length, 5);
  assert.equal(ds.report.errorCount, 3);
  assert.equal(ds.report.rows, 5);
});
