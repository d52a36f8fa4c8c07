import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadUdhrCorpus } from '../../src/engine/pretrain/corpus.js';
import { PretrainBatcher, segmentMaterials } from '../../src/engine/pretrain/objectives.js';
import { parseRecipe } from '../../src/engine/pretrain/recipe.js';
import { cldrLocales, dominantScript, hashSplit, loadCldrAnnotations, loadCldrLocalenames, loadQuran, plainArabic, udhrSegments, type CorpusSegment } from '../../src/engine/pretrain/sources.js';
import { top1, top1ByMargin, trigramIndex, trigramTop1, trigramVector } from '../../src/engine/pretrain/validation.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { trainSegmentTokenizer, writeTokenizerFolder } from '../../src/engine/pretrain/udhr-tokenizer.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const QURAN = { validationChapters: [21, 22, 23], testChapters: [18, 19, 20] };

test('the Quran: 6,236 verses a language, aligned by chapter:verse, split by chapter; the Arabic without vowel marks', () => {
  const segments = loadQuran(new Set(['arb', 'eng', 'cmn']), QURAN);
  for (const lang of ['arb', 'eng', 'cmn']) assert.equal(segments.filter((s) => s.lang === lang).length, 6236, lang);
  const unit = (lang: string, u: string) => segments.find((s) => s.lang === lang && s.unit === u)!;
  assert.equal(unit('eng', 'quran:18:1').split, 'test');
  assert.equal(unit('arb', 'quran:22:5').split, 'validation');
  assert.equal(unit('cmn', 'quran:2:255').split, 'train');
  // 18-20 hold 110 + 98 + 135 verses, 21-23 hold 112 + 78 + 118.
  assert.equal(segments.filter((s) => s.lang === 'eng' && s.split === 'test').length, 343);
  assert.equal(segments.filter((s) => s.lang === 'eng' && s.split === 'validation').length, 308);
  const arabic = unit('arb', 'quran:1:1').text;
  assert.doesNotMatch(arabic, /[\u064b-\u065f\u0670\u06d6-\u06ed\u0671]/u);
  assert.equal(plainArabic('بِسۡمِ ٱللَّهِ'), 'بسم الله');
  assert.match(unit('eng', 'quran:1:1').text, /In the name of Allah/);
});

test('CLDR locales map to the recipe\'s ISO 639-3 codes through the udhr index; names split by key, the same in every locale', () => {
  const map = cldrLocales(['fr', 'fr-CA', 'zh', 'ar', 'en', 'xx'], new Set(['fra', 'cmn', 'arb', 'eng']));
  assert.deepEqual([...map].sort(), [['ar', 'arb'], ['en', 'eng'], ['fr', 'fra'], ['zh', 'cmn']]);
  const names = loadCldrLocalenames(new Set(['fra', 'eng', 'rus']), { validationShare: 0.1, testShare: 0.1 });
  const fr = names.find((s) => s.lang === 'fra' && s.unit === 'cldr-names:languages:de')!;
  const en = names.find((s) => s.lang === 'eng' && s.unit === 'cldr-names:languages:de')!;
  assert.equal(fr.text, 'allemand');
  assert.equal(en.text, 'German');
  assert.equal(fr.split, en.split);
  for (const s of names) assert.equal(s.split, hashSplit(s.unit, 0.1, 0.1));
  const shares = ['train', 'validation', 'test'].map((split) => names.filter((s) => s.split === split).length / names.length);
  assert.ok(shares[1] > 0.05 && shares[1] < 0.15 && shares[2] > 0.05 && shares[2] < 0.15, shares.join(' '));
  const emoji = loadCldrAnnotations(new Set(['fra', 'eng']));
  assert.ok(emoji.every((s) => s.split === 'test' && s.source === 'cldr-annotations'));
  assert.equal(emoji.find((s) => s.lang === 'eng' && s.unit === 'cldr-emoji:😀')?.text, 'grinning face');
});

test('UDHR paragraphs become units of their article, split train / validation / test; languages beyond the table resolve through the udhr index', () => {
  const corpus = loadUdhrCorpus(['eng', 'ast', 'yor']);
  assert.deepEqual([...new Set(corpus.map((a) => a.lang))], ['eng', 'ast', 'yor']);
  const segments = udhrSegments(corpus, [25, 26, 27], [28, 29, 30]);
  const article = (s: CorpusSegment) => Number(s.unit.split(':')[1]);
  for (const s of segments) assert.equal(s.split, article(s) >= 28 ? 'test' : article(s) >= 25 ? 'validation' : 'train', s.unit);
  assert.equal(segments.filter((s) => s.lang === 'eng').length, corpus.filter((a) => a.lang === 'eng').reduce((n, a) => n + a.paragraphs.length, 0));
  assert.equal(dominantScript('Всеобщая декларация'), 'Cyrillic');
  assert.equal(dominantScript('人人生而自由，在尊严和权利上一律平等。'), 'Han');
  assert.equal(dominantScript('すべての人間は、生まれながらにして自由'), 'Han');
});

