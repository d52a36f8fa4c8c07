import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceGenerate, writeTinySeq2Seq } from '../helpers/tiny-seq2seq.js';
import { Translator } from '../../src/engine/translate/translator.js';
import type { Hypothesis } from '../../src/engine/translate/search.js';

// Sentences of different lengths, so the batch is padded and the encoder mask matters.
const TEXTS = ['The capital of France is Paris.', 'Hello world', 'Le café est très naïve à Paris.', 'Москва — столица России.', 'I love Paris 😀👍🌍 🎉'];
const MAX_LENGTH = 24;

let root: string;
const translators: Translator[] = [];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-seq2seq-'));
});

after(async () => {
  for (const t of translators) await t.close();
  rmSync(root, { recursive: true, force: true });
});

const loaded = new Map<string, Promise<Translator>>();

/** A tiny model per name, built once (the tests that only need "a model" share the split one). */
function tinyTranslator(name: string, opts: Parameters<typeof writeTinySeq2Seq>[1]): Promise<Translator> {
  let pending = loaded.get(name);
  if (!pending) {
    const dir = join(root, name);
    writeTinySeq2Seq(dir, opts);
    pending = Translator.load(dir, { threads: 1 }).then((t) => (translators.push(t), t));
    loaded.set(name, pending);
  }
  return pending;
}

function assertSameHypotheses(ours: Hypothesis[], reference: { tokens: number[]; score: number }[], what: string): void {
  assert.deepEqual(ours.map((h) => h.tokens), reference.map((h) => h.tokens), `${what}: token ids`);
  ours.forEach((h, i) => assert.ok(Math.abs(h.score - reference[i].score) < 1e-4, `${what}: sentence ${i} score ${h.score} vs reference ${reference[i].score}`));
}

for (const layout of ['split', 'merged'] as const) {
  test(`greedy and beam search with the ${layout} decoder give the reference decoder's tokens and scores on a padded batch`, async () => {
    const translator = await tinyTranslator(`marian-${layout}`, { layout, seed: 1 });
    assert.equal(translator.layout, layout);
    const ids = TEXTS.map((t) => translator.sourceIds(t));
    assert.ok(new Set(ids.map((r) => r.length)).size > 2, 'sources of several lengths');
    const outputs: Record<string, Hypothesis[]> = {};
    for (const [numBeams, lengthPenalty] of [[1, 1], [4, 1], [4, 2], [3, 0.5]] as const) {
      const ours = await translator.generate(ids, { numBeams, lengthPenalty, maxLength: MAX_LENGTH });
      const reference = referenceGenerate(translator.dir, { input_ids: ids, num_beams: numBeams, length_penalty: lengthPenalty, max_length: MAX_LENGTH });
      assertSameHypotheses(ours, reference, `${numBeams} beams, length penalty ${lengthPenalty}`);
      outputs[`${numBeams}/${lengthPenalty}`] = ours;
    }
    // The comparison means something only if the outputs are varied: early ends, cut ends, beams that differ.
    const all = Object.values(outputs).flat();
    assert.ok(all.some((h) => h.tokens.length < MAX_LENGTH - 1), 'some sentence ends before max_length');
    assert.ok(all.some((h) => h.tokens.length === MAX_LENGTH - 1), 'some sentence runs to max_length');
    const tokens = (key: string) => JSON.stringify(outputs[key].map((h) => h.tokens));
    assert.notEqual(tokens('1/1'), tokens('4/1'), 'beam search finds other sentences than greedy');
    assert.notEqual(tokens('4/2'), tokens('3/0.5'), 'the length penalty changes the choice');
  });
}

test('a sentence translated alone or in a batch with longer ones gives the same tokens', async () => {
  const translator = await tinyTranslator('marian-split', { layout: 'split', seed: 1 });
  const ids = TEXTS.map((t) => translator.sourceIds(t));
  for (const numBeams of [1, 4]) {
    const batched = await translator.generate(ids, { numBeams, maxLength: MAX_LENGTH });
    for (const i of [1, 3]) {
      const [alone] = await translator.generate([ids[i]], { numBeams, maxLength: MAX_LENGTH });
      assert.deepEqual(alone.tokens, batched[i].tokens, `${numBeams} beams, sentence ${i}`);
      assert.ok(Math.abs(alone.score - batched[i].score) < 1e-5);
    }
  }
});

