import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { connectEngineInProcess } from '../helpers/engine-pair.js';
import { runXlm } from '../helpers/cli.js';
import * as p from '../../src/engine/rpc/protocol.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fitSoftmax, fitMacroF1, predictClass } from '../../src/engine/pretrain/language-id-fit.js';
import { writeSafetensors } from '../../src/engine/hf/safetensors-write.js';
import { LANGUAGE_ID_FILE, LANGUAGE_ID_WEIGHTS, identifyLanguage, languageFeatures, readLanguageIdHead, writeLanguageIdHead } from '../../src/engine/tasks/language-id.js';

let root: string;
let withHead: string;
let bare: string;
const texts = ['the cat sat on the mat', 'le chat est sur le tapis', 'кошка сидит на ковре', 'η γάτα κάθεται στο χαλί'];
const langs = ['eng', 'fra', 'rus', 'ell'];
const names = ['English', 'French', 'Russian', 'Greek'];
const hidden = 32;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlm-langid-'));
  withHead = join(root, 'with-head');
  bare = join(root, 'bare');
  writeTinyXlmr(withHead, { head: 'mlm', seed: 5, hiddenSize: hidden });
  writeTinyXlmr(bare, { head: 'mlm', seed: 5, hiddenSize: hidden });
  // A head fitted on the tiny model's own features of four texts: it must give each text back its label.
  const cache = new ModelCache({ threads: 1 });
  const model = await cache.model(withHead);
  const features = await languageFeatures(model, texts, ['mean-last', 'mean-embeddings']);
  const fit = fitSoftmax(features, [0, 1, 2, 3], 4, { epochs: 200, batchSize: 4, learningRate: 0.05 });
  writeLanguageIdHead(withHead, { labels: langs, names, features: ['mean-last', 'mean-embeddings'], weight: fit.weight, bias: fit.bias, info: { note: 'test' }, translationThreshold: { cosine: 0.5, accuracy: 0.9 } }, hidden);
  await cache.closeAll();
});

after(() => rmSync(root, { recursive: true, force: true }));

test('fitSoftmax separates clusters, and the standardisation it fits under is folded into the stored weights', () => {
  // Three clusters far from the origin on a tiny scale: without standardisation one learning rate fits them badly.
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  let s = 1;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.002;
  for (let i = 0; i < 90; i++) {
    const c = i % 3;
    rows.push(Float32Array.from({ length: 4 }, (_, d) => 1 + (d === c ? 0.01 : 0) + noise()));
    labels.push(c);
  }
  const fit = fitSoftmax(rows, labels, 3, { epochs: 30, batchSize: 16, learningRate: 0.05 });
  assert.equal(fitMacroF1(fit, rows, labels, ['a', 'b', 'c']), 1);
  // Raw rows go in: a row shifted toward class 2 is predicted as 2.
  assert.equal(predictClass(fit, Float32Array.from([1, 1, 1.01, 1]), 3), 2);
});

test("fitSoftmax's minScale keeps a dimension seen in one row from weighing more than a common one", () => {
  // Dimension 2 is non-zero in one training row only: standardised, that row's value would be ~10 deviations.
  const rows = Array.from({ length: 100 }, (_, i) => Float32Array.from([i % 2, 1 - (i % 2), i === 0 ? 0.05 : 0]));
  const labels = rows.map((_, i) => i % 2);
  const rare = (f: { weight: Float32Array }) => Math.max(Math.abs(f.weight[2]!), Math.abs(f.weight[5]!));
  const plain = fitSoftmax(rows, labels, 2, { epochs: 20, batchSize: 10, learningRate: 0.05 });
  const floored = fitSoftmax(rows, labels, 2, { epochs: 20, batchSize: 10, learningRate: 0.05, minScale: 0.5 });
  assert.ok(rare(floored) < rare(plain) / 5, `rare dimension's weight ${rare(floored)} with the floor, ${rare(plain)} without`);
  assert.equal(fitMacroF1(floored, rows, labels, ['a', 'b']), 1, 'the common dimensions still separate the classes');
});

