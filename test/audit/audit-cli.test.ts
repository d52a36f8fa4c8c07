// xlm data audit end to end on the shipped default model: a small language-identification file with three labels
// flipped, a conflicting duplicate and a row whose language value is wrong. Three-fold logistic regression on the
// default model's frozen features (the default method) finds the flipped rows (and no other, but perhaps the
// duplicate, whose label is wrong too), each at its label's column with the original label suggested; the duplicate and the language value are flagged by their own checks; audit.json
// holds it all.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AGREEMENT_TO_TRUST, type AuditReport } from '../../src/engine/audit/audit.js';
import { formatAudit } from '../../src/engine/cli/data-audit.js';
import { MIN_ROWS_FOR_NEIGHBOURS } from '../../src/engine/audit/probabilities.js';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('audit-cli');
const MODEL = join(__dirname, '..', '..', 'models', 'default');

interface Row {
  text: string;
  label: string;
  lang: string;
}

function langidRows(): Row[] {
  const all = readFileSync(join(__dirname, '..', '..', 'examples', 'langid', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string });
  const rows: Row[] = [];
  for (let i = 0; i < 15; i++) {
    for (const lang of ['rus', 'arb', 'jpn', 'ell']) {
      const r = all.filter((x) => x.label === lang)[i];
      rows.push({ text: r.text, label: lang, lang });
    }
  }
  return rows;
}

