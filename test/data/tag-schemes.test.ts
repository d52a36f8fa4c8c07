// NER files in the schemes found in the wild (IOB1 as in the original CoNLL-2003 release, IOB2, BIOES, BILOU):
// read in the scheme given or detected, converted to the engine's IOB2, and a tag that breaks the file's own
// scheme is an error at file:line:column.
import assert from 'node:assert/strict';
import { render } from '../../src/engine/errors.js';
import { formatDataErrorNaming } from '../../src/engine/data/types.js';
import { flagOf } from '../../src/engine/cli/option-flags.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { toIob2, TagSchemeEvidence, type TagScheme } from '../../src/engine/data/bio.js';
import { openDataset } from '../../src/engine/data/dataset.js';
import { loadDataset } from '../../src/engine/data/memory.js';
import { formatDataError } from '../../src/engine/data/types.js';
import { COMMANDS } from '../../src/engine/cli/commands.js';
import { trainOptionsFromFlags } from '../../src/engine/cli/train.js';
import { runXlm } from '../helpers/cli.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { collect, lines, tempFolder } from './temp-files.js';

const files = tempFolder('tag-schemes');
/** Shaped like CoNLL-2003's eng.testb: four columns, -DOCSTART-, IOB1 NER and chunk tags, B- only between two adjacent entities of one type. */
const CONLL_IOB1 = join(__dirname, 'fixtures', 'eng.iob1-sample');

test('a CoNLL-2003-shaped IOB1 file is detected as IOB1 and every sentence is read, converted to IOB2', async () => {
  const ds = await openDataset(CONLL_IOB1);
  assert.equal(ds.format, 'conll');
  assert.equal(ds.tagScheme?.scheme, 'iob1', ds.tagScheme?.reason);
  const rows = await collect(ds);
  assert.equal(ds.report.errorCount, 0, ds.report.errors.map(formatDataError).join('\n'));
  assert.deepEqual(lines(rows), [3, 13, 16, 21, 31]);
  assert.deepEqual(
    rows.map((r) => r.tags),
    [
      ['B-ORG', 'O', 'B-MISC', 'O', 'O', 'O', 'B-MISC', 'O', 'O'],
      ['B-PER', 'I-PER'],
      ['B-LOC', 'O'],
      ['O', 'O', 'O', 'B-LOC', 'B-LOC', 'O', 'B-LOC', 'O', 'O'],
      ['O', 'O', 'B-ORG', 'I-ORG', 'B-ORG', 'O', 'B-ORG', 'O', 'O'],
    ],
  );
});

test('the same file read as IOB2 (--tag-scheme iob2) is refused at the I- that starts an entity, with the flag that reads it', async () => {
  const ds = await openDataset(CONLL_IOB1, { tagScheme: 'iob2', onError: 'skip' });
  assert.deepEqual(await collect(ds), []);
  assert.equal(ds.report.errorCount, 5);
  const first = ds.report.errors[0];
  assert.deepEqual([first.line, first.column, first.code], [3, 13, 'invalid-bio']);
  // The engine names its option; each surface says it in its own words (the CLI: the flag).
  assert.match(first.reason, /I-ORG at the start of the sentence starts an entity.*read it with tagScheme iob1 to convert it/);
  assert.match(formatDataErrorNaming(first, flagOf), /read it with --tag-scheme iob1 to convert it/);
});

const SCHEME_CASES: { scheme: TagScheme; tags: string; iob2: string }[] = [
  { scheme: 'iob2', tags: 'B-PER I-PER O B-LOC B-LOC', iob2: 'B-PER I-PER O B-LOC B-LOC' },
  { scheme: 'iob1', tags: 'I-PER I-PER O I-LOC B-LOC I-ORG', iob2: 'B-PER I-PER O B-LOC B-LOC B-ORG' },
  { scheme: 'bioes', tags: 'B-PER I-PER E-PER O S-LOC S-LOC B-ORG E-ORG', iob2: 'B-PER I-PER I-PER O B-LOC B-LOC B-ORG I-ORG' },
  { scheme: 'bilou', tags: 'B-PER L-PER O U-LOC U-LOC B-ORG I-ORG L-ORG', iob2: 'B-PER I-PER O B-LOC B-LOC B-ORG I-ORG I-ORG' },
];

for (const { scheme, tags, iob2 } of SCHEME_CASES) {
  test(`${scheme}: converted to IOB2 and detected from its tags`, () => {
    assert.deepEqual(toIob2(tags.split(' '), scheme), iob2.split(' '));
    const evidence = new TagSchemeEvidence();
    evidence.add(tags.split(' '));
    assert.equal(evidence.decide().scheme, scheme);
  });
}

