import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { heldOutParagraphs, loadUdhrCorpus, parallelUnits, trainingParagraphs } from '../../src/engine/pretrain/corpus.js';
import { generateExamples, type PairExample } from '../../scripts/lib/demo-examples.js';
import { HELD_OUT_ARTICLES, UDHR_LANGUAGE_CODES, VALIDATION_ARTICLES } from '../../src/engine/pretrain/languages.js';

const examplesDir = join(__dirname, '..', '..', 'examples');
const corpus = loadUdhrCorpus();
const files = generateExamples(corpus);
const content = (path: string): string => files.find((f) => f.path === path)!.content;
const rows = <T>(path: string): T[] => content(path).trimEnd().split('\n').map((line) => JSON.parse(line) as T);
const heldOut = new Set(heldOutParagraphs(corpus).map((p) => p.text));
const validation = new Set(corpus.filter((a) => VALIDATION_ARTICLES.includes(a.article)).flatMap((a) => a.paragraphs));
const training = new Set(trainingParagraphs(corpus, [...VALIDATION_ARTICLES, ...HELD_OUT_ARTICLES]).map((p) => p.text));

test('the committed examples/ files are exactly what scripts/make-examples.ts generates', () => {
  for (const f of files) {
    const committed = readFileSync(join(examplesDir, f.path), 'utf8');
    assert.ok(committed === f.content, `examples/${f.path} is stale: run npx tsx scripts/make-examples.ts`);
  }
  assert.deepEqual(generateExamples(loadUdhrCorpus()), files, 'a second generation gives the same bytes');
  assert.notDeepEqual(generateExamples(corpus, 7).find((f) => f.path === 'pairs/train.jsonl'), files.find((f) => f.path === 'pairs/train.jsonl'));
});

test('no held-out or validation paragraph appears in any train file; test files hold only held-out paragraphs, dev files only validation ones', () => {
  const unseenList = [...heldOut, ...validation];
  for (const path of ['langid/train.jsonl', 'pairs/train.jsonl', 'mlm/train.txt']) {
    const text = content(path);
    for (const p of unseenList) assert.ok(!text.includes(p) && !text.includes(JSON.stringify(p).slice(1, -1)), `${path} holds unseen text: ${p.slice(0, 60)}`);
  }
  for (const r of rows<PairExample>('pairs/dev.jsonl')) assert.ok(validation.has(r.premise) && validation.has(r.hypothesis));
  for (const r of rows<{ text: string }>('langid/train.jsonl')) assert.ok(training.has(r.text));
  for (const line of content('mlm/train.txt').trimEnd().split('\n')) assert.ok(training.has(line));
  for (const r of rows<{ text: string }>('langid/test.jsonl')) assert.ok(heldOut.has(r.text));
  for (const r of rows<{ text: string }>('retrieval/test.jsonl')) assert.ok(heldOut.has(r.text));
  for (const r of rows<PairExample>('pairs/test.jsonl')) assert.ok(heldOut.has(r.premise) && heldOut.has(r.hypothesis));
  for (const r of rows<PairExample>('pairs/train.jsonl')) assert.ok(training.has(r.premise) && training.has(r.hypothesis));
});

test('language identification covers every language in train and test with valid labels', () => {
  for (const path of ['langid/train.jsonl', 'langid/test.jsonl']) {
    const labels = rows<{ text: string; label: string }>(path).map((r) => r.label);
    assert.deepEqual([...new Set(labels)].sort(), [...UDHR_LANGUAGE_CODES].sort(), path);
  }
});

test('pair labels and languages are right and the pairs balanced: translations are one unit in two languages, others come from different articles', () => {
  for (const [path, split, articles] of [['pairs/train.jsonl', 'train', [...VALIDATION_ARTICLES, ...HELD_OUT_ARTICLES]], ['pairs/dev.jsonl', 'test', VALIDATION_ARTICLES], ['pairs/test.jsonl', 'test', HELD_OUT_ARTICLES]] as const) {
    const where = new Map<string, { article: number; index: number; lang: string }>();
    for (const u of parallelUnits(corpus, split, articles)) for (const [lang, text] of u.texts) where.set(text, { article: u.article, index: u.index, lang });
    const examples = rows<PairExample>(path);
    const positives = examples.filter((e) => e.label === 'translation').length;
    assert.equal(positives, examples.length - positives, `${path} is balanced`);
    assert.equal(new Set(examples.map((e) => e.premise + '\u0000' + e.hypothesis)).size, examples.length, `${path} repeats no pair`);
    for (const e of examples) {
      const a = where.get(e.premise)!;
      const b = where.get(e.hypothesis)!;
      assert.notEqual(a.lang, b.lang);
      assert.deepEqual([e.premise_lang, e.hypothesis_lang], [a.lang, b.lang], 'each side names its language');
      if (e.label === 'translation') assert.deepEqual([a.article, a.index], [b.article, b.index]);
      else assert.notEqual(a.article, b.article);
    }
  }
});

test('retrieval rows with the same id are translations: one per language for each held-out paragraph', () => {
  const retrieval = rows<{ id: string; lang: string; text: string }>('retrieval/test.jsonl');
  const ids = [...new Set(retrieval.map((r) => r.id))];
  assert.deepEqual(ids, ['28.0', '29.0', '29.1', '29.2', '30.0']);
  for (const id of ids) assert.deepEqual(retrieval.filter((r) => r.id === id).map((r) => r.lang).sort(), [...UDHR_LANGUAGE_CODES].sort());
  const english = retrieval.find((r) => r.id === '28.0' && r.lang === 'eng')!;
  assert.match(english.text, /^Everyone is entitled to a social and international order/);
});