test('translation pairs come from each source by its share of corpus.parallelMix, both languages from that source', () => {
  const langs = ['eng', 'fra', 'arb', 'yor'];
  const corpus = loadUdhrCorpus(langs);
  const segments = [...udhrSegments(corpus, [25, 26, 27], [28, 29, 30]), ...loadQuran(new Set(langs), QURAN).filter((s) => Number(s.unit.split(':')[1]) <= 4 || s.unit.startsWith('quran:21:'))];
  const pieces = trainSegmentTokenizer(segments, { vocabSize: 800 });
  const dir = mkdtempSync(join(tmpdir(), 'xlm-sources-'));
  let tokenizer: XlmTokenizer;
  try {
    writeTokenizerFolder(dir, pieces, 64);
    tokenizer = XlmTokenizer.fromFolder(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const materials = segmentMaterials(segments, tokenizer, { udhr: 1, quran: 3 });
  assert.deepEqual(materials.parallel!.map((p) => [p.source, [...p.languages].sort()]), [['udhr', ['arb', 'eng', 'fra', 'yor']], ['quran', ['arb', 'eng', 'fra']]]);
  // No validation or test text in the streams or the units.
  const validationIds = tokenizer.encode(segments.find((s) => s.split === 'validation' && s.lang === 'eng' && s.source === 'quran')!.text).ids.slice(1, -1);
  const stream = materials.streams.get('eng')!.join(',');
  assert.ok(!stream.includes(validationIds.join(',')));
  const recipe = parseRecipe({ name: 't', model: { layers: 1, hidden: 32, heads: 2, intermediate: 64 }, vocabSize: 800, languages: langs, objectives: [{ name: 'tlm', weight: 1 }], steps: 10, batchSize: 40, learningRate: 0.001, maxLength: 64, corpus: { quran: QURAN, parallelMix: { udhr: 1, quran: 3 } } }, 't.json');
  const batcher = new PretrainBatcher(materials, recipe, { cls: tokenizer.clsId, sep: tokenizer.sepId, pad: tokenizer.padId, mask: tokenizer.maskId, vocabSize: tokenizer.vocabSize });
  let rows = 0;
  for (let b = 0; b < 10; b++) rows += batcher.next().length;
  assert.equal(rows, 400);
  const drawn = [...batcher.pairsDrawn];
  const total = drawn.reduce((s, [, n]) => s + n, 0);
  const quran = drawn.filter(([k]) => k.startsWith('quran:'));
  const share = quran.reduce((s, [, n]) => s + n, 0) / total;
  assert.ok(share > 0.65 && share < 0.85, `Quran share ${share}`);
  // The Quran has no Yoruba: its pairs never name it; the UDHR's do.
  assert.ok(quran.every(([k]) => !k.includes('yor')));
  assert.ok(drawn.some(([k]) => k.startsWith('udhr:') && k.includes('yor')));
});

test('retrieval helpers: top-1 counts a source right when its own index scores best; 3-gram vectors are unit length', () => {
  const a = ['the cat sat', 'a dog ran', 'birds fly'].map(trigramVector);
  const b = ['the cat sits', 'the dog ran', 'bird flies'].map(trigramVector);
  const cos = (x: Map<string, number>, y: Map<string, number>) => [...x].reduce((s, [g, v]) => s + v * (y.get(g) ?? 0), 0);
  assert.equal(top1(a, b, cos), 1);
  assert.equal(top1(a, [b[1], b[2], b[0]], cos), 0);
  const norm = Math.hypot(...trigramVector('hello world').values());
  assert.ok(Math.abs(norm - 1) < 1e-12);
});

test('the 3-gram baseline through an index equals the pairwise cosine loop exactly, ties and other scripts included', () => {
  const words = ['the', 'cat', 'sat', 'dog', 'ran', 'bird', 'fly', 'Katze', 'Hund', 'кошка', 'собака', '猫', '狗'];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const text = () => Array.from({ length: 2 + Math.floor(next() * 6) }, () => words[Math.floor(next() * words.length)]).join(' ');
  const cos = (x: Map<string, number>, y: Map<string, number>) => [...x].reduce((s, [g, v]) => s + v * (y.get(g) ?? 0), 0);
  for (let round = 0; round < 20; round++) {
    const sources = Array.from({ length: 15 }, text).map(trigramVector);
    const targets = Array.from({ length: 15 }, text).map(trigramVector);
    assert.equal(trigramTop1(sources, trigramIndex(targets)), top1(sources, targets, cos), `round ${round}`);
  }
  // No 3-gram in common (two scripts): every score is 0 and the first target wins, as in the pairwise loop.
  const latin = ['aaa', 'bbb', 'ccc'].map(trigramVector);
  const cyrillic = ['жжж', 'ззз', 'иии'].map(trigramVector);
  assert.equal(trigramTop1(latin, trigramIndex(cyrillic)), 1 / 3);
  assert.equal(top1(latin, cyrillic, cos), 1 / 3);
});

test('retrieval by margin finds a translation that a hub outscores by cosine', () => {
  const unit = (...v: number[]) => { const n = Math.hypot(...v); return Float32Array.from(v, (x) => x / n); };
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((t, x, d) => t + x * b[d]!, 0);
  const sources = [unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(1, 1, 0, 0.1)];
  // Target 2 is a hub: closer to sources 0 and 1 (0.707) than their own translations (0.64) are.
  const targets = [unit(1, 0, 1.2, 0), unit(0, 1, 1.2, 0), unit(1, 1, 0, 0)];
  assert.ok(dot(sources[0]!, targets[2]!) > dot(sources[0]!, targets[0]!), 'the hub wins by cosine');
  assert.equal(top1(sources, targets, dot), 1 / 3);
  assert.equal(top1ByMargin(sources, targets, 1), 1);
});

test('a multi-source recipe validates at its marks: validation.jsonl holds fill-mask, retrieval among 200+ verses with cross-script pairs and 3-gram baselines, and the held-out source', { timeout: 600_000 }, async () => {
  const { pretrain } = await import('../../src/engine/pretrain/pretrain.js');
  const { readFileSync, existsSync } = await import('node:fs');
  const root = mkdtempSync(join(tmpdir(), 'xlm-validate-'));
  try {
    const recipe = parseRecipe({
      name: 'tiny-multi', model: { layers: 1, hidden: 32, heads: 2, intermediate: 64 }, vocabSize: 1500, languages: ['eng', 'fra', 'arb'],
      validationArticles: [25, 26, 27], objectives: [{ name: 'mlm', weight: 1 }, { name: 'rank', weight: 1 }], steps: 4, batchSize: 8, learningRate: 0.001, maxLength: 64,
      corpus: { quran: QURAN, cldrLocalenames: { validationShare: 0.1, testShare: 0.1 }, heldOutSource: 'cldr-annotations', parallelMix: { udhr: 1, quran: 1, 'cldr-localenames': 1 } },
      evaluation: { steps: [2] },
    }, 'tiny-multi.json');
    const out = join(root, 'model');
    const result = await pretrain(recipe, out, { threads: 1, runDir: join(root, 'run') });
    assert.equal(result.steps, 4);
    const records = readFileSync(join(root, 'run', 'validation.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.mark, r.step]), [['step 2', 2], ['end', 4]]);
    assert.ok(existsSync(join(root, 'run', 'marks', 'step-000002', 'model.safetensors')), 'the marks keep their model folders');
    const report = records[1].report;
    assert.ok(report.fillMaskTop5 >= 0 && report.fillMaskTop5 <= 1 && report.unigramTop5 > 0 && report.mlmLoss > 0);
    assert.equal(report.fillMaskLanguages, 3);
    const [verses, heldOut] = report.retrieval;
    assert.equal(verses.name, 'quran-validation');
    assert.ok(verses.candidates >= 200, `${verses.candidates} candidates`);
    assert.deepEqual(verses.languages, ['arb', 'eng', 'fra']);
    assert.equal(verses.pairs, 6);
    assert.equal(verses.crossScriptPairs, 4);
    assert.ok(verses.trigramCrossScript < 0.05, 'character overlap finds almost nothing across scripts');
    assert.ok(verses.pairAccuracy >= 0.5 && verses.pairAccuracy <= 1);
    assert.equal(heldOut.name, 'cldr-annotations-held-out');
    assert.equal(heldOut.candidates, 300);
    assert.equal(heldOut.pairAccuracy, undefined);
    const info = JSON.parse(readFileSync(join(out, 'xlm-lab-pretrain.json'), 'utf8'));
    assert.equal(info.validation.length, 2);
    assert.equal(info.firstLosses.length, 4);
    assert.match(info.corpus, /^udhr@6\.\d+\.\d+ quran-json@3\.1\.2 cldr-localenames-full@48\.2\.0 cldr-annotations-full@48\.2\.0$/);
    // A run that died after a mark can still ship it: the run folder holds the record of how it was made.
    const partial = JSON.parse(readFileSync(join(root, 'run', 'xlm-lab-pretrain.json'), 'utf8'));
    assert.equal(partial.partial, true);
    const { exportShippedModel } = await import('../../src/engine/pretrain/shipped-model.js');
    const manifest = exportShippedModel({ run: join(root, 'run'), checkpoint: join(root, 'run', 'marks', 'step-000002'), dest: join(root, 'shipped') });
    assert.equal(manifest.step, 2);
    assert.deepEqual(manifest.corpus.map((c) => `${c.name} ${c.license}`), ['udhr MIT', 'quran-json CC-BY-4.0', 'cldr-localenames-full Unicode-3.0', 'cldr-annotations-full Unicode-3.0']);
    assert.match(readFileSync(join(root, 'shipped', 'README.md'), 'utf8'), /\| quran-json \| 3\.1\.2 \| CC-BY-4\.0 \|/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
