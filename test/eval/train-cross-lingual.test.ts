// Zero-shot cross-lingual transfer end to end: `xlm train --train-language en --eval FILE --eval-every N`
// trains on the English rows only and writes eval lines with every metric per language; --metric-for-best
// and --patience keep the best checkpoint, stop early, and make the best weights the final model.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from '../../src/engine/eval/evaluate.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
let base: string;

const CITIES = { en: ['Paris', 'Berlin', 'Madrid'], fr: ['Paris', 'Berlin', 'Madrid'], de: ['Paris', 'Berlin', 'Madrid'] };
const THINGS = ['cats', 'dogs', 'world'];
const FRAMES: Record<string, [string, string]> = { en: ['The', 'is big.'], fr: ['Le', 'est grand.'], de: ['Die', 'ist groß.'] };

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-zero-shot-'));
  base = join(root, 'base');
  writeTinyXlmr(base, { head: 'mlm', seed: 4, std: 0.1 });
  const rows: string[] = [];
  for (const [lang, [before, after]] of Object.entries(FRAMES)) {
    for (const w of CITIES[lang as keyof typeof CITIES]) rows.push(JSON.stringify({ lang, text: `${before} ${w} ${after}`, label: 'city' }));
    for (const w of THINGS) rows.push(JSON.stringify({ lang, text: `${before} ${w} ${after}`, label: 'other' }));
  }
  // A label only non-English rows carry: if --train-language leaked them in, the trained model would know it.
  rows.push(JSON.stringify({ lang: 'de', text: 'Die Hauptstadt ist Berlin.', label: 'capital' }));
  writeFileSync(join(root, 'train.jsonl'), rows.join('\n') + '\n');
  writeFileSync(join(root, 'eval.jsonl'), rows.slice(0, -1).join('\n') + '\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

const xlm = (argv: string[]) => runXlm(argv);

function evalLines(out: string): { step: number; eval: Record<string, number> }[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.eval);
}

test('--train-language en trains on English rows; eval lines carry every metric per language, as xlm eval scores the checkpoint', async () => {
  const out = join(root, 'out-en');
  const r = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'train.jsonl'), '--train-language', 'en', '--eval', join(root, 'eval.jsonl'),
    '--out', out, '--lr', '3e-3', '--batch-size', '3', '--max-steps', '6', '--eval-every', '3', '--save-every', '3', '--dropout', '0', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /training on en: 6 rows \(13 rows in other languages left out\)/);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(Object.values(config.id2label), ['city', 'other'], 'only the English rows\' labels');

  const evals = evalLines(out);
  assert.deepEqual(evals.map((l) => l.step), [3, 6]);
  for (const line of evals) {
    for (const name of ['loss', 'accuracy', 'macro_f1', 'micro_f1']) {
      assert.equal(typeof line.eval[name], 'number', name);
      for (const lang of ['en', 'fr', 'de']) assert.equal(typeof line.eval[`${name}/${lang}`], 'number', `${name}/${lang}`);
    }
  }
  // The eval line of step 3 and `xlm eval` on checkpoint-3 agree language by language.
  const scored = await evaluate({ model: join(out, 'checkpoint-3'), data: join(root, 'eval.jsonl') });
  for (const lang of ['en', 'fr', 'de']) {
    assert.equal(evals[0].eval[`accuracy/${lang}`], scored.perLanguage[lang].accuracy, `accuracy/${lang}`);
    assert.ok(Math.abs(evals[0].eval[`loss/${lang}`] - scored.perLanguage[lang].loss) < 1e-4, `loss/${lang}`);
  }
  assert.equal(evals[0].eval.accuracy, scored.metrics.accuracy);

  // The zero-shot table of the last evaluation closes the run: a column per language, their mean, the pooled value.
  const table = r.stderr.split('\n');
  const header = table.findIndex((l) => l.startsWith('metric'));
  assert.deepEqual(table[header].split(/\s+/), ['metric', 'en', 'fr', 'de', 'avg', 'all']);
  const accuracy = table.slice(header).find((l) => l.startsWith('accuracy'))!.split(/\s+/);
  const last = evals[1].eval;
  assert.deepEqual(accuracy.slice(1), [...['en', 'fr', 'de'].map((l) => last[`accuracy/${l}`]), (last['accuracy/en'] + last['accuracy/fr'] + last['accuracy/de']) / 3, last.accuracy].map((v) => (v * 100).toFixed(1)));
});

