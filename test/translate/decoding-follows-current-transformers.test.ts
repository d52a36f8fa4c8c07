/**
 * Decoding rules of transformers 4.50 and later (v5), read from huggingface/transformers
 * src/transformers/generation/utils.py (_beam_search, _check_early_stop_heuristic, _update_finished_beams,
 * _prepare_generated_length) and generation/logits_process.py (NoBadWordsLogitsProcessor), on hand-made
 * decoders whose probabilities are chosen so that the rules of 4.49 and earlier (BeamSearchScorer) give
 * another answer; each case says what the old rule returned.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beamSearch, greedySearch, type DecoderStep, type SearchOptions } from '../../src/engine/translate/search.js';
import { readGenerationSettings } from '../../src/engine/translate/settings.js';

const VOCAB = 8;
const [START, EOS, A, B, C, D, E, F] = [0, 1, 2, 3, 4, 5, 6, 7];

/**
 * A decoder over histories: `table` gives log-probabilities of some tokens after a history (tokens joined by
 * ','); the rest of the probability is spread over the other tokens, slightly decreasing so there are no ties.
 */
function decoder(table: Record<string, Record<number, number>>, batch: number, beams: number): DecoderStep {
  let histories: number[][] = Array.from({ length: batch * beams }, () => []);
  let first = true;
  return async (tokens, sourceRows) => {
    if (first) first = false;
    else histories = (sourceRows ?? tokens.map((_, i) => i)).map((row, i) => [...histories[row], tokens[i]]);
    const logits = new Float32Array(tokens.length * VOCAB);
    histories.forEach((history, row) => {
      const given = table[history.join(',')] ?? {};
      const rest = [...Array(VOCAB).keys()].filter((t) => !(t in given));
      const weights = rest.map((_, i) => 1 - i * 0.01);
      const mass = 1 - Object.values(given).reduce((s, lp) => s + Math.exp(lp), 0);
      assert.ok(mass > 0, `probabilities after [${history}] sum over 1`);
      const total = weights.reduce((s, w) => s + w, 0);
      for (let t = 0; t < VOCAB; t++) logits[row * VOCAB + t] = t in given ? given[t] : Math.log((mass * weights[rest.indexOf(t)]) / total);
    });
    return { logits, vocab: VOCAB };
  };
}

const options = (o: Partial<SearchOptions>): SearchOptions => ({
  numBeams: 2, maxLength: 10, lengthPenalty: 1, earlyStopping: false, decoderStartTokenId: START, eosTokenIds: [EOS], padTokenId: START, badTokenIds: [START], ...o,
});

// After [a,</s>] two hypotheses are finished (worst -1.5). The best candidate overall is that end (-1.65), the
// best running beam [b,d] is at -3.1: scored at length 2 it cannot beat -1.5, so 4.50+ stops the sentence.
// 4.49 compared -1.65 / 2 with -1.5 and went on, to find [b,d,e,</s>] at -3.102 / 4 = -0.7755.
const STOP_TABLE: Record<string, Record<number, number>> = {
  '': { [EOS]: -1.5, [A]: -1.6, [B]: -1.8 },
  [`${A}`]: { [EOS]: -0.05, [C]: -4 },
  [`${B}`]: { [D]: -1.3, [EOS]: -3 },
  [`${B},${D}`]: { [E]: -0.001 },
  [`${B},${D},${E}`]: { [EOS]: -0.001 },
};

test('5: with early_stopping false a sentence stops when the best running beam, end candidates removed, cannot beat the worst finished one', async () => {
  const [h] = await beamSearch(decoder(STOP_TABLE, 1, 2), 1, options({}));
  assert.deepEqual(h.tokens, [A, EOS], 'transformers 4.49 returned [b, d, e, </s>] here');
  assert.ok(Math.abs(h.score - -1.65 / 2) < 1e-5, `score ${h.score}`);
});

