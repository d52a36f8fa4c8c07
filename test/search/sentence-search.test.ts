// The hover's workspace-sentence search (src/engine/search/): duplicates merged, vectors centred per language,
// the calibrated threshold deciding what is shown, and the index read lazily per file through sentences/similar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { connectEngineInProcess } from '../helpers/engine-pair.js';
import * as p from '../../src/engine/rpc/protocol.js';
import { centred, DEFAULT_SHRINKAGE, dot, languageMeans, meanFor } from '../../src/engine/search/centring.js';
import { dedupeRows } from '../../src/engine/search/sentence-index.js';
import { margin, neighbourhoodOf, neighbourhoods } from '../../src/engine/search/margin.js';
import { findShippedModel, verifyShippedModel } from '../../src/engine/pretrain/shipped-model.js';
import { figuresAt, readTranslationThreshold, THRESHOLD_FILE, THRESHOLD_FORMAT, thresholdForPrecision } from '../../src/engine/search/threshold.js';

test('rows equal once normalised and in the same language are one sentence, with every place; another language stays apart', () => {
  const { sentences, rows, truncated } = dedupeRows([
    { file: 'a.jsonl', rows: [{ text: 'Je déteste attendre', language: 'fr', line: 12 }, { text: 'I hate waiting', language: 'en', line: 10 }] },
    { file: 'b.jsonl', rows: [{ text: '  je DÉTESTE   attendre ', language: 'FR', line: 3 }, { text: 'Je déteste attendre', language: 'en', line: 4 }] },
  ]);
  assert.equal(rows, 4);
  assert.equal(truncated, false);
  assert.deepEqual(sentences.map((s) => [s.text, s.language, s.places.map((pl) => `${pl.file}:${pl.line}`)]), [
    ['Je déteste attendre', 'fr', ['a.jsonl:12', 'b.jsonl:3']],
    ['I hate waiting', 'en', ['a.jsonl:10']],
    ['Je déteste attendre', 'en', ['b.jsonl:4']],
  ]);
  // NFKC: a full-width spelling is the same sentence.
  assert.equal(dedupeRows([{ file: 'c', rows: [{ text: 'ＡＢＣ', language: 'en', line: 1 }, { text: 'abc', language: 'en', line: 2 }] }]).sentences.length, 1);
  // Past the limit new sentences are dropped (and said to be), repeats of kept ones still add their place.
  const limited = dedupeRows([{ file: 'd', rows: [{ text: 'x', language: 'en', line: 1 }, { text: 'y', language: 'en', line: 2 }, { text: 'x', language: 'en', line: 3 }] }], 1);
  assert.deepEqual(limited.sentences.map((s) => s.places.length), [2]);
  assert.equal(limited.truncated, true);
});

/** Unit vector of `v`. */
const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};

test('centring per language removes a language offset that dominates the raw cosine', () => {
  // Four meanings (one axis each) written in three languages; each language adds a large offset, and English's
  // and German's offsets point almost the same way. Raw cosine then prefers any German sentence over the French
  // translation of an English one.
  const dim = 7;
  const meaning = (k: number) => Array.from({ length: dim }, (_, d) => (d === k ? 1 : 0));
  const offsets: Record<string, number[]> = { en: [0, 0, 0, 0, 3, 0.3, 0], de: [0, 0, 0, 0, 3, 0, 0.3], fr: [0, 0, 0, 0, 0, 3, 0.2] };
  const langs: string[] = [];
  const vectors: Float32Array[] = [];
  for (const lang of ['en', 'de', 'fr']) {
    for (let k = 0; k < 4; k++) {
      langs.push(lang);
      vectors.push(unit(meaning(k).map((x, d) => x + offsets[lang]![d]!)));
    }
  }
  const at = (lang: string, k: number) => vectors[langs.indexOf(lang) + k]!;
  const rawTranslation = dot(at('en', 0), at('fr', 0));
  const rawOther = dot(at('en', 0), at('de', 1));
  assert.ok(rawOther > rawTranslation, `raw: another German sentence ${rawOther.toFixed(3)} beats the French translation ${rawTranslation.toFixed(3)}`);
  assert.ok(rawOther > 0.8, 'and a non-translation scores high');
  for (const shrinkage of [0, DEFAULT_SHRINKAGE]) {
    const means = languageMeans(vectors, langs, shrinkage);
    const c = (lang: string, k: number) => centred(at(lang, k), meanFor(means, lang));
    const translation = dot(c('en', 0), c('fr', 0));
    const other = dot(c('en', 0), c('de', 1));
    assert.ok(translation > 0.6 && translation > other + 0.5, `centred (shrinkage ${shrinkage}): translation ${translation.toFixed(3)}, non-translation ${other.toFixed(3)}`);
    assert.ok(other < 0, `centred (shrinkage ${shrinkage}): non-translation ${other.toFixed(3)}`);
    for (const v of [c('en', 0), c('de', 2)]) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-6, 'centred vectors have unit length');
  }
  // A language the index has no sentence of is centred on the overall mean; a language with one sentence is not
  // centred onto zero (its mean is shrunk towards the overall mean).
  const two = languageMeans([at('en', 0), at('fr', 0)], ['en', 'fr'], DEFAULT_SHRINKAGE);
  assert.deepEqual(meanFor(two, 'xx'), two.overall);
  assert.ok(Math.abs(Math.hypot(...centred(at('en', 0), meanFor(two, 'en'))) - 1) < 1e-6);
  assert.ok(Math.hypot(...centred(at('en', 0), meanFor(languageMeans([at('en', 0), at('fr', 0)], ['en', 'fr'], 0), 'en'))) === 0, 'without shrinkage it would be');
});