test('fitSoftmax keeps the epoch with the best validation score', () => {
  const rows = [Float32Array.from([0, 1]), Float32Array.from([1, 0])];
  const seen: number[] = [];
  const fit = fitSoftmax(rows, [0, 1], 2, { epochs: 5, batchSize: 2, onEpoch: (epoch) => (seen.push(epoch), epoch === 3 ? 1 : 0) });
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.equal(fit.epoch, 3);
});

test('identifyLanguage gives each text its language, probabilities summing to 1 over the head', async () => {
  const cache = new ModelCache({ threads: 1 });
  const model = await cache.model(withHead);
  const all = await identifyLanguage(model, texts, { topK: 4 });
  assert.deepEqual(all.map((scores) => scores[0].label), langs);
  for (const scores of all) {
    assert.ok(Math.abs(scores.reduce((t, x) => t + x.score, 0) - 1) < 1e-6);
    assert.ok(scores.every((x, i) => i === 0 || x.score <= scores[i - 1].score));
  }
  assert.equal((await identifyLanguage(model, texts.slice(0, 1)))[0].length, 3, 'three languages by default');
  await cache.closeAll();
});

test('a model without a head, or with a broken one, is an error naming the file and what is wrong', async () => {
  const cache = new ModelCache({ threads: 1 });
  await assert.rejects(identifyLanguage(await cache.model(bare), ['x']), (e: Error & { code?: string; place?: { file?: string } }) => e.code === 'model-no-head' && e.place?.file === join(bare, LANGUAGE_ID_FILE));
  await cache.closeAll();

  const broken = join(root, 'broken');
  writeTinyXlmr(broken, { head: 'mlm', seed: 5, hiddenSize: hidden });
  const json = JSON.parse(readFileSync(join(withHead, LANGUAGE_ID_FILE), 'utf8')) as Record<string, unknown>;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...json, format: 'something-else' }, /not a language-identification head/],
    [{ ...json, names: ['English'] }, /"names" has 1 entries and "labels" 4/],
    [{ ...json, features: ['mean-first'] }, /unknown feature "mean-first"/],
    [{ ...json, translationThreshold: { cosine: 3, accuracy: 1 } }, /"translationThreshold" must be/],
    [{ ...json, features: ['mean-last'] }, /shape \[4, 64\], expected \[4, 32\]/],
  ];
  writeFileSync(join(broken, LANGUAGE_ID_WEIGHTS), readFileSync(join(withHead, LANGUAGE_ID_WEIGHTS)));
  for (const [bad, message] of cases) {
    writeFileSync(join(broken, LANGUAGE_ID_FILE), JSON.stringify(bad));
    assert.throws(() => readLanguageIdHead(broken, hidden), (e: Error & { place?: { file?: string } }) => message.test(e.message) && Boolean(e.place?.file?.startsWith(broken)), `${message}`);
  }
  writeFileSync(join(broken, LANGUAGE_ID_FILE), JSON.stringify(json));
  const weight = new Float32Array(4 * 2 * hidden);
  weight[7] = Number.NaN;
  writeSafetensors(join(broken, LANGUAGE_ID_WEIGHTS), { 'classifier.weight': { dtype: 'F32', shape: [4, 2 * hidden], data: weight }, 'classifier.bias': { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
  assert.throws(() => readLanguageIdHead(broken, hidden), /'classifier.weight' holds NaN or infinite values/);
});

test('the languageId request answers names and probabilities; model/info lists the head', async () => {
  const engine = connectEngineInProcess();
  try {
    const info = await engine.client.sendRequest(p.modelLoad, { dir: withHead });
    assert.ok(info.heads.includes('language-identification'));
    const { languages } = await engine.client.sendRequest(p.languageId, { texts: [texts[2], texts[1]], topK: 2 });
    assert.deepEqual(languages.map((l) => [l[0].label, l[0].name, l.length]), [['rus', 'Russian', 2], ['fra', 'French', 2]]);
    const bareInfo = await engine.client.sendRequest(p.modelLoad, { dir: bare });
    assert.ok(!bareInfo.heads.includes('language-identification'));
    await assert.rejects(engine.client.sendRequest(p.languageId, { texts: ['x'] }), /no language-identification head/);
    // The engine keeps answering after the refusal.
    const again = await engine.client.sendRequest(p.languageId, { texts: [texts[0]], model: withHead });
    assert.equal(again.languages[0][0].label, 'eng');
  } finally {
    engine.dispose();
  }
});

test('xlm language-id prints code, name and probability; --json gives them per text', async () => {
  const env = { XLM_LAB_CACHE: join(root, 'cache') };
  const plain = await runXlm(['language-id', '--model', withHead, '--text', texts[3], '--top-k', '1'], { env });
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^(\(under 20 letters: unreliable\)\n)?ell {2}Greek +\d+\.\d%\n$/);
  const json = await runXlm(['language-id', '--model', withHead, '--json'], { env, stdin: `${texts[0]}\n${texts[1]}\n` });
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { text: string; languages: { label: string; name: string; score: number }[] }[];
  assert.deepEqual(rows.map((r) => [r.text, r.languages[0].label, r.languages.length]), [[texts[0], 'eng', 3], [texts[1], 'fra', 3]]);
  // A blank line keeps its place (no languages); a text under 20 letters is marked, in both forms; names line up.
  const long = `${texts[0]} and ${texts[0]}`;
  const lines = await runXlm(['language-id', '--model', withHead, '--json'], { env, stdin: `${long}\n\nHow are you?\n` });
  const answered = JSON.parse(lines.stdout) as { text: string; languages: unknown[]; tooShort?: boolean }[];
  assert.deepEqual(answered.map((r) => [r.text, r.languages.length, r.tooShort ?? false]), [[long, 3, false], ['', 0, true], ['How are you?', 3, true]]);
  const marked = await runXlm(['language-id', '--model', withHead], { env, stdin: `${long}\n\nHow are you?\n` });
  assert.match(marked.stdout, /\n {2}\(empty\)\nHow are you\?\n {2}\(under 20 letters: unreliable\)\n/);
  const percentColumns = new Set(marked.stdout.split('\n').filter((l) => /%$/.test(l)).map((l) => l.length));
  assert.equal(percentColumns.size, 1, `the percentages line up:\n${marked.stdout}`);
  const none = await runXlm(['language-id', '--model', bare, '--text', 'x'], { env });
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /language-id\.json/);
});