test('8: early_stopping "never" with a positive length penalty scores the running beam at max_length, and so goes on', async () => {
  const [h] = await beamSearch(decoder(STOP_TABLE, 1, 2), 1, options({ earlyStopping: 'never' }));
  assert.deepEqual(h.tokens, [B, D, E, EOS], '"never" was treated as false before');
  assert.ok(Math.abs(h.score - -3.102 / 4) < 1e-4, `score ${h.score}`);
  const [early] = await beamSearch(decoder(STOP_TABLE, 1, 2), 1, options({ earlyStopping: true }));
  assert.deepEqual(early.tokens, [A, EOS]);
});

test('8: num_return_sequences gives the best finished hypotheses, best first', async () => {
  const [h] = await beamSearch(decoder(STOP_TABLE, 1, 2), 1, options({ earlyStopping: 'never', numReturnSequences: 2 }));
  assert.equal(h.nBest?.length, 2);
  assert.deepEqual(h.nBest![0], { tokens: h.tokens, score: h.score });
  assert.deepEqual(h.nBest![1].tokens, [A, EOS]);
  assert.ok(h.nBest![1].score < h.score);
});

test('8: with several end tokens the one generated ends the hypothesis (not the first listed)', async () => {
  const table = { '': { [F]: -0.1 }, [`${F}`]: { [E]: -0.01 } };
  const opts = options({ eosTokenIds: [EOS, E] });
  const [beam] = await beamSearch(decoder(table, 1, 2), 1, opts);
  assert.deepEqual(beam.tokens, [F, E]);
  const [greedy] = await greedySearch(decoder(table, 1, 1), 1, { ...opts, numBeams: 1 });
  assert.deepEqual(greedy.tokens, [F, E]);
});

test('5: at max_length every one of the first k candidates is finished as it stands, an end token kept', async () => {
  // Two steps allowed (max_length 3): [a, </s>] ends exactly at the limit and keeps its end token.
  const table = { '': { [A]: -0.1, [B]: -2.5 }, [`${A}`]: { [EOS]: -0.2 }, [`${B}`]: { [C]: -0.01 } };
  const [h] = await beamSearch(decoder(table, 1, 2), 1, options({ maxLength: 3, numReturnSequences: 2 }));
  assert.deepEqual(h.tokens, [A, EOS], '4.49 dropped the end token of a hypothesis that ended at max_length');
  assert.deepEqual(h.nBest![1].tokens.length, 2);
});

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-generation-settings-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function modelFolder(config: Record<string, unknown>, generation?: Record<string, unknown>): string {
  const dir = join(root, `m${counter++}`);
  mkdirSync(dir);
  const base = { model_type: 'marian', vocab_size: 8, d_model: 4, decoder_attention_heads: 2, decoder_layers: 1, pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...base, ...config }));
  if (generation) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generation));
  return dir;
}

test('6: max_length absent or 20 means 20 new tokens (21 with the start token); max_new_tokens counts new tokens', () => {
  assert.equal(readGenerationSettings(modelFolder({})).maxLength, 21);
  assert.equal(readGenerationSettings(modelFolder({}, { max_length: 20 })).maxLength, 21);
  assert.equal(readGenerationSettings(modelFolder({}, { max_length: 64 })).maxLength, 64);
  assert.equal(readGenerationSettings(modelFolder({}, { max_new_tokens: 30, max_length: 64 })).maxLength, 31);
});

test('6: the default length gives 20 generated tokens when no end comes', async () => {
  const settings = readGenerationSettings(modelFolder({}));
  const [h] = await greedySearch(decoder({}, 1, 1), 1, options({ numBeams: 1, maxLength: settings.maxLength, badTokenIds: [START, EOS] }));
  assert.equal(h.tokens.length, 20);
});

