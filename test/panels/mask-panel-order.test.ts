// The masked-word panel lists whole words before pieces where the mask stands between spaces ("Paris is the <mask>
// of France." listed "…m", "…ir" first on the shipped model), and the model's order where it touches other text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';
import { isWord, leadingWords } from '../../src/engine/tasks/fill-choice.js';
import { panelCandidates, type FillMaskResult } from '../../src/panels/messages.js';

const c = (text: string, startsWord: boolean, score: number, id: number) => ({ token: text, text, id, score, startsWord });

test('panelCandidates: the offer and the listed words first, then the rest in the listed order; touching text keeps the model order', () => {
  const candidates = [c('m', false, 0.3, 1), c(',', true, 0.2, 2), c('best', true, 0.1, 3), c('capital', true, 0.05, 4)];
  const mask: FillMaskResult['masks'][number] = { candidates, offer: { ...candidates[2]!, rank: 2 }, listed: [3, 0, 1], words: 2 };
  const { words, rest } = panelCandidates(mask);
  assert.deepEqual(words.map((x) => x.text), ['best', 'capital']);
  assert.deepEqual(rest.map((x) => x.text), ['m', ',']);
  assert.ok(!('rank' in words[0]!), 'the offer is drawn as a candidate');
  const below: FillMaskResult['masks'][number] = { candidates: candidates.slice(0, 2), offer: { ...c('rights', true, 0.01, 9), rank: 37 }, listed: [0, 1], words: 1 };
  assert.deepEqual(panelCandidates(below).words.map((x) => [x.text, x.score]), [['rights', 0.01]], 'an offer found below the top k is listed with its own probability');
  assert.deepEqual(panelCandidates({ ...mask, words: 0 }), { words: [], rest: candidates });
});

test('leadingWords counts the whole words before the first piece or mark, an offer from below the top k and words of any script included', () => {
  const w = (text: string, startsWord = true) => ({ text, startsWord });
  assert.equal(leadingWords([w('rights'), w('Madrid'), w('た'), w('m', false), w('capital')]), 3, 'a word after a piece is not counted');
  assert.equal(leadingWords([w('m', false), w('best')]), 0);
  assert.equal(leadingWords([w(','), w('best')]), 0, 'a mark that starts a word is no word');
  assert.equal(leadingWords([w('1848'), w('best')]), 2, 'a number is a word');
  assert.equal(leadingWords([]), 0);
});

test('on the shipped model, the panel lists words first between spaces and pieces first where they fit', async () => {
  const cache = new ModelCache({ threads: 1 });
  try {
    const model = await cache.model(join(__dirname, '..', '..', 'models', 'default'));
    // A sentence whose first candidate is a piece on the shipped weights ("m"; on the step-28,146 ones "Berlin is the
    // <mask> of Germany." was such a sentence, and on the step-33,146 ones its first candidate is the word "way").
    const [alone, touching] = await fillMask(model, ['Rome is the <mask> of Italy.', 'Rome is the<mask> of Italy.'], { topK: 5 });
    const mask = alone!.masks[0]!;
    assert.ok(!isWord(mask.candidates[0]!), `the model's first candidate is a piece or a mark ("${mask.candidates[0]!.text}"), so the order matters here`);
    const { words, rest } = panelCandidates(mask);
    assert.ok(words.length >= 1 && words.every(isWord), `words: ${words.map((w) => w.text).join(', ')}`);
    assert.equal(words[0]!.id, mask.offer.id, 'the first word is what inline fill-in offers');
    assert.ok(rest.every((x) => !isWord(x)), `then pieces and marks: ${rest.map((x) => x.text).join(', ')}`);
    assert.equal(new Set([...words, ...rest].map((x) => x.id)).size, words.length + rest.length, 'each once');
    assert.ok(mask.candidates.every((x) => [...words, ...rest].some((y) => y.id === x.id)), 'every top-k candidate is listed');
    const glued = touching!.masks[0]!;
    assert.equal(glued.words, 0);
    assert.deepEqual(panelCandidates(glued).rest, glued.candidates, 'touching "the", the model order: a piece may be what fits');
  } finally {
    await cache.closeAll();
  }
});
