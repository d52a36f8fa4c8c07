// Evaluation during translation training: a tiny Marian trained a few steps with --eval-every 2 logs eval lines
// (metrics.jsonl, the XLM-R tasks' {"step", "epoch", "eval": {...}} layout) whose BLEU, chrF and chrF++ are what
// scoreTranslations gives for the translations the saved model makes (decoded here on our own, from the saved
// folder exported to optimum's layout), per language pair when there are several; the dashboard draws a curve of
// the pooled ones; --metric-for-best chrf (an --eval TSV file) keeps the best; the command line prints the per-pair
// table and signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scoreTranslations } from '../../src/engine/metrics/translation.js';
import { exportSeq2SeqOnnx } from '../../src/engine/seq2seq/export.js';
import { trainTranslation } from '../../src/engine/seq2seq/train-run.js';
import type { TrainEvalMetrics } from '../../src/engine/train/options.js';
import { Translator } from '../../src/engine/translate/translator.js';
import { evalChartKeys } from '../../src/panels/messages.js';
import { parseMetrics } from '../../src/panels/runs.js';
import { runXlm } from '../helpers/cli.js';
import { writeTinyHfSeq2Seq } from '../helpers/tiny-hf-seq2seq.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

const PAIRS = [
  { source: 'The capital of France is Paris.', target: 'Le café est très naïve à Paris.' },
  { source: 'Berlin is the capital of Germany!', target: 'Die Hauptstadt von Deutschland ist Berlin, über alles.' },
  { source: 'Hello world, this is a test: 12 cats and 3 dogs.', target: 'El niño está en Madrid, España.' },
  { source: 'Le café est très naïve à Paris.', target: 'The capital of France is Paris.' },
];
/** Eval pairs of two language pairs. */
const EVAL = [
  { source: 'The capital of France is Paris.', target: 'Le café est très naïve à Paris.', sourceLang: 'en', targetLang: 'fr' },
  { source: 'Hello world, this is a test.', target: 'Le café est à Paris.', sourceLang: 'en', targetLang: 'fr' },
  { source: 'Berlin is the capital of Germany!', target: 'Die Hauptstadt von Deutschland ist Berlin.', sourceLang: 'en', targetLang: 'de' },
];
const MAX_LENGTH = 12;

function evalLines(out: string): TrainEvalMetrics[] {
  return parseMetrics(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).records.filter((r) => r.eval) as TrainEvalMetrics[];
}

async function decodeSaved(model: string, root: string, sources: string[], beams: number, langs: { from?: string; to?: string } = {}): Promise<string[]> {
  return (await translateSaved(model, root, sources, beams, langs)).map((t) => t.text);
}

async function translateSaved(model: string, root: string, sources: string[], beams: number, langs: { from?: string; to?: string } = {}): Promise<{ text: string; score: number }[]> {
  const exported = join(root, 'exported');
  exportSeq2SeqOnnx(model, exported);
  const translator = await Translator.load(exported, { threads: 1 });
  try {
    return await translator.translate(sources, { numBeams: beams, maxLength: MAX_LENGTH, ...langs });
  } finally {
    await translator.close();
    rmSync(exported, { recursive: true, force: true });
  }
}