test('8: generation_config.json is used alone when it exists; an end token in bad_words_ids stays allowed', () => {
  const alone = readGenerationSettings(modelFolder({ num_beams: 6, length_penalty: 2, early_stopping: true }, { max_length: 40, bad_words_ids: [[0], [1]], early_stopping: 'never' }));
  assert.equal(alone.numBeams, 1, "config.json's num_beams is not read when generation_config.json exists");
  assert.equal(alone.lengthPenalty, 1);
  assert.equal(alone.earlyStopping, 'never');
  assert.deepEqual(alone.badTokenIds, [0]);
  assert.equal(alone.decoderStartTokenId, 0, 'token ids fall back to config.json');
  const without = readGenerationSettings(modelFolder({ num_beams: 6, length_penalty: 2, early_stopping: true }));
  assert.equal(without.numBeams, 6);
  assert.equal(without.earlyStopping, true);
});

test('7: a generation setting the decoder does not apply is refused by name; its off value is accepted', () => {
  for (const [key, value] of Object.entries({ repetition_penalty: 1.2, sequence_bias: [[[5], -1]], encoder_repetition_penalty: 1.1, encoder_no_repeat_ngram_size: 2, exponential_decay_length_penalty: [5, 1.1], remove_invalid_values: true, do_sample: true })) {
    assert.throws(() => readGenerationSettings(modelFolder({}, { [key]: value })), new RegExp(`generation_config\\.json.*"${key}" is .*does not apply ${key}`), key);
  }
  assert.equal(readGenerationSettings(modelFolder({}, { repetition_penalty: 1, encoder_no_repeat_ngram_size: 0, do_sample: false, remove_invalid_values: false })).numBeams, 1);
  assert.throws(() => readGenerationSettings(modelFolder({ repetition_penalty: 1.5 })), /config\.json.*"repetition_penalty" is 1\.5/);
});

test('7: min_length, min_new_tokens, no_repeat_ngram_size, suppress_tokens and begin_suppress_tokens are read and forbid tokens as transformers does', async () => {
  const settings = readGenerationSettings(modelFolder({}, { min_length: 4, min_new_tokens: 2, no_repeat_ngram_size: 2, suppress_tokens: [7], begin_suppress_tokens: [5] }));
  assert.deepEqual(settings.bans, { minLength: 4, minNewTokens: 2, noRepeatNgramSize: 2, suppressTokens: [7], beginSuppressTokens: [5] });
  // The decoder prefers </s> at once, then a, a, a, ...; f (7) and d (5) are the next best.
  const table: Record<string, Record<number, number>> = { '': { [EOS]: -0.3, [D]: -2.6, [F]: -2.7, [A]: -3 } };
  for (const h of [`${A}`, `${A},${A}`]) table[h] = { [A]: -0.3, [EOS]: -2, [F]: -2.5 };
  const run = (bans: SearchOptions['bans'], numBeams = 1) => (numBeams === 1 ? greedySearch : beamSearch)(decoder(table, 1, numBeams), 1, options({ numBeams, bans }));
  assert.deepEqual((await run({})).map((h) => h.tokens), [[EOS]]);
  // min_length 4 counts the start token: no end before 3 generated tokens. begin_suppress_tokens forbids d first.
  // suppress_tokens forbids f always; no_repeat_ngram_size 2 forbids a third a once "a a" was generated.
  const [greedy] = await run({ minLength: 4, suppressTokens: [F], beginSuppressTokens: [D], noRepeatNgramSize: 2 });
  assert.deepEqual(greedy.tokens, [A, A, B, EOS]);
  const [repeats] = await run({ minLength: 4, suppressTokens: [F], beginSuppressTokens: [D] });
  assert.deepEqual(repeats.tokens.slice(0, 3), [A, A, A]);
  const [newTokens] = await run({ minNewTokens: 2 });
  assert.deepEqual(newTokens.tokens, [D, A, EOS], 'min_new_tokens 2: no end among the first two tokens');
  const [beam] = await run({ minLength: 4, suppressTokens: [F], beginSuppressTokens: [D], noRepeatNgramSize: 2 }, 2);
  assert.ok(!beam.tokens.slice(0, 3).includes(EOS) && !beam.tokens.includes(F) && beam.tokens[0] !== D, `beam ${beam.tokens}`);
});