test('the head names languages for people: curated names, then ICU\'s English names, never a bare code for a UDHR language', async () => {
  const { languageDisplayName } = await import('../../src/engine/pretrain/languages.js');
  assert.equal(languageDisplayName('eng'), 'English');
  assert.equal(languageDisplayName('ltz'), 'Luxembourgish');
  assert.equal(languageDisplayName('prs'), 'Dari');
  assert.equal(languageDisplayName('lld'), 'Ladin', 'a code ICU does not name falls back to the udhr index\'s name');
  const head = JSON.parse(readFileSync(join(__dirname, '../../models/default', LANGUAGE_ID_FILE), 'utf8')) as { labels: string[]; names: string[] };
  assert.deepEqual(head.names.filter((n, i) => n === head.labels[i]), [], 'a shipped name is only a code');
});

test('xlm language-id marks an answer under 50% unsure (the shipped head on an everyday English sentence), and a sure one not', async () => {
  const shipped = join(__dirname, '..', '..', 'models', 'default');
  const everyday = 'Thanks a lot for your help yesterday!';
  const declaration = 'Toute personne a droit à la liberté de pensée, de conscience et de religion.';
  const r = await runXlm(['language-id', '--model', shipped, '--json'], { stdin: `${everyday}\n${declaration}\n` });
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { text: string; languages: { label: string; score: number }[]; unsure?: boolean }[];
  for (const row of rows) assert.equal(row.unsure ?? false, row.languages[0]!.score < 0.5, `${row.text}: ${row.languages[0]!.score}`);
  assert.equal(rows[0]!.unsure, true, 'the shipped head gives its best guess (Norwegian Bokmål) 35.5%');
  assert.equal(rows[1]!.languages[0]!.label, 'fra');
  assert.equal(rows[1]!.unsure, undefined);
  const plain = await runXlm(['language-id', '--model', shipped], { stdin: `${everyday}\n${declaration}\n` });
  const unsureLines = plain.stdout.split('\n').filter((l) => l.includes('(unsure: no language reaches 50%'));
  assert.equal(unsureLines.length, rows.filter((x) => x.unsure).length, plain.stdout);
});
