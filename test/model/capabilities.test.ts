import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelCapabilities } from '../../src/engine/model/capabilities.js';
import { canonicalNliLabels, nliLabelRoles } from '../../src/engine/model/nli-labels.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let root: string;
before(() => (root = mkdtempSync(join(tmpdir(), 'xlm-caps-'))));
after(() => rmSync(root, { recursive: true, force: true }));

function tiny(name: string, opts: Parameters<typeof writeTinyXlmr>[1], config: Record<string, unknown> = {}): string {
  const dir = join(root, name);
  writeTinyXlmr(dir, opts);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ...config }));
  return dir;
}

test('each head of a folder becomes what it can serve; a classifier is single, pair or NLI by its labels and xlm_lab.input', () => {
  const cases: [string, Parameters<typeof writeTinyXlmr>[1], Record<string, unknown>, string[]][] = [
    ['mlm', { head: 'mlm' }, {}, ['fill-mask']],
    ['sentiment', { head: 'seq-cls', labels: ['negative', 'positive'] }, {}, ['classify']],
    ['pairs', { head: 'seq-cls', labels: ['not_translation', 'translation'] }, { xlm_lab: { input: 'pair' } }, ['pair-classify']],
    ['xnli', { head: 'seq-cls', labels: ['entailment', 'neutral', 'contradiction'] }, {}, ['nli', 'pair-classify']],
    ['mnli-caps', { head: 'seq-cls', labels: ['CONTRADICTION', 'NEUTRAL', 'ENTAILMENT'] }, {}, ['nli', 'pair-classify']],
    ['ner', { head: 'token-cls', labels: ['O', 'B-PER', 'I-PER'] }, {}, ['token-classify']],
    ['all', { head: 'all', labels: ['a', 'b', 'c'] }, {}, ['fill-mask', 'classify', 'token-classify', 'question-answering']],
    ['qa', { head: 'qa' }, {}, ['question-answering']],
    ['qa-by-architecture', { head: 'none' }, { architectures: ['XLMRobertaForQuestionAnswering'] }, ['question-answering']],
  ];
  for (const [name, opts, config, expected] of cases) {
    const c = modelCapabilities(tiny(name, opts, config));
    assert.deepEqual(c.capabilities, expected, name);
    assert.equal(c.name, name);
  }
  assert.deepEqual(modelCapabilities(join(root, 'sentiment')).labels, ['negative', 'positive']);
});

test('a folder that is not a model says why, in words', () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  assert.equal(modelCapabilities(empty).problem, 'it has no config.json');
  assert.deepEqual(modelCapabilities(empty).capabilities, []);
  assert.equal(modelCapabilities(tiny('bare', { head: 'none' })).problem, 'it has weights but no head XLM Lab can use');
});

test('a Hub cache snapshot is named by its repo id; the shipped model has fill-mask and language identification', () => {
  const snapshot = join(root, 'hub', 'models--FacebookAI--xlm-roberta-base', 'snapshots', 'abc123');
  mkdirSync(snapshot, { recursive: true });
  writeTinyXlmr(snapshot, { head: 'mlm' });
  assert.equal(modelCapabilities(snapshot).name, 'FacebookAI/xlm-roberta-base');
  assert.deepEqual(modelCapabilities(join(__dirname, '..', '..', 'models', 'default')).capabilities, ['fill-mask', 'language-id']);
});

test('NLI labels in the usual spellings are recognised and named canonically; other label sets are left alone', () => {
  assert.deepEqual(canonicalNliLabels(['Entailment', 'Neutral', 'Contradiction']), ['entailment', 'neutral', 'contradiction']);
  assert.deepEqual(canonicalNliLabels(['contradictory', 'entails', 'neutral']), ['contradiction', 'entailment', 'neutral']);
  assert.deepEqual(canonicalNliLabels(['e', 'n', 'c']), ['entailment', 'neutral', 'contradiction']);
  assert.deepEqual(canonicalNliLabels(['entailment', 'contradiction']), ['entailment', 'contradiction']);
  assert.deepEqual(canonicalNliLabels(['translation', 'not_translation']), ['translation', 'not_translation']);
  assert.equal(nliLabelRoles(['entailment', 'entailment', 'neutral']), undefined, 'a role twice is no NLI set');
  assert.equal(nliLabelRoles(['entailment', 'neutral']), undefined, 'neither contradiction');
  assert.equal(nliLabelRoles(['0', '1', '2']), undefined);
});

test('xlm train on NLI data saves an NLI model: usual spellings and 0/1/2 with --label-names both become entailment / neutral / contradiction', async () => {
  const { runXlm } = await import('../helpers/cli.js');
  const base = tiny('nli-base', { head: 'mlm', seed: 3 });
  const pairs = ['A man sleeps.|A person rests.', 'A dog runs.|A cat sleeps.', 'Kids play.|Nobody plays.'];
  const spelled = ['Entails', 'neutral', 'Contradictory'];
  writeFileSync(join(root, 'nli-words.jsonl'), pairs.map((p, i) => JSON.stringify({ premise: p.split('|')[0], hypothesis: p.split('|')[1], label: spelled[i] })).join('\n') + '\n');
  writeFileSync(join(root, 'nli-ids.jsonl'), pairs.map((p, i) => JSON.stringify({ premise: p.split('|')[0], hypothesis: p.split('|')[1], label: i })).join('\n') + '\n');
  for (const [file, extra] of [['nli-words.jsonl', []], ['nli-ids.jsonl', ['--label-names', 'entailment,neutral,contradiction']]] as const) {
    const out = join(root, `out-${file}`);
    const r = await runXlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, file), '--out', out, '--max-steps', '2', '--batch-size', '3', '--threads', '1', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { id2label: Record<string, string>; xlm_lab: { input: string } };
    assert.deepEqual(Object.values(config.id2label).sort(), ['contradiction', 'entailment', 'neutral'], file);
    assert.equal(config.xlm_lab.input, 'pair');
    assert.deepEqual(modelCapabilities(out).capabilities, ['nli', 'pair-classify'], file);
  }
});
