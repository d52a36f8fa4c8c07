/**
 * XlmTokenizer.encode on the tiny tokenizer: ids of known strings, XLM-R's pair template, `<mask>` in
 * every position, sequence ids, and decode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson, tinyVocabSize } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { isXlmError } from '../../src/engine/errors.js';

function tiny(): XlmTokenizer {
  const tokenizerJson = makeTinyTokenizerJson();
  return new XlmTokenizer({ tokenizerJson, tokenizerConfig: makeTinyTokenizerConfig(tokenizerJson) });
}

test('special ids, vocabulary size and lookups come from the tokenizer files', () => {
  const tok = tiny();
  assert.deepEqual([tok.clsId, tok.padId, tok.sepId, tok.unkId, tok.maskId], [0, 1, 2, 3, tinyVocabSize() - 1]);
  assert.equal(tok.special.bos?.token, '<s>');
  assert.equal(tok.special.eos?.token, '</s>');
  assert.equal(tok.maskToken, '<mask>');
  assert.equal(tok.vocabSize, tinyVocabSize());
  assert.equal(tok.modelMaxLength, 512);
  const id = tok.tokenToId('▁Paris');
  assert.ok(id !== undefined && id > 3);
  assert.equal(tok.idToToken(id), '▁Paris');
  assert.equal(tok.tokenToId('▁no-such-piece'), undefined);
});

test('known strings give known pieces; the single template is <s> A </s>', () => {
  const tok = tiny();
  const ids = (...pieces: string[]) => pieces.map((p) => tok.tokenToId(p));
  const enc = tok.encode('The capital of France is Paris.');
  assert.deepEqual(enc.ids, [0, ...ids('▁The', '▁capital', '▁of', '▁France', '▁is', '▁Paris', '.'), 2]);
  assert.deepEqual(enc.tokens, ['<s>', '▁The', '▁capital', '▁of', '▁France', '▁is', '▁Paris', '.', '</s>']);
  assert.deepEqual(enc.sequenceIds, [null, 0, 0, 0, 0, 0, 0, 0, null]);
  assert.deepEqual(enc.specialTokensMask, [1, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(enc.attentionMask, new Array(9).fill(1));
  assert.deepEqual(enc.wordIds, [null, 0, 1, 2, 3, 4, 5, 5, null]);
  // A word not in the vocabulary falls apart into characters after a lone '▁'.
  assert.deepEqual(tok.encode('Zoo').ids, [0, ...ids('▁', 'Z', 'o', 'o'), 2]);
  assert.deepEqual(tok.encode('').ids, [0, 2]);
  assert.deepEqual(tok.encode('Paris', null, { addSpecialTokens: false }).ids, ids('▁Paris'));
});

test('pairs follow <s> A </s></s> B </s> with sequence ids 0 and 1 and type ids 0', () => {
  const tok = tiny();
  const enc = tok.encode('Paris is big', 'Berlin');
  const p = (s: string) => tok.tokenToId(s);
  assert.deepEqual(enc.ids, [0, p('▁Paris'), p('▁is'), p('▁big'), 2, 2, p('▁Berlin'), 2]);
  assert.deepEqual(enc.sequenceIds, [null, 0, 0, 0, null, null, 1, null]);
  assert.deepEqual(enc.typeIds, new Array(8).fill(0));
  assert.deepEqual(enc.wordIds, [null, 0, 1, 2, null, null, 0, null]);
  assert.deepEqual(enc.offsets[6], [0, 6], 'offsets of the second text are in the second text');
});

test('<mask> becomes the mask id glued to words, after a space (lstrip), at the ends, and repeated', () => {
  const tok = tiny();
  const p = (s: string) => tok.tokenToId(s);
  const m = tok.maskId;
  const cases: Array<[string, Array<number | undefined>]> = [
    ['Paris is the <mask> of France.', [p('▁Paris'), p('▁is'), p('▁the'), m, p('▁of'), p('▁France'), p('.')]],
    ['Paris is the<mask> of France.', [p('▁Paris'), p('▁is'), p('▁the'), m, p('▁of'), p('▁France'), p('.')]],
    ['Paris is the   <mask> of France.', [p('▁Paris'), p('▁is'), p('▁the'), m, p('▁of'), p('▁France'), p('.')]],
    ['<mask> is big', [m, p('▁is'), p('▁big')]],
    ['Paris <mask>', [p('▁Paris'), m]],
    ['<mask><mask> and <mask>', [m, m, p('▁and'), m]],
  ];
  for (const [text, expected] of cases) {
    const enc = tok.encode(text);
    assert.deepEqual(enc.ids, [0, ...expected, 2], JSON.stringify(text));
    assert.deepEqual(tok.maskPositions(enc), enc.ids.flatMap((id, i) => (id === m ? [i] : [])));
    for (const i of tok.maskPositions(enc)) assert.equal(text.slice(...enc.offsets[i]), '<mask>');
  }
  assert.deepEqual(tok.maskPositions(tok.encode('Paris <mask> and <mask>.')), [2, 4]);
});

test('decode joins pieces back into text, with or without specials', () => {
  const tok = tiny();
  const enc = tok.encode('The capital of France is <mask>.');
  assert.equal(tok.decode(enc.ids, { skipSpecial: true }), 'The capital of France is.');
  assert.equal(tok.decode(enc.ids, { skipSpecial: true, cleanUpSpaces: false }), 'The capital of France is .');
  assert.equal(tok.decode(enc.ids), '<s> The capital of France is<mask>.</s>');
  assert.equal(tok.decode(tok.encode('Москва — столица России.').ids, { skipSpecial: true }), 'Москва — столица России.');
  assert.equal(tok.decode([]), '');
  assert.throws(() => tok.decode([0, tok.vocabSize]), (e) => isXlmError(e) && /outside the vocabulary/.test(e.message));
  assert.throws(() => tok.decode([1.5]), (e) => isXlmError(e) && /position 0/.test(e.message));
});

test('normalize applies the tokenizer\'s normalizer', () => {
  const tok = tiny();
  assert.equal(tok.normalize('  e\u0301te\u0301\t\tｆｕｌｌ  '), 'été full');
  const raw = new XlmTokenizer({ tokenizerJson: makeTinyTokenizerJson({ normalizer: null }) });
  assert.equal(raw.normalize('  e\u0301 '), '  e\u0301 ');
});