test('eval lines every 2 steps and at the end carry BLEU / chrF / chrF++ of the saved model\'s translations, pooled and per pair', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-s2s-eval-'));
  try {
    const base = join(root, 'base');
    writeTinyHfSeq2Seq(base, 'marian', { seed: 5, std: 0.3 });
    const out = join(root, 'run');
    const result = await trainTranslation({
      model: base, task: 'translation', pairs: PAIRS, evalPairs: EVAL, evalEvery: 2, out, maxSteps: 5, batchSize: 2, lr: 3e-3, dropout: 0,
      threads: 1, seed: 3, maxLength: MAX_LENGTH, evalBeams: 2,
    });
    const lines = evalLines(out);
    assert.deepEqual(lines.map((l) => l.step), [2, 4, 5], 'every 2 steps and at the end');
    const last = lines[2];
    assert.deepEqual(result.lastEval, last);
    for (const key of ['bleu', 'chrf', 'chrf++', 'bleu/en-fr', 'chrf/en-fr', 'chrf++/en-de']) assert.equal(typeof last.eval[key], 'number', key);
    assert.match(last.signatures!.bleu, /^nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:/);
    assert.match(last.signatures!['chrf++'], /nw:2/);

    // The final model is the step-5 weights: decoding it ourselves and scoring gives the logged figures.
    const hypotheses = await decodeSaved(out, root, EVAL.map((r) => r.source), 2);
    const expected = scoreTranslations(EVAL.map((r, i) => ({ hypothesis: hypotheses[i], references: [r.target], sourceLang: r.sourceLang, targetLang: r.targetLang })));
    assert.equal(last.eval.bleu, expected.all.bleu.score);
    assert.equal(last.eval.chrf, expected.all.chrf.score);
    assert.equal(last.eval['chrf++'], expected.all.chrfPlusPlus.score);
    assert.equal(last.eval['bleu/en-de'], expected.pairs.find((p) => p.pair === 'en-de')!.bleu.score);
    assert.equal(last.eval['chrf/en-fr'], expected.pairs.find((p) => p.pair === 'en-fr')!.chrf.score);
    assert.equal(last.signatures!.bleu, expected.all.bleu.signature);
    assert.ok(expected.all.chrf.score > 0, 'the translations share characters with the references');

    // The dashboard draws a curve of each pooled metric; the per-pair keys go to its per-language table.
    const keys = evalChartKeys([{ records: parseMetrics(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).records }]);
    assert.deepEqual(keys, ['bleu', 'chrf', 'chrf++']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--metric-for-best chrf keeps the best evaluation\'s weights as the final model; bad combinations are refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-s2s-best-'));
  try {
    const base = join(root, 'base');
    writeTinyHfSeq2Seq(base, 'marian', { seed: 7, std: 0.3 });
    const out = join(root, 'run');
    const evalPairs = PAIRS.slice(0, 2);
    const evalFile = join(root, 'eval.tsv');
    writeFileSync(evalFile, evalPairs.map((p) => `${p.source}\t${p.target}`).join('\n') + '\n');
    await trainTranslation({
      model: base, task: 'translation', pairs: PAIRS, eval: evalFile, evalEvery: 1, out, maxSteps: 4, batchSize: 2, lr: 2e-2, dropout: 0,
      threads: 1, seed: 3, maxLength: MAX_LENGTH, metricForBest: 'chrf',
    });
    const lines = evalLines(out);
    assert.deepEqual(lines.map((l) => l.step), [1, 2, 3, 4]);
    const chrfs = lines.map((l) => l.eval.chrf);
    assert.ok(new Set(chrfs).size > 1, `the evaluations differ: ${chrfs}`);
    const bestAt = lines[chrfs.indexOf(Math.max(...chrfs))].step;
    const state = JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8')) as { best_global_step: number; best_metric: number };
    assert.equal(state.best_global_step, bestAt);
    assert.equal(state.best_metric, Math.max(...chrfs));
    // Decoding the final model gives the best evaluation's chrF.
    const hypotheses = await decodeSaved(out, root, evalPairs.map((p) => p.source), 1);
    assert.equal(scoreTranslations(evalPairs.map((p, i) => ({ hypothesis: hypotheses[i], references: [p.target] }))).all.chrf.score, Math.max(...chrfs));

    await assert.rejects(trainTranslation({ model: base, task: 'translation', pairs: PAIRS, out: join(root, 'x'), maxSteps: 1, metricForBest: 'accuracy', evalPairs }), /metricForBest accuracy has no meaning for the translation task; use bleu or chrf/);
    await assert.rejects(trainTranslation({ model: base, task: 'translation', pairs: PAIRS, out: join(root, 'y'), maxSteps: 1, evalPairs, evalBeams: 0 }), /evalBeams must be a whole number of at least 1/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('xlm train --task translation --eval-fraction prints the per-pair table with the signatures', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-s2s-eval-cli-'));
  try {
    const base = join(root, 'base');
    writeTinyHfSeq2Seq(base, 'marian', { seed: 2 });
    const data = join(root, 'pairs.tsv');
    writeFileSync(data, PAIRS.map((p) => `${p.source}\t${p.target}`).join('\n') + '\n');
    const run = await runXlm(['train', '--task', 'translation', '--model', base, '--train', data, '--out', join(root, 'run'), '--max-steps', '2', '--batch-size', '2',
      '--eval-fraction', '0.25', '--max-length', String(MAX_LENGTH), '--metric-for-best', 'bleu', '--threads', '1']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /holding out 1 of 4 pairs for evaluation/);
    assert.match(run.stderr, /evaluation at step 2 \(greedy\):\npair\s+BLEU\s+chrF2\s+chrF2\+\+\s+segments\n\S+\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+1\n/);
    assert.match(run.stderr, /\nBLEU\|nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:\S+\nchrF2\|nrefs:1\|case:mixed\|eff:yes\|nc:6\|nw:0\|space:no\|version:\S+\nchrF2\+\+\|/);
    const evalLine = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { eval?: Record<string, number> }).find((l) => l.eval);
    assert.ok(evalLine && typeof evalLine.eval!.bleu === 'number');
    const wrong = await runXlm(['train', '--task', 'seq-cls', '--model', base, '--train', data, '--out', join(root, 'z'), '--eval-beams', '2']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /--eval-beams is for --task translation/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// The evaluation decodes graphs built in memory from the current weights (LoRA merged); the figures must be the ones
// the saved folder, exported as `xlm export onnx` writes it, gives: LoRA on an M2M100 and an XLM-R encoder-decoder.
for (const kind of ['m2m100 lora', 'xlm-r encoder-decoder'] as const) {
  test(`${kind}: the in-memory evaluation scores what the saved model, exported, translates`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'xlm-s2s-eval-mem-'));
    try {
      const base = join(root, 'base');
      if (kind === 'm2m100 lora') writeTinyHfSeq2Seq(base, 'm2m100', { seed: 5, std: 0.3 });
      else writeTinyXlmr(base, { head: 'mlm', seed: 5 });
      const langs = kind === 'm2m100 lora' ? { sourceLang: 'en', targetLang: 'fr' } : {};
      const out = join(root, 'run');
      // The folder's settings and tokenizer are parsed once for the run's two evaluations (steps 2 and 3).
      const readFolder = Translator.readFolder;
      let reads = 0;
      Translator.readFolder = (...args) => (reads++, readFolder.apply(Translator, args));
      const result = await trainTranslation({
        model: base, task: 'translation', pairs: PAIRS, evalPairs: EVAL.map(({ source, target }) => ({ source, target })), evalEvery: 2, out, maxSteps: 3, batchSize: 2, lr: kind === 'm2m100 lora' ? 0.1 : 3e-3, dropout: 0,
        threads: 1, seed: 3, maxLength: MAX_LENGTH, evalBeams: 1, ...(kind === 'm2m100 lora' ? { method: 'lora' as const, loraDropout: 0 } : {}), ...langs,
      }).finally(() => (Translator.readFolder = readFolder));
      assert.deepEqual(evalLines(out).map((l) => l.step), [2, 3]);
      assert.equal(reads, 1, 'the tokenizer and settings were read once for both evaluations');
      assert.ok(!existsSync(join(out, '.eval-model')), 'and the scratch folder they were written to is gone');
      const last = evalLines(out).at(-1)!;
      const saved = await translateSaved(out, root, EVAL.map((r) => r.source), 1, kind === 'm2m100 lora' ? { from: 'en', to: 'fr' } : {});
      // Same texts and the same log-probabilities: the evaluation decoded the very weights that were saved.
      assert.deepEqual(result.translations!.map((t) => t.text), saved.map((t) => t.text));
      saved.forEach((t, i) => assert.ok(Math.abs(result.translations![i].score - t.score) < 1e-4, `sentence ${i}: evaluation ${result.translations![i].score}, saved model ${t.score}`));
      const expected = scoreTranslations(EVAL.map((r, i) => ({ hypothesis: saved[i].text, references: [r.target] })));
      assert.equal(last.eval.bleu, expected.all.bleu.score);
      assert.equal(last.eval.chrf, expected.all.chrf.score);
      assert.equal(last.eval['chrf++'], expected.all.chrfPlusPlus.score);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
