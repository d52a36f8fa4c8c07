// data/audit over the real handler table, on a tiny random model (it learns nothing; what is checked here is the
// request's plumbing): progress notifications while the folds train (logistic regression by default, LoRA asked
// for), the result's flags in the protocol's shape, a CoNLL file audited per word, and a cancelled LoRA audit that
// answers RequestCancelled and leaves no fold behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { CancellationTokenSource, StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { createHandlers } from '../../src/engine/rpc/handlers.js';
import * as p from '../../src/engine/rpc/protocol.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let root: string;
let client: MessageConnection;
let server: MessageConnection;
const progress: p.DataAuditProgressParams[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-audit-rpc-'));
  writeTinyXlmr(join(root, 'model'), { head: 'mlm' });
  const rows = Array.from({ length: 16 }, (_, i) => ({ text: `row ${i} ${i % 2 ? 'good' : 'bad'}`, label: i % 2 ? 'pos' : 'neg' }));
  rows.push({ text: 'row 1 good', label: 'neg' });
  writeFileSync(join(root, 'data.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const sentences = Array.from({ length: 8 }, (_, i) => `Anna X B-PER\nlebt X O\nin X O\nRom${i} X B-LOC\n`);
  writeFileSync(join(root, 'ner.conll'), sentences.join('\n'));
  const a = new PassThrough();
  const b = new PassThrough();
  server = createMessageConnection(new StreamMessageReader(a), new StreamMessageWriter(b));
  client = createMessageConnection(new StreamMessageReader(b), new StreamMessageWriter(a));
  serveEngine(server, createHandlers(), { engineVersion: 'test', devices: () => [] });
  client.onNotification(p.dataAuditProgress, (params) => progress.push(params));
  client.listen();
});

after(() => {
  client.dispose();
  server.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('data/audit answers the flags with their places, after progress notifications through every fold', async () => {
  progress.length = 0;
  const out = join(root, 'run');
  const result = await client.sendRequest(p.dataAudit, { file: join(root, 'data.jsonl'), model: join(root, 'model'), folds: 2, out });
  assert.equal(result.rows, 17);
  assert.equal(result.task, 'seq-cls');
  assert.deepEqual([...result.labels].sort(), ['neg', 'pos'], "the file's labels, for the editor to name them");
  assert.equal(result.method, 'features');
  assert.equal(result.report, join(out, 'audit.json'));
  assert.ok(existsSync(result.report));
  assert.deepEqual(readdirSync(out), ['audit.json'], 'fold models are removed once they have predicted');
  const duplicate = result.flags.find((f) => f.kind === 'duplicate');
  assert.deepEqual(duplicate && [duplicate.line, duplicate.column, duplicate.endColumn, duplicate.given, duplicate.suggested, duplicate.fix], [17, 30, 35, 'neg', 'pos', { text: '"pos"' }]);
  assert.ok(progress.some((n) => /^reading rows with the model, 17\/17$/.test(n.message)), progress.map((n) => n.message).join(' | '));
  assert.ok(progress.some((n) => /^fold 2\/2: fitting, step \d+\/\d+$/.test(n.message)), progress.map((n) => n.message).join(' | '));
  const fractions = progress.map((n) => n.fraction);
  assert.deepEqual(fractions, [...fractions].sort((x, y) => x - y), 'progress only moves forward');
  assert.equal(fractions.at(-1), 1);
});

test('method lora fine-tunes each fold, with its steps as progress, and removes the fold models', async () => {
  progress.length = 0;
  const out = join(root, 'lora-run');
  const result = await client.sendRequest(p.dataAudit, { file: join(root, 'data.jsonl'), model: join(root, 'model'), folds: 2, method: 'lora', out });
  assert.equal(result.method, 'lora');
  assert.deepEqual(readdirSync(out), ['audit.json'], 'fold models are removed once they have predicted');
  assert.ok(progress.some((n) => /^fold 2\/2: fine-tuning, step \d+\/\d+$/.test(n.message)), progress.map((n) => n.message).join(' | '));
});

test('a CoNLL file is audited word by word: each tag flag spans the tag on its word\'s line', async () => {
  const file = join(root, 'ner.conll');
  const result = await client.sendRequest(p.dataAudit, { file, model: join(root, 'model'), folds: 2, out: join(root, 'ner-run') });
  assert.equal(result.task, 'token-cls');
  assert.equal(result.rows, 8);
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const f of result.flags.filter((x) => x.kind === 'tag')) {
    assert.equal(lines[f.line - 1].slice(f.column - 1, f.endColumn - 1), f.given, `line ${f.line}`);
    assert.equal(lines[f.line - 1].split(' ')[0], f.token);
  }
});

test('a cancelled audit answers RequestCancelled and leaves no fold model behind', async () => {
  progress.length = 0;
  const out = join(root, 'cancelled');
  const source = new CancellationTokenSource();
  const stop = client.onNotification(p.dataAuditProgress, (n) => {
    if (n.message.startsWith('fold 1/2: fine-tuning')) source.cancel();
  });
  try {
    await assert.rejects(client.sendRequest(p.dataAudit, { file: join(root, 'data.jsonl'), model: join(root, 'model'), folds: 2, method: 'lora', out }, source.token), (e: { code?: number }) => e.code === -32800);
  } finally {
    stop.dispose();
  }
  assert.ok(!existsSync(join(out, 'fold-1')), 'the unfinished fold is removed');
  assert.ok(!existsSync(join(out, 'audit.json')));
});