test('--metric-for-best accuracy --patience 2: stops after two evaluations without improvement and keeps the best weights as the final model', async () => {
  const out = join(root, 'out-best');
  // A learning rate that moves the weights but too little to flip a prediction: accuracy never improves after the first evaluation.
  const r = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'train.jsonl'), '--train-language', 'en', '--eval', join(root, 'eval.jsonl'),
    '--out', out, '--lr', '1e-6', '--batch-size', '3', '--max-steps', '20', '--eval-every', '2', '--metric-for-best', 'accuracy', '--patience', '2', '--dropout', '0', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const evals = evalLines(out);
  assert.deepEqual(evals.map((l) => l.step), [2, 4, 6], 'stopped at the third evaluation');
  assert.match(r.stderr, /early stopping at step 6: accuracy has not improved for 2 evaluations \(best [\d.]+ at step 2\)/);
  const lastStep = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'loss' in l && !l.eval).at(-1);
  assert.equal(lastStep.step, 6);

  const state = JSON.parse(readFileSync(join(out, 'trainer_state.json'), 'utf8'));
  assert.equal(state.best_global_step, 2);
  assert.equal(state.best_metric, evals[0].eval.accuracy);
  assert.equal(state.best_model_checkpoint, join(out, 'checkpoint-2'));
  assert.ok(existsSync(join(out, 'checkpoint-2', 'model.safetensors')), 'the best evaluation was saved as a checkpoint');
  assert.ok(existsSync(join(out, 'checkpoint-6', 'model.safetensors')), 'and the last step too, for --resume');
  const final = openSafetensors(join(out, 'model.safetensors'));
  const best = openSafetensors(join(out, 'checkpoint-2', 'model.safetensors'));
  const last = openSafetensors(join(out, 'checkpoint-6', 'model.safetensors'));
  try {
    const name = 'classifier.out_proj.weight';
    assert.deepEqual(final.readFloat32(name), best.readFloat32(name), 'the final model is the best checkpoint');
    assert.notDeepEqual(final.readFloat32(name), last.readFloat32(name), 'not the last step');
  } finally {
    final.close();
    best.close();
    last.close();
  }

  const noEval = await xlm(['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'train.jsonl'), '--out', join(root, 'x'), '--metric-for-best', 'f1']);
  assert.equal(noEval.code, 1);
  assert.match(noEval.stderr, /--metric-for-best needs evaluation data \(--eval FILE\)/);
});

test('token-cls and masked-LM eval lines per language equal xlm eval on the same checkpoint (same masks by seed)', async () => {
  const ner = [
    { lang: 'en', tokens: ['The', 'capital', 'of', 'France', 'is', 'Paris', '.'], tags: ['O', 'O', 'O', 'B-LOC', 'O', 'B-LOC', 'O'] },
    { lang: 'en', tokens: ['I', 'love', 'Paris'], tags: ['O', 'O', 'B-LOC'] },
    { lang: 'de', tokens: ['Die', 'Hauptstadt', 'von', 'Deutschland', 'ist', 'Berlin'], tags: ['O', 'O', 'O', 'B-LOC', 'O', 'B-LOC'] },
    { lang: 'es', tokens: ['El', 'niño', 'está', 'en', 'Madrid', ',', 'España', '.'], tags: ['O', 'O', 'O', 'O', 'B-LOC', 'O', 'B-LOC', 'O'] },
  ];
  writeFileSync(join(root, 'ner.jsonl'), ner.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const texts = [
    { lang: 'en', text: 'The capital of France is Paris.' }, { lang: 'en', text: 'Hello world, this is a test: 12 cats and 3 dogs.' },
    { lang: 'fr', text: 'Le café est très naïve à Paris.' }, { lang: 'de', text: 'Die Hauptstadt von Deutschland ist Berlin, über alles.' },
    { lang: 'es', text: 'El niño está en Madrid, España.' },
  ];
  writeFileSync(join(root, 'mlm.jsonl'), texts.map((r) => JSON.stringify(r)).join('\n') + '\n');

  for (const [task, file, evalTask, extra] of [['token-cls', 'ner.jsonl', 'token-cls', []], ['mlm', 'mlm.jsonl', 'mlm', ['--seed', '12345']]] as const) {
    const out = join(root, `out-${task}`);
    const r = await xlm(['train', '--model', base, '--task', task, '--train', join(root, file), '--eval', join(root, file), '--out', out,
      '--lr', '1e-3', '--batch-size', '2', '--max-steps', '2', '--max-length', '38', '--dropout', '0', '--threads', '1']);
    assert.equal(r.code, 0, r.stderr);
    const line = evalLines(out).at(-1)!;
    const scored = JSON.parse((await xlm(['eval', '--model', out, '--data', join(root, file), '--task', evalTask, '--json', '--max-length', '38', '--out', join(root, `eval-${task}`), ...extra])).stdout);
    const keys = task === 'mlm' ? ['loss', 'perplexity', 'accuracy', 'top5_accuracy'] : ['loss', 'accuracy', 'precision', 'recall', 'f1'];
    for (const lang of Object.keys(scored.perLanguage)) {
      for (const key of keys) {
        const a = line.eval[`${key}/${lang}`];
        const b = scored.perLanguage[lang][key];
        assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${task} ${key}/${lang}: training ${a}, xlm eval ${b}`);
      }
    }
    assert.deepEqual(Object.keys(scored.perLanguage).sort(), task === 'mlm' ? ['de', 'en', 'es', 'fr'] : ['de', 'en', 'es']);
  }
});
