import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { writeTinySeq2Seq } from '../helpers/tiny-seq2seq.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { zeroShot } from '../../src/engine/tasks/zero-shot.js';
import { Translator } from '../../src/engine/translate/translator.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
let nli: string;
let marian: string;
let m2m: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-cli-seq2seq-'));
  nli = join(root, 'nli');
  marian = join(root, 'marian');
  m2m = join(root, 'm2m');
  writeTinyXlmr(nli, { head: 'seq-cls', seed: 7, labels: ['contradiction', 'neutral', 'entailment'] });
  writeTinySeq2Seq(marian, { seed: 8 });
  writeTinySeq2Seq(m2m, { style: 'm2m100', layout: 'merged', seed: 9 });
});

after(() => rmSync(root, { recursive: true, force: true }));

const run = (argv: string[], stdinText?: string) =>
  runXlm([...argv, '--threads', '1'], { stdin: stdinText, env: { XLM_LAB_CACHE: join(root, 'cache'), HF_HOME: join(root, 'hf'), HF_HUB_OFFLINE: '1' } });

test('zero-shot --json prints every label with the scores of the zero-shot task, best first', async () => {
  const texts = ['The capital of France is Paris.', 'I love Paris 😀👍🌍 🎉'];
  const r = await run(['zero-shot', '--model', nli, '--labels', 'city,love', '--labels', 'dogs', '--multi-label', '--json', ...texts]);
  assert.equal(r.code, 0, r.stderr);
  const printed = JSON.parse(r.stdout) as { text: string; hypothesisTemplate: string; scores: { label: string; score: number }[] }[];
  const cache = new ModelCache({ threads: 1 });
  try {
    const expected = await zeroShot(await cache.model(nli), texts, { labels: ['city', 'love', 'dogs'], multiLabel: true });
    assert.deepEqual(printed.map((p) => p.text), texts);
    printed.forEach((p, i) => {
      assert.equal(p.hypothesisTemplate, 'This example is {}.');
      assert.deepEqual(p.scores.map((s) => s.label), expected[i].scores.map((s) => s.label));
      p.scores.forEach((s, j) => assert.ok(Math.abs(s.score - expected[i].scores[j].score) < 1e-9));
    });
  } finally {
    await cache.closeAll();
  }
});

test('zero-shot prints the best label per text, takes texts from stdin and a template, and refuses a call without labels', async () => {
  const r = await run(['zero-shot', '--model', nli, '--labels', 'city,dogs', '--template', 'Der Text handelt von {}.'], 'Hello world\nBerlin is the capital of Germany!\n');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^(city|dogs)\t0\.\d{4}\tHello world$/);
  assert.match(lines[1], /^ {2}(city|dogs) 0\.\d{4} {2}(city|dogs) 0\.\d{4}$/);

  const none = await run(['zero-shot', '--model', nli, 'Hello']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no labels: give --labels a,b,c/);
});

test('translate prints one line per input (arguments or stdin) and --json the tokens and scores of the translator', async () => {
  const texts = ['The capital of France is Paris.', 'Hello world', 'Le café est très naïve à Paris.'];
  const json = await run(['translate', '--model', marian, '--beams', '2', '--max-length', '10', '--json', ...texts]);
  assert.equal(json.code, 0, json.stderr);
  const printed = JSON.parse(json.stdout) as { source: string; translation: string; tokens: number[]; score: number }[];
  const translator = await Translator.load(marian, { threads: 1 });
  try {
    const expected = await translator.translate(texts, { numBeams: 2, maxLength: 10 });
    assert.deepEqual(printed.map((p) => p.source), texts);
    assert.deepEqual(printed.map((p) => p.tokens), expected.map((e) => e.tokens));
    assert.deepEqual(printed.map((p) => p.translation), expected.map((e) => e.text));
  } finally {
    await translator.close();
  }

  const plain = await run(['translate', '--model', marian, '--beams', '2', '--max-length', '10'], texts.join('\n') + '\n');
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(plain.stdout.split('\n').slice(0, -1), printed.map((p) => p.translation));
});

test('translate --n-best N prints the N best translations of each text, best first, as the translator ranks them', async () => {
  const texts = ['The capital of France is Paris.', 'Hello world'];
  const json = await run(['translate', '--model', marian, '--beams', '3', '--n-best', '2', '--max-length', '10', '--json', ...texts]);
  assert.equal(json.code, 0, json.stderr);
  const printed = JSON.parse(json.stdout) as { translation: string; score: number; nBest: { translation: string; score: number; tokens: number[] }[] }[];
  for (const p of printed) {
    assert.equal(p.nBest.length, 2);
    assert.equal(p.nBest[0].translation, p.translation);
    assert.ok(p.nBest[0].score >= p.nBest[1].score);
    assert.notDeepEqual(p.nBest[0].tokens, p.nBest[1].tokens);
  }
  const plain = await run(['translate', '--model', marian, '--beams', '3', '--n-best', '2', '--max-length', '10', ...texts]);
  assert.equal(plain.stdout, printed.map((p) => p.nBest.map((n) => n.translation).join('\n') + '\n\n').join(''));
  const tooMany = await run(['translate', '--model', marian, '--beams', '2', '--n-best', '3', 'Hello']);
  assert.equal(tooMany.code, 1);
  assert.match(tooMany.stderr, /3 translations per sentence asked for with 2 beams/);
});

test('translate --to forces the target language of a many-to-many model, and names what it knows when the language is wrong', async () => {
  const ok = await run(['translate', '--model', m2m, '--to', 'de', '--from', 'en', '--max-length', '6', '--json', 'Hello world']);
  assert.equal(ok.code, 0, ok.stderr);
  const [result] = JSON.parse(ok.stdout) as { tokens: number[]; from: string; to: string }[];
  assert.equal(result.to, 'de');
  assert.equal(result.from, 'en');
  const translator = await Translator.load(m2m, { threads: 1 });
  try {
    assert.equal(result.tokens[0], translator.tokenizer.tokenToId('__de__'));
  } finally {
    await translator.close();
  }
  const wrong = await run(['translate', '--model', m2m, '--to', 'xx', 'Hello world']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /no target language "xx"; it knows: de, en, fr/);
});

test('translate with a Hub id that is not in the cache, offline, says so instead of connecting', async () => {
  const r = await run(['translate', '--model', 'Xenova/opus-mt-en-de', 'Hello']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Xenova\/opus-mt-en-de/);
  assert.match(r.stderr, /offline/i);
});
