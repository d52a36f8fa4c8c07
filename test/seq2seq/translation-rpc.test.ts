// The fine-tune wizard's engine calls for translation: data/inspect recognises each parallel layout (TSV headed by
// two language codes, HF translation JSON Lines, source/target JSON Lines, two line-aligned files) and suggests
// translation with the language pair the data names; train/start trains a seq2seq model from a TSV, writes eval
// lines with BLEU and chrF to metrics.jsonl (the dashboard's curves), and leaves a folder with ONNX files that
// model/capabilities says serves translation (what "Use for translation" needs) and the translate request runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyHfSeq2Seq } from '../helpers/tiny-hf-seq2seq.js';

const PAIRS: [string, string][] = [
  ['The cat sleeps.', 'Le chat dort.'], ['The dog runs.', 'Le chien court.'], ['I love Paris.', "J'aime Paris."],
  ['Good morning.', 'Bonjour.'], ['Thank you.', 'Merci.'], ['The house is big.', 'La maison est grande.'],
  ['The water is cold.', "L'eau est froide."], ['We are here.', 'Nous sommes ici.'], ['Where is the station?', 'Où est la gare ?'],
  ['The sun shines.', 'Le soleil brille.'], ['I read a book.', 'Je lis un livre.'], ['She sings well.', 'Elle chante bien.'],
];

let root: string;
let engine: EnginePair;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-translation-rpc-'));
  writeTinyHfSeq2Seq(join(root, 'marian'), 'marian', { seed: 4 });
  engine = connectEngineInProcess();
});
after(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('data/inspect suggests translation for each parallel layout, with the language pair the data names', async () => {
  const tsv = join(root, 'pairs.tsv');
  writeFileSync(tsv, ['en\tfr', ...PAIRS.map(([s, t]) => `${s}\t${t}`)].join('\n') + '\n');
  const hf = join(root, 'hf.jsonl');
  writeFileSync(hf, PAIRS.map(([en, de]) => JSON.stringify({ translation: { en, de } })).join('\n') + '\n');
  const st = join(root, 'st.jsonl');
  writeFileSync(st, PAIRS.map(([source, target]) => JSON.stringify({ source, target })).join('\n') + '\n');
  writeFileSync(join(root, 'corpus.en'), PAIRS.map(([s]) => s).join('\n') + '\n');
  writeFileSync(join(root, 'corpus.fr'), PAIRS.map(([, t]) => t).join('\n') + '\n');
  const cases: [p.DataInspectParams, string | undefined, string | undefined][] = [
    [{ file: tsv }, 'en', 'fr'],
    [{ file: hf }, 'en', 'de'],
    [{ file: st }, undefined, undefined],
    [{ file: join(root, 'corpus.en'), target: join(root, 'corpus.fr') }, 'en', 'fr'],
  ];
  for (const [params, sourceLang, targetLang] of cases) {
    const r = await engine.client.sendRequest(p.dataInspect, params);
    assert.equal(r.suggestedTask, 'translation', params.file);
    assert.equal(r.rows, PAIRS.length, params.file);
    assert.equal(r.sourceLang, sourceLang, params.file);
    assert.equal(r.targetLang, targetLang, params.file);
    assert.deepEqual(r.problems.filter((x) => x.severity === 'error'), [], params.file);
  }
  // Misaligned files: an error naming the line, not a crash.
  writeFileSync(join(root, 'short.fr'), PAIRS.slice(0, 5).map(([, t]) => t).join('\n') + '\n');
  const bad = await engine.client.sendRequest(p.dataInspect, { file: join(root, 'corpus.en'), target: join(root, 'short.fr') });
  assert.ok(bad.problems.some((x) => x.severity === 'error' && /line/.test(x.message)), JSON.stringify(bad.problems));
});

test('train/start with task translation trains the seq2seq model, logs BLEU and chrF, and leaves a translator the slots can use', async () => {
  const data = join(root, 'pairs.tsv');
  writeFileSync(data, ['en\tfr', ...PAIRS.map(([s, t]) => `${s}\t${t}`)].join('\n') + '\n');
  const defaults = await engine.client.sendRequest(p.trainDefaults, { model: join(root, 'marian'), task: 'translation', method: 'full', rows: PAIRS.length });
  assert.match(defaults.why, /translation/);
  // opus-mt-like: one fixed pair, nothing to choose, so the wizard sends no language pair.
  assert.deepEqual(defaults.languages, { takes: 'none', codes: [] });
  const ends: p.TrainEndParams[] = [];
  const sub = engine.client.onNotification(p.trainEnd, (e) => ends.push(e));
  try {
    const started = await engine.client.sendRequest(p.trainStart, {
      model: join(root, 'marian'), data, evalData: data, task: 'translation', method: 'full', epochs: 2, batchSize: 4, learningRate: defaults.learningRate, maxLength: 24,
      labelSmoothing: 0.1, runFolder: join(root, 'runs'),
    });
    for (let i = 0; i < 2400 && !ends.some((e) => e.runId === started.runId); i++) await new Promise((r) => setTimeout(r, 50));
    const end = ends.find((e) => e.runId === started.runId);
    assert.equal(end?.status, 'completed', JSON.stringify(end));
    const run = JSON.parse(readFileSync(join(started.runDir, 'run.json'), 'utf8')) as p.TrainStartParams;
    assert.equal(run.task, 'translation');
    const config = JSON.parse(readFileSync(join(started.runDir, 'config.json'), 'utf8')) as { model_type: string };
    assert.equal(config.model_type, 'marian');
    const evals = readFileSync(join(started.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { eval?: Record<string, number> }).filter((l) => l.eval);
    assert.ok(evals.length >= 1 && evals.every((l) => Number.isFinite(l.eval!.bleu) && Number.isFinite(l.eval!.chrf)), JSON.stringify(evals));
    assert.ok(existsSync(join(started.runDir, 'onnx', 'decoder_model_merged.onnx')));
    const [caps] = await engine.client.sendRequest(p.modelCapabilities, { dirs: [started.runDir] });
    assert.ok(caps!.capabilities.includes('translate'), JSON.stringify(caps));
    const translated = await engine.client.sendRequest(p.translate, { texts: ['The cat sleeps.'], targetLang: 'fr', model: started.runDir });
    assert.equal(translated.translations.length, 1);
  } finally {
    sub.dispose();
  }
});

test('train/defaults for an M2M100-like model says both languages are chosen, from the codes its tokenizer knows', async () => {
  writeTinyHfSeq2Seq(join(root, 'm2m'), 'm2m100', { seed: 5 });
  const defaults = await engine.client.sendRequest(p.trainDefaults, { model: join(root, 'm2m'), task: 'translation', method: 'lora' });
  assert.equal(defaults.languages?.takes, 'both');
  assert.deepEqual([...defaults.languages!.codes].sort(), ['de', 'en', 'fr']);
});