test('files at the folder root load as well as files in onnx/, and generation_config.json sets the defaults', async () => {
  const translator = await tinyTranslator('marian-root', { layout: 'root', seed: 1, config: { num_beams: 3, max_length: 12, length_penalty: 0.7 } });
  const ids = TEXTS.slice(0, 3).map((t) => translator.sourceIds(t));
  const ours = await translator.generate(ids);
  const reference = referenceGenerate(translator.dir, { input_ids: ids, num_beams: 3, length_penalty: 0.7, max_length: 12 });
  assertSameHypotheses(ours, reference, 'defaults from generation_config.json');
  assert.ok(ours.every((h) => h.tokens.length <= 11));
});

test('translate() decodes the tokens without specials, and the forbidden pad token never appears', async () => {
  const translator = await tinyTranslator('marian-split', { layout: 'split', seed: 1 });
  const results = await translator.translate(TEXTS, { numBeams: 2, maxLength: MAX_LENGTH, batchSize: 2 });
  const direct = await translator.generate(TEXTS.map((t) => translator.sourceIds(t)), { numBeams: 2, maxLength: MAX_LENGTH });
  assert.equal(results.length, TEXTS.length);
  results.forEach((r, i) => {
    assert.deepEqual(r.tokens, direct[i].tokens, `sentence ${i}: batches of 2 give the batch-of-5 tokens`);
    assert.equal(r.text, translator.tokenizer.decode(r.tokens, { skipSpecial: true }));
    assert.ok(!r.text.includes('</s>') && !r.text.includes('<pad>'));
    assert.ok(!r.tokens.includes(translator.settings.padTokenId), 'bad_words_ids forbids the pad token');
  });
});

test('beam search keeps to the reference (transformers 4.50+ rules) with early_stopping true / false / "never", length penalty 2 and n-best lists', async () => {
  const translator = await tinyTranslator('marian-split', { layout: 'split', seed: 1 });
  const ids = TEXTS.map((t) => translator.sourceIds(t));
  const settings = translator.settings as { earlyStopping: boolean | 'never' };
  const saved = settings.earlyStopping;
  try {
    for (const earlyStopping of [false, true, 'never'] as const) {
      settings.earlyStopping = earlyStopping;
      for (const [numBeams, lengthPenalty] of [[3, 2], [4, 1]] as const) {
        const ours = await translator.generate(ids, { numBeams, lengthPenalty, maxLength: MAX_LENGTH, numReturnSequences: 2 });
        const reference = referenceGenerate(translator.dir, { input_ids: ids, num_beams: numBeams, length_penalty: lengthPenalty, max_length: MAX_LENGTH, early_stopping: earlyStopping, num_return_sequences: 2 });
        const what = `early_stopping ${earlyStopping}, ${numBeams} beams, length penalty ${lengthPenalty}`;
        assertSameHypotheses(ours, reference, what);
        ours.forEach((h, i) => assertSameHypotheses(h.nBest!, reference[i].n_best!, `${what}, n-best of sentence ${i}`));
      }
    }
  } finally {
    settings.earlyStopping = saved;
  }
});

test('min_length, min_new_tokens, no_repeat_ngram_size and suppressed tokens give the reference decoder\'s tokens and scores', async () => {
  const translator = await tinyTranslator('marian-split', { layout: 'split', seed: 1 });
  const ids = TEXTS.map((t) => translator.sourceIds(t));
  const settings = translator.settings as { bans: object };
  const saved = settings.bans;
  const plain = await translator.generate(ids, { numBeams: 3, maxLength: MAX_LENGTH });
  const plainGreedy = await translator.generate(ids, { numBeams: 1, maxLength: MAX_LENGTH });
  const common = plain.flatMap((h) => h.tokens).sort((a, b) => plain.flatMap((h) => h.tokens).filter((t) => t === b).length - plain.flatMap((h) => h.tokens).filter((t) => t === a).length)[0];
  const bans = { min_length: 8, min_new_tokens: 3, no_repeat_ngram_size: 2, suppress_tokens: [common], begin_suppress_tokens: [plain[0].tokens[0]] };
  try {
    settings.bans = { minLength: 8, minNewTokens: 3, noRepeatNgramSize: 2, suppressTokens: [common], beginSuppressTokens: [plain[0].tokens[0]] };
    for (const numBeams of [1, 3]) {
      const ours = await translator.generate(ids, { numBeams, maxLength: MAX_LENGTH });
      const reference = referenceGenerate(translator.dir, { input_ids: ids, num_beams: numBeams, max_length: MAX_LENGTH, ...bans });
      assertSameHypotheses(ours, reference, `${numBeams} beams with bans`);
      assert.notDeepEqual(ours.map((h) => h.tokens), (numBeams === 3 ? plain : plainGreedy).map((h) => h.tokens), 'the bans change the output');
      assert.ok(ours.every((h) => h.tokens.length >= 7 && !h.tokens.includes(common)));
    }
  } finally {
    settings.bans = saved;
  }
});