const BROKEN: { scheme: TagScheme; tags: string; index: number; reason: RegExp }[] = [
  { scheme: 'bioes', tags: 'B-PER O', index: 1, reason: /O after B-PER: in BIOES an entity begun with B-PER ends with E-PER/ },
  { scheme: 'bioes', tags: 'O E-PER', index: 1, reason: /E-PER after O: in BIOES an entity starts with B-PER \(or is S-PER/ },
  { scheme: 'bioes', tags: 'B-PER I-PER', index: 1, reason: /ends inside the entity begun with B-PER/ },
  { scheme: 'bioes', tags: 'B-PER E-LOC', index: 1, reason: /E-LOC after B-PER/ },
  { scheme: 'bilou', tags: 'U-PER I-PER L-PER', index: 1, reason: /I-PER after U-PER: in BILOU an entity starts with B-PER \(or is U-PER/ },
  { scheme: 'bilou', tags: 'O E-PER', index: 1, reason: /'E-PER' is not a BILOU tag/ },
];

test('a tag that breaks its own scheme is named with the rule it breaks', () => {
  for (const { scheme, tags, index, reason } of BROKEN) {
    const result = toIob2(tags.split(' '), scheme);
    assert.ok(!Array.isArray(result), `${scheme} ${tags} must be refused`);
    assert.equal(result.index, index, `${scheme} ${tags}`);
    assert.match(render(result.reason), reason);
  }
  // IOB1 has no sentence it cannot convert except a tag that is not B-/I-/O.
  const iob1 = toIob2(['I-PER', 'S-LOC'], 'iob1');
  assert.ok(!Array.isArray(iob1));
  assert.equal(iob1.index, 1);
});

test('detection: IOB1 when nearly every entity starts with I-; IOB2 when B- starts are more than a few; mixed end tags and no evidence read as IOB2', () => {
  const decide = (...sentences: string[]) => {
    const evidence = new TagSchemeEvidence();
    for (const s of sentences) evidence.add(s.split(' '));
    return evidence.decide();
  };
  const iob1Sentence = 'I-PER I-PER O I-LOC B-LOC';
  // An IOB1 file with one stray B- after O (a B- starts an entity in both schemes, so it reads right).
  assert.equal(decide(...Array(40).fill(iob1Sentence), 'O B-ORG').scheme, 'iob1');
  // An IOB2 file with a few wrong I- starts stays IOB2; those rows are reported, not silently re-read.
  const iob2 = decide(...Array(20).fill('B-PER I-PER O B-LOC'), 'O I-ORG');
  assert.equal(iob2.scheme, 'iob2');
  assert.match(iob2.reason, /40 of 41 entities start with B-, 1 with I-/);
  assert.equal(decide('B-PER E-PER O U-LOC').scheme, 'iob2');
  assert.match(decide('B-PER E-PER O U-LOC').reason, /mix BIOES/);
  assert.equal(decide('B-PER E-PER O I-LOC').scheme, 'iob2', 'an I- start is neither BIOES nor BILOU');
  assert.equal(decide('O O').scheme, 'iob2');
  assert.equal(decide('B-PER O I-LOC').scheme, 'iob2');
});

test('a BIOES CoNLL file is detected and converted; a broken entity is an error at its file:line:column, the other sentences read', async () => {
  const path = files.write('bioes.conll', ['Anna S-PER', 'lives O', 'in O', 'New B-LOC', 'York E-LOC', '', 'Bad B-ORG', 'entity O', '', 'Rome S-LOC', ''].join('\n'));
  const ds = await openDataset(path, { onError: 'skip' });
  assert.equal(ds.tagScheme?.scheme, 'bioes');
  const rows = await collect(ds);
  assert.deepEqual(rows.map((r) => r.tags), [['B-PER', 'O', 'O', 'B-LOC', 'I-LOC'], ['B-LOC']]);
  assert.deepEqual(ds.report.errors.map((e) => [e.line, e.column, e.code]), [[8, 8, 'invalid-bio']]);
  assert.match(ds.report.errors[0].reason, /token 2 'entity': O after B-ORG: in BIOES/);
});

test('NER JSONL in BILOU with integer tags through id2label: detected, converted, and the label set is the IOB2 one', async () => {
  const id2label = { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'L-PER', 4: 'U-PER' };
  const path = files.write('bilou.jsonl', [JSON.stringify({ tokens: ['Ada', 'Lovelace', 'wrote'], ner_tags: [1, 3, 0] }), JSON.stringify({ tokens: ['Ada', 'wrote'], ner_tags: [4, 0] })].join('\n'));
  const data = await loadDataset(path, { id2label: id2label as Record<number, string>, labels: ['O', 'B-PER', 'I-PER', 'L-PER', 'U-PER'] });
  assert.equal(data.size, 2);
  assert.deepEqual([...data.tagIds(0)!].map((i) => data.labels[i]), ['B-PER', 'I-PER', 'O']);
  assert.deepEqual([...data.tagIds(1)!].map((i) => data.labels[i]), ['B-PER', 'O']);
});

test('a model whose labels are IOB2 reads a BIOES file: a tag outside them is named as read and as converted', async () => {
  const path = files.write('bioes-unknown.jsonl', JSON.stringify({ tokens: ['Rome'], tags: ['S-CITY'] }) + '\n');
  const ds = await openDataset(path, { labels: ['O', 'B-LOC', 'I-LOC'], onError: 'skip' });
  await collect(ds);
  assert.match(ds.report.errors[0].reason, /tag 'S-CITY' \(B-CITY in IOB2\) is not one of: O, B-LOC, I-LOC/);
});

test('every command that reads data takes --tag-scheme, and the flag reaches the reader', async () => {
  const readers = COMMANDS.filter((c) => c.options?.['tags-column'] !== undefined).map((c) => c.name);
  assert.deepEqual(readers.sort(), ['data audit', 'data inspect', 'eval', 'train']);
  for (const name of readers) assert.ok(COMMANDS.find((c) => c.name === name)!.options!['tag-scheme'], `${name} --tag-scheme`);
  const train = trainOptionsFromFlags({ task: 'token-cls', train: 't.conll', out: 'o', 'tag-scheme': 'bilou' }, 'model');
  assert.equal(train.readOptions?.tagScheme, 'bilou');

  const inspect = await runXlm(['data', 'inspect', CONLL_IOB1, '--json']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const summary = JSON.parse(inspect.stdout);
  assert.equal(summary.tagScheme.scheme, 'iob1');
  assert.equal(summary.errorCount, 0);
  assert.equal(summary.labels['B-LOC'], 4);

  const forced = await runXlm(['data', 'inspect', CONLL_IOB1, '--tag-scheme', 'iob2']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /tag scheme: IOB2 \(given by the caller\)/);
  assert.match(forced.stdout, /rows: 0 good, 5 bad/);
  assert.match(forced.stdout, /starts an entity, but IOB2 starts entities with B-ORG; .* read it with --tag-scheme iob1 to convert it/);

  const bad = await runXlm(['data', 'inspect', CONLL_IOB1, '--tag-scheme', 'bio']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--tag-scheme is "bio"; expected one of iob1, iob2, bioes, bilou/);
});

test('xlm train and xlm eval read the CoNLL-2003 IOB1 file as IOB2 tags, and --tag-scheme iob2 makes them refuse it at file:line', async () => {
  const model = join(files.dir, 'tiny');
  writeTinyXlmr(model, { head: 'mlm' });
  const out = join(files.dir, 'ner-run');
  const trained = await runXlm(['train', '--model', model, '--task', 'token-cls', '--train', CONLL_IOB1, '--out', out, '--max-steps', '1', '--batch-size', '5', '--threads', '1']);
  assert.equal(trained.code, 0, trained.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(Object.values(config.id2label), ['O', 'B-LOC', 'B-MISC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);

  const evaluated = await runXlm(['eval', '--model', out, '--data', CONLL_IOB1, '--task', 'token-cls', '--json', '--out', join(files.dir, 'eval.json')]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const report = JSON.parse(evaluated.stdout);
  assert.deepEqual([report.examples, report.skipped.errorCount], [5, 0]);

  const strictTrain = await runXlm(['train', '--model', model, '--task', 'token-cls', '--train', CONLL_IOB1, '--out', join(files.dir, 'strict'), '--max-steps', '1', '--tag-scheme', 'iob2']);
  assert.equal(strictTrain.code, 1);
  assert.match(strictTrain.stderr, /eng\.iob1-sample:3:13: token 1 'EU': I-ORG at the start of the sentence starts an entity/);
  const strictEval = await runXlm(['eval', '--model', out, '--data', CONLL_IOB1, '--task', 'token-cls', '--tag-scheme', 'iob2', '--out', join(files.dir, 'eval2.json')]);
  assert.equal(strictEval.code, 1);
  assert.match(strictEval.stderr, /eng\.iob1-sample:3:13: .*--tag-scheme iob1/);
});