test('a margin discounts a hub: a sentence close to every sentence of the other language loses to a translation it beats on cosine', () => {
  // Three sentences of language x; in y, b translates x0 and h is close to all three x sentences.
  const langs = ['x', 'x', 'x', 'y', 'y'];
  const v = [unit([1, 0, 0, 1]), unit([0, 1, 0, 1]), unit([0, 0, 1, 1]), unit([1, 0, 0, 0.1]), unit([0.3, 0.3, 0.3, 1])];
  const cos = v.map((u) => dot(v[0]!, u));
  assert.ok(cos[4]! > cos[3]!, `the hub has the higher cosine (${cos[4]!.toFixed(3)} > ${cos[3]!.toFixed(3)})`);
  const around = neighbourhoods(v, langs, 2);
  // A neighbourhood is the mean of the two best cosines with the other language.
  assert.ok(Math.abs(around[0]! - (cos[3]! + cos[4]!) / 2) < 1e-6);
  assert.equal(neighbourhoodOf(cos, langs, 'x', 2), around[0]);
  const b = margin(cos[3]!, around[0]!, around[3]!);
  const h = margin(cos[4]!, around[0]!, around[4]!);
  assert.ok(b > 1.2 && h < 1.05, `margins: translation ${b.toFixed(3)}, hub ${h.toFixed(3)}`);
  assert.equal(margin(0.5, 0.25, 0.25), 2);
});

test('the threshold is the lowest score with the target precision, over enough pairs; figures at a threshold', () => {
  // Scores best first: 0.9 P, 0.8 P, 0.7 N, 0.6 P, 0.5 N, 0.4 N
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
  const positive = [true, true, false, true, false, false];
  assert.deepEqual(thresholdForPrecision(scores, positive, 0.75, 1), { threshold: 0.6, figures: { precision: 0.75, recall: 1, pairs: 3, nonPairs: 3 } });
  assert.equal(thresholdForPrecision(scores, positive, 1, 1)?.threshold, 0.8);
  // At least 3 shown: precision 1 needs 2 shown, so 1.0 is out of reach; 0.75 still is.
  assert.equal(thresholdForPrecision(scores, positive, 1, 3), undefined);
  assert.equal(thresholdForPrecision(scores, positive, 0.75, 3)?.threshold, 0.6);
  // Ties are shown or hidden together.
  assert.equal(thresholdForPrecision([0.5, 0.5, 0.4], [true, false, true], 0.9, 1), undefined);
  assert.deepEqual(figuresAt(scores, positive, 0.75), { precision: 1, recall: 2 / 3, pairs: 3, nonPairs: 3 });
  assert.equal(figuresAt(scores, positive, 2).precision, 1, 'nothing shown, nothing wrong');
});

test('the shipped model carries a calibrated threshold for centred vectors, sealed in its manifest', () => {
  const shipped = findShippedModel();
  if (!shipped) return; // A clone without models/default: the hover lists no workspace sentences (no threshold).
  const manifest = verifyShippedModel(shipped);
  assert.ok(manifest.files[THRESHOLD_FILE], 'translation-threshold.json is in the manifest');
  const t = readTranslationThreshold(shipped)!;
  assert.deepEqual([t.centring, t.score], ['per-language', 'margin']);
  assert.ok(t.calibration.precision >= t.targetPrecision, JSON.stringify(t));
  assert.ok(t.heldOut && t.heldOut.pairs >= 1000, 'measured on held-out pairs');
  assert.match(t.note, /scripts\/calibrate-translation-threshold\.ts/);
  assert.deepEqual(manifest.translationThreshold, t);
});

