// xlm train on a terminal prints each logged step and evaluation as a line for people (step of total, loss, learning
// rate, examples/s, time left); piped, or with --json, the JSON lines scripts read. metrics.jsonl is JSON either way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepLines, timeInWords } from '../../src/engine/cli/train.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
let base: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-train-lines-'));
  base = join(root, 'base');
  writeTinyXlmr(base, { head: 'mlm', seed: 4, std: 0.1 });
  const words = ['Paris', 'Berlin', 'Madrid', 'cats', 'dogs', 'world'];
  writeFileSync(join(root, 'cls.jsonl'), words.flatMap((w, i) => ['here', 'there'].map((k) => JSON.stringify({ text: `The ${w} is ${k}.`, label: i < 3 ? 'city' : 'other' }))).join('\n') + '\n');
});
after(() => rmSync(root, { recursive: true, force: true }));

const args = (out: string) => ['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--eval', join(root, 'cls.jsonl'), '--out', out, '--batch-size', '4', '--max-steps', '6', '--eval-every', '3', '--threads', '2'];

test('on a terminal: one line per step and per evaluation, in words, and no JSON; metrics.jsonl stays JSON', async () => {
  const out = join(root, 'tty');
  const r = await runXlm(args(out), { tty: true });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 8, r.stdout);
  assert.ok(lines.every((l) => !l.startsWith('{')), r.stdout);
  const steps = lines.filter((l) => l.startsWith('step '));
  assert.equal(steps.length, 6);
  assert.match(steps[0]!, /^step 1\/6 \(epoch 0\.33\): loss \d+\.\d{4}, lr (0|\d\.\de-\d), \d+\.\d examples\/s$/);
  // From the second step on, the time left at the pace so far; none on the last.
  assert.match(steps[1]!, /^step 2\/6 \(epoch 0\.67\): .*, about \d+ s left$/);
  assert.doesNotMatch(steps[5]!, /left/);
  const evals = lines.filter((l) => l.startsWith('evaluation at step '));
  assert.equal(evals.length, 2);
  assert.match(evals[0]!, /^evaluation at step 3: loss \d+\.\d{4}, accuracy \d+\.\d%, macro_f1 \d+\.\d%/);
  assert.doesNotMatch(evals[0]!, /\//, 'per-language figures stay out of the line');
  // Whether onnxruntime's threads spin, decided by the machine's load as the step sessions are made, said once.
  assert.equal(r.stderr.match(/xlm train: onnxruntime's threads (spin|do not spin) between operations: .*load \d+\.\d\d over the last minute/g)?.length, 1, r.stderr);
  const recorded = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(recorded.length, 8);
});

test('with --json on a terminal, and when piped, the JSON lines', async () => {
  for (const [name, opts, extra] of [['json', { tty: true }, ['--json']], ['piped', {}, []]] as const) {
    const r = await runXlm([...args(join(root, name)), ...extra], opts);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.filter((l) => 'loss' in l).length, 6, name);
    assert.equal(lines.filter((l) => 'eval' in l).length, 2, name);
  }
});

test('time left: remaining steps at the pace since the first logged step, in words', () => {
  let now = 0;
  const lines = new StepLines(() => now);
  lines.progress({ step: 0, totalSteps: 100, epoch: 0, phase: 'training' });
  const at = (step: number) => lines.line({ step, epoch: step / 50, loss: 1, lr: 1e-3, grad_norm: 1, examples_per_s: 10, tokens_per_s: 100 });
  assert.doesNotMatch(at(10), /left/);
  now = 20_000; // 10 steps in 20 s: 2 s a step, 80 steps to go
  assert.match(at(20), /^step 20\/100 \(epoch 0\.40\): loss 1\.0000, lr 1\.0e-3, 10\.0 examples\/s, about 3 min left$/);
  assert.equal(timeInWords(45), '45 s');
  assert.equal(timeInWords(3900), '1 h 05 min');
  assert.equal(timeInWords(3590), '1 h 00 min');
  assert.equal(timeInWords(7190), '2 h 00 min');
});
