// Fill-mask says which candidates start a word (SentencePiece's ▁), since a candidate's text is decoded alone and
// "m" (glued onto the word before it) cannot be told from "▁m" by its text; inline fill-in prefers whole words where
// the mask stands between spaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';
import { fillPreferred, maskStandsAlone, preferredCandidate } from '../../src/features/fillChoice.js';

test('each fill-mask candidate says whether its piece starts a word, as the vocabulary writes it', async () => {
  const cache = new ModelCache({ threads: 1 });
  try {
    const model = await cache.model(join(__dirname, '..', '..', 'models', 'default'));
    const [answer] = await fillMask(model, ['Paris is the <mask> of France.'], { topK: 40 });
    const candidates = answer.masks[0].candidates;
    for (const c of candidates) assert.equal(c.startsWord, model.tokenizer.idToToken(c.id)!.startsWith('\u2581'), `${c.token} (id ${c.id})`);
    assert.ok(candidates.some((c) => c.startsWord) && candidates.some((c) => !c.startsWord), 'among 40 candidates, pieces of both kinds');
    const best = preferredCandidate(candidates, true)!;
    assert.ok(best.startsWord && /^\p{L}/u.test(best.token.trim()), `between spaces the offer is a whole word: "${best.token}"`);
  } finally {
    await cache.closeAll();
  }
});

test('between spaces, inline fill-in offers the most probable whole word; touching other text, the most probable piece', () => {
  const c = (text: string, startsWord: boolean) => ({ text, startsWord });
  const candidates = [c('m', false), c(',', true), c('best', true), c('capital', true)];
  assert.equal(preferredCandidate(candidates, true)?.text, 'best', 'not the continuation "m", not the comma');
  assert.equal(preferredCandidate(candidates, false)?.text, 'm');
  assert.equal(preferredCandidate([c('m', false), c('.', true)], true)?.text, 'm', 'no word among them: the most probable');
  assert.equal(preferredCandidate([], true), undefined);
});

test('the masked-word panel\'s sentence takes each mask\'s preferred candidate, as inline fill-in would insert it', () => {
  const c = (text: string, startsWord: boolean) => ({ text, startsWord });
  // The shipped model's top-1 for this mask is the piece "m", which the engine's own fill glues into "them".
  assert.equal(fillPreferred('Paris is the <mask> of France.', [{ candidates: [c('m', false), c('best', true)] }]), 'Paris is the best of France.');
  // Touching other text, the most probable piece; two masks, each its own; a mask at the end before a full stop.
  assert.equal(fillPreferred('un<mask>able and <mask>.', [{ candidates: [c('believ', false), c('x', true)] }, { candidates: [c(',', true), c('more', true)] }]), 'unbelievable and more.');
  // A mask without candidates stays.
  assert.equal(fillPreferred('<mask> here', [{ candidates: [] }]), '<mask> here');
  assert.deepEqual(['<mask> a', 'a <mask>', 'a <mask>.', 'a<mask>', '<mask>b', '(<mask>)'].map((t) => maskStandsAlone(t, t.indexOf('<mask>'))), [true, true, true, false, false, false]);
});

test('each candidate carries the text it writes in place of the mask: the piece without its word-start mark', async () => {
  const cache = new ModelCache({ threads: 1 });
  try {
    const model = await cache.model(join(__dirname, '..', '..', 'models', 'default'));
    const [answer] = await fillMask(model, ['Paris is the <mask> of France.'], { topK: 40 });
    for (const c of answer.masks[0].candidates) assert.equal(c.text, model.tokenizer.idToToken(c.id)!.replace(/^\u2581/, ''), `${c.token} (id ${c.id})`);
    assert.equal(fillPreferred('Paris is the <mask> of France.', answer.masks), `Paris is the ${preferredCandidate(answer.masks[0].candidates, true)!.text} of France.`);
  } finally {
    await cache.closeAll();
  }
});
