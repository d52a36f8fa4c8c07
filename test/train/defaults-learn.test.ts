/**
 * The defaults table (src/engine/train/defaults.ts) on the shipped default model: `xlm train` with no --lr, --epochs
 * or --warmup-ratio learns language identification on a slice of examples/langid (test accuracy far above the
 * majority class, verdict.json says it learned), while the old flat default (2e-5) leaves the loss at chance and the
 * run's verdict says so, with what to try.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BATCH_SIZE, trainingDefaults } from '../../src/engine/train/defaults.js';
import { runXlm } from '../helpers/cli.js';
import { writeNerSample } from '../helpers/ner-sample.js';

const ROOT = join(__dirname, '..', '..');
const MODEL = join(ROOT, 'models', 'default');
const LANGUAGES = ['eng', 'deu', 'rus', 'arb', 'hin', 'cmn'];
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'xlm-defaults-'));
  const slice = (file: string, perLanguage: number) => {
    const kept = new Map<string, number>();
    return readFileSync(join(ROOT, 'examples', 'langid', file), 'utf8').split('\n').filter((line) => {
      if (!line) return false;
      const label = (JSON.parse(line) as { label: string }).label;
      if (!LANGUAGES.includes(label) || (kept.get(label) ?? 0) >= perLanguage) return false;
      kept.set(label, (kept.get(label) ?? 0) + 1);
      return true;
    }).join('\n') + '\n';
  };
  writeFileSync(join(dir, 'train.jsonl'), slice('train.jsonl', 12));
  writeFileSync(join(dir, 'test.jsonl'), slice('test.jsonl', 5));
});

after(() => rmSync(dir, { recursive: true, force: true }));

interface Verdict { learned: boolean; reasons: string[]; advice: string[]; finalLoss: number; chanceLoss: number; evalAccuracy: number; majorityAccuracy: number }

async function trainSlice(name: string, extra: string[]): Promise<{ stderr: string; verdict: Verdict; evals: number }> {
  const out = join(dir, name);
  const r = await runXlm(['train', '--model', MODEL, '--task', 'seq-cls', '--train', join(dir, 'train.jsonl'), '--eval', join(dir, 'test.jsonl'), '--out', out, '--max-length', '64', '--threads', '1', '--seed', '3', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const evals = r.stdout.split('\n').filter((l) => l.includes('"eval"')).length;
  return { stderr: r.stderr, verdict: JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')) as Verdict, evals };
}

test('the table: small models get large steps, base models the usual ones; small data gets enough epochs for 150 steps', () => {
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 256, rows: 780 }).lr, 1e-3);
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'lora', hiddenSize: 256, rows: 780 }).lr, 5e-3);
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 768, rows: 780 }).lr, 3e-5);
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 256, rows: 72 }).epochs, 20, '5 steps an epoch: capped at 20 epochs');
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 256, rows: 780 }).epochs, 4, '49 steps an epoch: 4 epochs make 196 steps');
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 256, rows: 50_000 }).epochs, 2);
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 256, rows: 500_000 }).epochs, 1);
});

test('the batch size the table gives when none is asked is the one xlm.batchSize defaults to in package.json', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } };
  assert.equal(manifest.contributes.configuration.properties['xlm.batchSize']?.default, DEFAULT_BATCH_SIZE);
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 256 }).batchSize, DEFAULT_BATCH_SIZE);
  assert.equal(trainingDefaults({ task: 'sequence-classification', method: 'full', hiddenSize: 256, batchSize: 4 }).batchSize, 4);
});

test('xlm train with the defaults learns language identification with the shipped model; the old 2e-5 does not, and says so', async () => {
  const learned = await trainSlice('defaults', []);
  assert.match(learned.stderr, /defaults for full fine-tuning of classification on 72 rows with a small model \(hidden size 256\): learning rate 0\.001, 20 epochs, 10% warm-up \(--lr, --epochs, --warmup-ratio from the defaults table/);
  assert.equal(learned.verdict.learned, true, JSON.stringify(learned.verdict));
  assert.ok(learned.verdict.evalAccuracy >= 0.8 && learned.verdict.majorityAccuracy < 0.2, `test accuracy ${learned.verdict.evalAccuracy} against the majority class's ${learned.verdict.majorityAccuracy}`);
  assert.ok(learned.verdict.finalLoss < 0.5 * learned.verdict.chanceLoss, `loss ${learned.verdict.finalLoss} against chance ${learned.verdict.chanceLoss}`);
  assert.equal(learned.evals, 10, 'without --eval-every a run evaluates ten times');
  assert.match(learned.stderr, /the run learned/);
  // The file has no language column, but its labels are languages: each row counts under its label (grouping by
  // script pooled Russian with Ukrainian on a user's dashboard), and the log says so once.
  assert.equal(learned.stderr.match(/the eval file has no language column and its labels are languages, so each row counts under its own label/g)?.length, 1, learned.stderr);
  assert.match(learned.stderr, /metric +arb +cmn +deu +eng +hin +rus +avg +all/);
  assert.doesNotMatch(learned.stderr, /grouped by script/);

  const stuck = await trainSlice('old-default', ['--lr', '2e-5', '--epochs', '3']);
  assert.equal(stuck.verdict.learned, false, JSON.stringify(stuck.verdict));
  // Told only what it took from the table (the warm-up), not the table's learning rate and epochs it was not given.
  assert.match(stuck.stderr, /defaults for full fine-tuning of classification on 72 rows with a small model \(hidden size 256\): 10% warm-up \(--warmup-ratio from the defaults table; give it to override\)/);
  assert.doesNotMatch(stuck.stderr, /learning rate 0\.001, /);
  assert.match(stuck.stderr, /the run did not learn: the final training loss \(mean of the last \d+ steps?\) was .*guessing the 6 labels by their frequency \(1\.792\).*Try: train with the default learning rate for this model and method, 0\.001 \(this run used 0\.00002\)/);
});

test('xlm train with the defaults learns named entities on a generated NER file with the shipped model', async () => {
  writeNerSample(join(dir, 'ner-train.jsonl'), 64, 7);
  writeNerSample(join(dir, 'ner-test.jsonl'), 24, 99);
  const out = join(dir, 'ner');
  const r = await runXlm(['train', '--model', MODEL, '--task', 'token-cls', '--train', join(dir, 'ner-train.jsonl'), '--eval', join(dir, 'ner-test.jsonl'), '--out', out, '--max-length', '32', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const verdict = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')) as Verdict;
  assert.equal(verdict.learned, true, JSON.stringify(verdict));
  const last = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { eval?: Record<string, number> }).filter((l) => l.eval).at(-1)!;
  assert.ok(last.eval!.f1! >= 0.5, `entity F1 ${last.eval!.f1} (the majority baseline, every word O, finds none)`);
  assert.ok(verdict.evalAccuracy > verdict.majorityAccuracy + 0.1, `word accuracy ${verdict.evalAccuracy} against O's share ${verdict.majorityAccuracy}`);
});
