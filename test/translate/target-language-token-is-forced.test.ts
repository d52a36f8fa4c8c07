import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceGenerate, writeTinySeq2Seq } from '../helpers/tiny-seq2seq.js';
import { Translator } from '../../src/engine/translate/translator.js';
import { isXlmError } from '../../src/engine/errors.js';

const TEXTS = ['The capital of France is Paris.', 'Hello world', 'Москва — столица России.'];
const MAX_LENGTH = 16;

let root: string;
let m2m: Translator;
let opusEnDe: Translator;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlm-seq2seq-lang-'));
  // M2M100's generation config stops a sentence as soon as it has `beams` hypotheses.
  writeTinySeq2Seq(join(root, 'm2m'), { style: 'm2m100', layout: 'merged', seed: 4, config: { early_stopping: true, num_beams: 3 } });
  writeTinySeq2Seq(join(root, 'opus-mt-en-de'), { seed: 5, nameOrPath: 'Helsinki-NLP/opus-mt-en-de', layout: 'split' });
  m2m = await Translator.load(join(root, 'm2m'), { threads: 1 });
  opusEnDe = await Translator.load(join(root, 'opus-mt-en-de'), { threads: 1 });
});

after(async () => {
  await m2m?.close();
  await opusEnDe?.close();
  rmSync(root, { recursive: true, force: true });
});

test('M2M100-style: the target token is forced as the first generated token, and the output equals the reference with forced_bos_token_id', async () => {
  assert.equal(m2m.languages.scheme, 'm2m100');
  assert.deepEqual(m2m.languages.codes, ['de', 'en', 'fr']);
  for (const [to, numBeams] of [['fr', 1], ['de', 3], ['fr', 3]] as const) {
    const forced = m2m.tokenizer.tokenToId(`__${to}__`)!;
    const results = await m2m.translate(TEXTS, { to, from: 'en', numBeams, maxLength: MAX_LENGTH });
    assert.ok(results.every((r) => r.tokens[0] === forced), `every ${to} output starts with __${to}__`);
    assert.ok(results.every((r) => !r.text.includes(`__${to}__`)), 'the language token is not in the text');
    const ids = TEXTS.map((t) => m2m.sourceIds(t, '__en__'));
    const reference = referenceGenerate(m2m.dir, { input_ids: ids, num_beams: numBeams, max_length: MAX_LENGTH, forced_bos_token_id: forced, early_stopping: true });
    assert.deepEqual(results.map((r) => r.tokens), reference.map((r) => r.tokens), `${to}, ${numBeams} beams`);
    results.forEach((r, i) => assert.ok(Math.abs(r.score - reference[i].score) < 1e-4));
  }
  // Without the forced token the model would start elsewhere: the forcing is what the test sees.
  const free = await m2m.generate(TEXTS.map((t) => m2m.sourceIds(t, '__en__')), { numBeams: 1, maxLength: MAX_LENGTH });
  assert.ok(free.some((h) => h.tokens[0] !== m2m.tokenizer.tokenToId('__fr__')));
});

test('M2M100-style: the source token replaces the template\'s, chosen by --from or guessed from the script', async () => {
  const id = (t: string) => m2m.tokenizer.tokenToId(t)!;
  const content = m2m.tokenizer.encode('Hello world', null, { addSpecialTokens: false }).ids;
  assert.deepEqual(m2m.sourceIds('Hello world'), [id('__en__'), ...content, id('</s>')], 'the tokenizer template as written');
  assert.deepEqual(m2m.sourceIds('Hello world', '__de__'), [id('__de__'), ...content, id('</s>')]);
  // An output id past the tokenizer's vocabulary does not fail the translation.
  assert.equal(m2m.detokenize([...content, m2m.tokenizer.vocabSize + 3]), m2m.tokenizer.decode(content, { skipSpecial: true }));

  const [given] = await m2m.translate(['Hello world'], { to: 'fr', from: 'de', maxLength: 6 });
  assert.equal(given.from, 'de');
  assert.equal(given.fromGuessed, false);
  const [latin] = await m2m.translate(['Hello world'], { to: 'fr', maxLength: 6 });
  assert.equal(latin.from, 'en', 'Latin script gives no guess: the tokenizer\'s default');
  assert.equal(latin.fromGuessed, true);
  assert.equal(latin.to, 'fr');
});

test('a target or source language the model lacks is refused with the list of its languages', async () => {
  await assert.rejects(m2m.translate(['x'], { to: 'ja' }), (e) => isXlmError(e) && /no target language "ja"; it knows: de, en, fr/.test(e.message) && e.place.what === 'to');
  await assert.rejects(m2m.translate(['x'], { to: 'fr', from: 'ko' }), (e) => isXlmError(e) && /no source language "ko"/.test(e.message));
  await assert.rejects(m2m.translate(['x'], {}), (e) => isXlmError(e) && e.code === 'translate/no-target');
});

test('a one-pair Marian model knows its pair from its name: --to de is accepted, --to fr is refused', async () => {
  assert.equal(opusEnDe.languages.scheme, 'fixed-pair');
  assert.deepEqual(opusEnDe.languages.pair, { from: 'en', to: 'de' });
  const [result] = await opusEnDe.translate(['Hello world'], { to: 'de', maxLength: 8 });
  assert.equal(result.to, 'de');
  assert.equal(result.from, 'en');
  const [implied] = await opusEnDe.translate(['Hello world'], { maxLength: 8 });
  assert.deepEqual(implied.tokens, result.tokens);
  await assert.rejects(opusEnDe.translate(['Hello world'], { to: 'fr' }), (e) => isXlmError(e) && /translates en → de only/.test(e.message) && /opus-mt-en-fr/.test(e.message));
  await assert.rejects(opusEnDe.translate(['Hello world'], { to: 'de', from: 'ru' }), (e) => isXlmError(e) && e.place.what === 'from');
});

test('Marian with several targets (opus-mt-en-ROMANCE): the >>fr<< token opens the source, and the output equals the reference on those ids', async () => {
  const dir = join(root, 'opus-mt-en-ROMANCE');
  writeTinySeq2Seq(dir, { seed: 6, nameOrPath: 'Helsinki-NLP/opus-mt-en-ROMANCE', targetTokens: ['>>fr<<', '>>es<<', '>>it<<'] });
  const romance = await Translator.load(dir, { threads: 1 });
  try {
    assert.equal(romance.languages.scheme, 'marian-target-token');
    const fr = romance.tokenizer.tokenToId('>>fr<<')!;
    const content = romance.tokenizer.encode('Hello world', null, { addSpecialTokens: false }).ids;
    assert.deepEqual(romance.sourceIds('Hello world', undefined, '>>fr<<'), [fr, ...content, romance.tokenizer.tokenToId('</s>')]);
    const [toFr, toEs] = await Promise.all(['fr', 'es'].map(async (to) => (await romance.translate(TEXTS, { to, numBeams: 2, maxLength: MAX_LENGTH }))));
    const reference = referenceGenerate(dir, { input_ids: TEXTS.map((t) => [fr, ...romance.sourceIds(t)]), num_beams: 2, max_length: MAX_LENGTH });
    assert.deepEqual(toFr.map((r) => r.tokens), reference.map((r) => r.tokens));
    assert.equal(toFr[0].to, 'fr');
    assert.notDeepEqual(toFr.map((r) => r.tokens), toEs.map((r) => r.tokens), 'the target token changes the output');
    await assert.rejects(romance.translate(['x'], { to: 'de' }), (e) => isXlmError(e) && /it knows: es, fr, it/.test(e.message));
  } finally {
    await romance.close();
  }
});