test('flipped labels, a conflicting duplicate and a wrong language value are flagged where they are written', async () => {
  const rows = langidRows();
  const flips = new Map([[5, 'ell'], [22, 'rus'], [40, 'jpn']]);
  const truth = new Map([...flips.keys()].map((i) => [i, rows[i].label]));
  for (const [i, label] of flips) rows[i].label = label;
  rows[31].lang = 'rus'; // an 'ell' text whose language value says Russian
  rows.push({ ...rows[3], label: 'arb' }, { ...rows[7], text: ` ${rows[7].text}!` }); // line 61 conflicts with line 4 ('ell'); 62 agrees with 8
  const path = files.write('langid.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const out = join(files.dir, 'run');
  const r = await runXlm(['data', 'audit', '--model', MODEL, path, '--folds', '3', '--out', out, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(join(out, 'audit.json'), 'utf8')) as AuditReport;
  assert.equal(report.rows, 62);
  assert.equal(report.folds, 3);
  assert.equal(report.method, 'features');
  const text = readFileSync(path, 'utf8').split('\n');
  const labelFlags = report.flags.filter((f) => f.kind === 'label');
  // Line 61's label is wrong too (its text is line 4's Greek one), so confident learning may also find it.
  assert.deepEqual(labelFlags.map((f) => f.line).filter((l) => l !== 61).sort((a, b) => a - b), [...flips.keys()].map((i) => i + 1));
  for (const f of labelFlags.filter((x) => x.line !== 61)) {
    assert.equal(f.suggested, truth.get(f.line - 1), `line ${f.line}`);
    assert.equal(text[f.line - 1].slice(f.column - 1, f.endColumn - 1), JSON.stringify(f.given), `line ${f.line}: the flag spans the label as written`);
    assert.equal(f.fix?.text, JSON.stringify(f.suggested));
    assert.ok(f.score > 0.5, `line ${f.line}: score ${f.score}`);
    // How sure the suggestion is travels with it (the editor's quick fix says it): the suggested label's probability.
    assert.ok(f.suggestedProbability !== undefined && f.suggestedProbability > 0 && f.suggestedProbability <= 1, `line ${f.line}: ${f.suggestedProbability}`);
    assert.ok(f.suggestedProbability! >= 1 - f.score - 1e-4, `line ${f.line}: the suggestion is at least as probable as the given label`);
  }
  for (const f of report.flags.filter((x) => x.kind !== 'label' && x.kind !== 'tag')) assert.equal(f.suggestedProbability, undefined, `${f.kind} flags carry no probability`);
  const duplicate = report.flags.filter((f) => f.kind === 'duplicate');
  assert.deepEqual(duplicate.map((f) => [f.line, f.given, f.suggested]), [[61, 'arb', 'ell']]);
  const language = report.flags.filter((f) => f.kind === 'language');
  assert.deepEqual(language.map((f) => [f.line, f.given, f.suggested]), [[32, 'rus', 'ell']]);
  assert.equal(text[31].slice(language[0].column - 1, language[0].endColumn - 1), '"rus"');
  assert.match(r.stdout, new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:\\d+ +label +\\d\\.\\d{3} +ell -> arb`));
  // The duplicate's line in the table names the line it conflicts with.
  assert.match(r.stdout, new RegExp(`:61:\\d+ +duplicate +\\d\\.\\d{3} +arb -> ell: .*line 4`));
  assert.match(r.stdout, /report: .*audit\.json/);
  assert.match(r.stdout, /3-fold logistic regression on the features of .* \(method features\)/);
  // Under MIN_ROWS_FOR_NEIGHBOURS rows the regression is used alone: no choice among estimates on so few labels.
  assert.ok(report.rows < MIN_ROWS_FOR_NEIGHBOURS);
  assert.equal(report.estimate, undefined);
  // A model that knows the task: its out-of-sample predictions agree with most given labels (0.887 on the
  // step-24,500 weights, 3 folds of this small file), above the 0.8 under which the report cautions; no caution.
  assert.ok(report.agreement! >= 0.85, `agreement ${report.agreement}`);
  assert.equal(report.caution, undefined);
  assert.match(r.stdout, /agreement: the given label is the model's most probable out of sample for \d+\.\d% of rows/);
  assert.doesNotMatch(r.stdout, /caution:/);
});

test('labels the model cannot predict out of sample: the report and the table caution that its flags may be its own mistakes', async () => {
  // The same texts with labels drawn at random: no model can learn them, so agreement is near chance (1 in 4).
  const rows = langidRows();
  const names = ['north', 'south', 'east', 'west'];
  let state = 12345;
  for (const row of rows) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    row.label = names[(state >> 16) % 4]!; // the high bits: the low two cycle with period 4, as the languages do
  }
  const path = files.write('random-labels.jsonl', rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
  const out = join(files.dir, 'run-random');
  const r = await runXlm(['data', 'audit', '--model', MODEL, path, '--folds', '3', '--out', out, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(join(out, 'audit.json'), 'utf8')) as AuditReport;
  assert.ok(report.agreement! < AGREEMENT_TO_TRUST, `agreement ${report.agreement}`);
  assert.match(report.caution ?? '', /^out of sample the model finds the given label most probable for only \d+\.\d% of rows, so either it does not know this task well or many labels are wrong/);
  assert.ok(report.caution!.includes(`${(100 * report.agreement!).toFixed(1)}%`), 'the caution gives the agreement the report holds');
  assert.match(r.stdout, /^caution: out of sample the model finds the given label most probable for only/m);
});

test("the table says where the agreement comes from: out of sample with folds, the model's own predictions without", () => {
  const base: AuditReport = {
    format: 'xlm-lab-audit/1', file: '/data/x.jsonl', model: '/m', task: 'seq-cls', folds: 5, method: 'features', rows: 10, labels: ['a', 'b'], agreement: 0.9,
    thresholds: { a: 0.5, b: 0.5 }, counts: { label: 0, tag: 0, duplicate: 0, language: 0, length: 0 }, flags: [], seconds: 1, report: '/r/audit.json',
  };
  assert.match(formatAudit(base, 30), /^agreement: the given label is the model's most probable out of sample for 90\.0% of rows$/m);
  const own = formatAudit({ ...base, folds: 0, method: undefined }, 30);
  assert.match(own, /^agreement: the given label is the model's most probable in its own predictions \(it has seen these labels, so a high figure proves little\) for 90\.0% of rows$/m);
  assert.doesNotMatch(own, /out of sample/);
  assert.doesNotMatch(formatAudit({ ...base, agreement: undefined }, 30), /agreement:/, 'no line when nothing was predicted');
});

test('bad input: a file with one label, --folds with --no-folds, a missing FILE', async () => {
  const one = files.write('one.jsonl', '{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n');
  const r1 = await runXlm(['data', 'audit', '--model', MODEL, one, '--out', join(files.dir, 'one')]);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /every row has the label 'x'/);
  const r2 = await runXlm(['data', 'audit', '--model', MODEL, one, '--folds', '3', '--no-folds']);
  assert.match(r2.stderr, /--folds and --no-folds exclude each other/);
  const r3 = await runXlm(['data', 'audit', '--model', MODEL]);
  assert.match(r3.stderr, /data audit needs a FILE/);
  const r4 = await runXlm(['data', 'audit', '--model', MODEL, one, '--method', 'svm']);
  assert.match(r4.stderr, /--method is "svm"; expected features or lora/);
  // A model folder that is no model fails once the audit has begun: no empty --out folder is left behind.
  const two = files.write('two.jsonl', ['a', 'b', 'c', 'd', 'e', 'f'].map((t, i) => JSON.stringify({ text: t, label: i % 2 ? 'x' : 'y' })).join('\n') + '\n');
  const notModel = join(files.dir, 'not-a-model');
  mkdirSync(notModel);
  const out = join(files.dir, 'never');
  const r5 = await runXlm(['data', 'audit', '--model', notModel, two, '--folds', '2', '--out', out]);
  assert.equal(r5.code, 1);
  assert.equal(existsSync(out), false, r5.stderr);
});

test('Ctrl-C during an audit stops it: exit 130, "cancelled" said once, no report written', async () => {
  const path = files.write('langid-cancel.jsonl', langidRows().map((r) => JSON.stringify(r)).join('\n') + '\n');
  const out = join(files.dir, 'cancelled-run');
  let pressed = false;
  const r = await runXlm(['data', 'audit', '--model', MODEL, path, '--folds', '3', '--out', out, '--threads', '1'], {
    onStderr: (text) => {
      if (pressed || !text.includes('fold 1 of 3')) return;
      pressed = true;
      process.emit('SIGINT');
    },
  });
  assert.ok(pressed, `no fold started: ${r.stderr}`);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /\nxlm: .*cancelled[^\n]*\n$/);
  assert.equal(r.stderr.match(/cancelled/g)?.length, 1, r.stderr);
  assert.equal(existsSync(join(out, 'audit.json')), false);
});