let root: string;
let model: string;
let engine: ReturnType<typeof connectEngineInProcess>;

const threshold = (value: number, score = 'cosine') => ({
  format: THRESHOLD_FORMAT, score, threshold: value, neighbours: 2, centring: 'none', shrinkage: 1, targetPrecision: 0.9,
  calibration: { precision: 0.9, recall: 0.5, pairs: 10, nonPairs: 10 }, note: 'test',
});

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-search-'));
  model = join(root, 'model');
  writeTinyXlmr(model, { head: 'mlm', seed: 3 });
  engine = connectEngineInProcess();
});
after(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('a malformed threshold file is an error naming the file and field', () => {
  const dir = join(root, 'bad');
  writeTinyXlmr(dir, { head: 'mlm' });
  writeFileSync(join(dir, THRESHOLD_FILE), JSON.stringify({ ...threshold(0.5), centring: 'sideways' }));
  assert.throws(() => readTranslationThreshold(dir), (e: unknown) => e instanceof Error && /"centring" must be "per-language" or "none"/.test(e.message) && (e as { place?: { file?: string } }).place?.file === join(dir, THRESHOLD_FILE));
});

test('sentences/similar: a sentence in two files is listed once with both places; below the threshold nothing; files read again only when changed', async () => {
  const a = join(root, 'a.jsonl');
  const b = join(root, 'b.jsonl');
  const notes = join(root, 'tokens.conll');
  writeFileSync(a, ['{"text":"I hate waiting","lang":"en"}', '{"text":"Je déteste attendre","lang":"fr"}', '{"text":"no language here"}'].join('\n') + '\n');
  writeFileSync(b, ['{"text":"Ich hasse das Warten","lang":"de"}', '{"text":"Je déteste attendre","lang":"fr"}'].join('\n') + '\n');
  writeFileSync(notes, 'EU\tB-ORG\nrejects\tO\n');
  const ask = (text: string) => engine.client.sendRequest(p.sentencesSimilar, { text, files: [a, b, notes, join(root, 'missing.jsonl')], topK: 10, model });

  // No calibrated threshold: nothing is shown and nothing is read.
  const none = await ask('I hate waiting');
  assert.deepEqual([none.matches, none.threshold, none.filesRead], [[], undefined, 0]);

  // A threshold every pair passes: each distinct sentence once, the hovered one left out.
  writeFileSync(join(model, THRESHOLD_FILE), JSON.stringify(threshold(-1)));
  const all = await ask('I hate waiting');
  assert.deepEqual([all.threshold?.score, all.threshold?.value], ['cosine', -1]);
  assert.deepEqual(all.matches.map((m) => m.text).sort(), ['Ich hasse das Warten', 'Je déteste attendre']);
  const fr = all.matches.find((m) => m.language === 'fr')!;
  assert.deepEqual(fr.places, [{ file: a, line: 2 }, { file: b, line: 2 }]);
  assert.deepEqual([all.sentences, all.rows, all.filesRead], [3, 4, 3]);
  assert.deepEqual(all.skipped.map((s) => s.file), [notes, join(root, 'missing.jsonl')]);
  for (const m of all.matches) assert.ok(m.similarity >= -1 && m.similarity <= 1.0001 && m.score === m.similarity);

  // Unchanged files come from the index; a changed one is read again and its new sentence searched.
  assert.equal((await ask('I hate waiting')).filesRead, 0);
  writeFileSync(b, ['{"text":"Ich hasse das Warten","lang":"de"}', '{"text":"Je déteste attendre","lang":"fr"}', '{"text":"Odio esperar","lang":"es"}'].join('\n') + '\n');
  utimesSync(b, new Date(), new Date(Date.now() + 5000));
  const changed = await ask('I hate waiting');
  assert.equal(changed.filesRead, 1);
  assert.ok(changed.matches.some((m) => m.text === 'Odio esperar'));

  // Margins: each cosine over the mean of the two sides' neighbourhoods, ranked by it.
  writeFileSync(join(model, THRESHOLD_FILE), JSON.stringify(threshold(-1e3, 'margin')));
  utimesSync(join(model, THRESHOLD_FILE), new Date(), new Date(Date.now() + 10000));
  const margins = await ask('I hate waiting');
  assert.equal(margins.matches.length, 3);
  assert.ok(margins.matches.some((m) => Math.abs(m.score - m.similarity) > 1e-6), 'a margin is not the cosine');
  assert.deepEqual(margins.matches.map((m) => m.score), margins.matches.map((m) => m.score).sort((x, y) => y - x));

  // A cosine floor under the margin: a match whose margin passes but whose cosine is below the floor is not shown.
  const cosines = margins.matches.map((m) => m.similarity).sort((x, y) => x - y);
  const floor = (cosines[0]! + cosines[1]!) / 2;
  writeFileSync(join(model, THRESHOLD_FILE), JSON.stringify({ ...threshold(-1e3, 'margin'), similarityFloor: floor }));
  utimesSync(join(model, THRESHOLD_FILE), new Date(), new Date(Date.now() + 12000));
  const floored = await ask('I hate waiting');
  assert.deepEqual(floored.matches.map((m) => m.text).sort(), margins.matches.filter((m) => m.similarity >= floor).map((m) => m.text).sort());
  assert.equal(floored.matches.length, 2, 'the lowest cosine is left out though its margin passes');

  // While some sentence passes, no `nearest` is given.
  assert.equal(floored.nearest, undefined);
  // A threshold above every score: no match, and the best-scoring sentence of another language as the nearest.
  writeFileSync(join(model, THRESHOLD_FILE), JSON.stringify(threshold(1.5)));
  utimesSync(join(model, THRESHOLD_FILE), new Date(), new Date(Date.now() + 15000));
  const above = await ask('I hate waiting');
  assert.deepEqual(above.matches, []);
  const best = [...margins.matches].sort((x, y) => y.similarity - x.similarity)[0]!;
  assert.deepEqual([above.nearest?.text, above.nearest?.language], [best.text, best.language], 'the highest cosine of another language');
  assert.deepEqual(above.nearest?.places, best.places);
});

test('sentences/index embeds the workspace ahead of the first hover: the hover then reads and embeds none of it, and a hover during indexing waits for it instead of embedding the same sentences', async () => {
  writeFileSync(join(model, THRESHOLD_FILE), JSON.stringify(threshold(-1)));
  utimesSync(join(model, THRESHOLD_FILE), new Date(), new Date(Date.now() + 20000));
  const c = join(root, 'c.jsonl');
  const d = join(root, 'd.jsonl');
  writeFileSync(c, ['{"text":"The sky is blue","lang":"en"}', '{"text":"Le ciel est bleu","lang":"fr"}', '{"text":"Der Himmel ist blau","lang":"de"}'].join('\n') + '\n');
  writeFileSync(d, ['{"text":"El cielo es azul","lang":"es"}', '{"text":"O céu é azul","lang":"pt"}'].join('\n') + '\n');
  const index = (files: string[]) => engine.client.sendRequest(p.sentencesIndex, { files, model });
  const similar = (files: string[]) => engine.client.sendRequest(p.sentencesSimilar, { text: 'The sky is blue', files, topK: 10, model });

  const first = await index([c]);
  assert.deepEqual([first.sentences, first.rows, first.filesRead, first.embedded, first.truncated], [3, 3, 1, 3, false]);
  assert.equal((await index([c])).embedded, 0, 'a second call finds everything embedded');
  const hover = await similar([c]);
  assert.equal(hover.filesRead, 0, 'the hover reads no file the index has');
  assert.deepEqual(hover.matches.map((m) => m.text).sort(), ['Der Himmel ist blau', 'Le ciel est bleu']);

  // Both at once: the search waits for the index's turn, so it neither reads d nor embeds its sentences again.
  const [indexed, found] = await Promise.all([index([c, d]), similar([c, d])]);
  assert.deepEqual([indexed.embedded, indexed.filesRead, indexed.sentences], [2, 1, 5]);
  assert.equal(found.filesRead, 0);
  assert.equal(found.matches.length, 4);

  // The model says whether it finds translations (the hover asks for none when it does not)...
  assert.equal((await engine.client.sendRequest(p.modelLoad, { dir: model })).findsTranslations, true);
  // ...and a model without a calibrated threshold never searches, so nothing is indexed for it.
  rmSync(join(model, THRESHOLD_FILE));
  assert.equal((await engine.client.sendRequest(p.modelLoad, { dir: model })).findsTranslations, false);
  const none = await index([c, d]);
  assert.deepEqual([none.sentences, none.embedded, none.filesRead], [0, 0, 0]);
});
