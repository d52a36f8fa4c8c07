/**
 * The tiny test tokenizer has XLM-R's layout and @huggingface/tokenizers reads it as XLM-R's:
 * specials at 0..3, `<mask>` last with lstrip, Metaspace, the `<s> A </s></s> B </s>` template.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  makeTinySpecialTokensMap, makeTinyTokenizerConfig, makeTinyTokenizerJson, tinyPieces, tinyVocabSize, TINY_MULTILINGUAL_SENTENCES,
} from '../helpers/tiny-tokenizer.js';
import { unigramTokenizerJson } from '../../src/engine/tokenize/tokenizer-json.js';

interface Json {
  added_tokens: Array<{ id: number; content: string; lstrip: boolean; special: boolean; normalized: boolean }>;
  model: { type: string; unk_id: number; vocab: Array<[string, number]> };
  pre_tokenizer: Record<string, unknown>;
  decoder: Record<string, unknown>;
  post_processor: { type: string; single: unknown[]; pair: unknown[] };
  normalizer: unknown;
}

test('tokenizer.json has XLM-R\'s ids, added tokens and components', () => {
  const json = makeTinyTokenizerJson() as Json;
  const n = json.model.vocab.length;
  assert.equal(n, tinyVocabSize());
  assert.deepEqual(json.model.vocab.slice(0, 4).map(([p]) => p), ['<s>', '<pad>', '</s>', '<unk>']);
  assert.equal(json.model.vocab[n - 1][0], '<mask>');
  assert.equal(json.model.unk_id, 3);
  assert.deepEqual(json.added_tokens.map((t) => [t.id, t.content, t.special, t.normalized, t.lstrip]), [
    [0, '<s>', true, false, false],
    [1, '<pad>', true, false, false],
    [2, '</s>', true, false, false],
    [3, '<unk>', true, false, false],
    [n - 1, '<mask>', true, false, true],
  ]);
  assert.deepEqual(json.pre_tokenizer, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true });
  assert.deepEqual(json.decoder, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true });
  assert.equal(json.post_processor.type, 'TemplateProcessing');
  assert.equal(json.post_processor.single.length, 3);
  assert.equal(json.post_processor.pair.length, 6);
  const scores = json.model.vocab.slice(4, n - 1).map(([, s]) => s);
  assert.ok(scores.every((s) => s < 0), 'ordinary pieces carry log-probabilities');
  assert.ok(scores.every((s, i) => i === 0 || s <= scores[i - 1]), 'pieces are ordered by score, as SentencePiece orders them');
  assert.equal((json.normalizer as { type: string }).type, 'Sequence');
  assert.equal((makeTinyTokenizerJson({ normalizer: null }) as Json).normalizer, null);
});

test('tokenizer_config.json and special_tokens_map.json name XLM-R\'s specials', () => {
  const config = makeTinyTokenizerConfig() as Record<string, unknown>;
  assert.equal(config.cls_token, '<s>');
  assert.equal(config.sep_token, '</s>');
  assert.equal(config.pad_token, '<pad>');
  assert.equal(config.tokenizer_class, 'XLMRobertaTokenizer');
  // A plain string, as transformers writes it; the lstrip flag lives in added_tokens_decoder.
  assert.equal(config.mask_token, '<mask>');
  const maskEntry = (config.added_tokens_decoder as Record<string, { content: string; lstrip: boolean }>)[String(tinyVocabSize() - 1)];
  assert.equal(maskEntry.content, '<mask>');
  assert.equal(maskEntry.lstrip, true);
  assert.deepEqual(Object.keys(makeTinySpecialTokensMap()).sort(), ['bos_token', 'cls_token', 'eos_token', 'mask_token', 'pad_token', 'sep_token', 'unk_token']);
});

test('@huggingface/tokenizers loads it: whole words, template, <mask>, no <unk> on the multilingual sentences', () => {
  const json = makeTinyTokenizerJson();
  const lib = new Tokenizer(json, makeTinyTokenizerConfig(json));
  const id = (t: string) => lib.token_to_id(t);
  assert.deepEqual(lib.encode('The capital of France is Paris.').ids, [0, id('▁The'), id('▁capital'), id('▁of'), id('▁France'), id('▁is'), id('▁Paris'), id('.'), 2]);
  assert.deepEqual(lib.encode('Paris', { text_pair: 'France' }).ids, [0, id('▁Paris'), 2, 2, id('▁France'), 2]);
  assert.deepEqual(lib.encode('the <mask>').ids, [0, id('▁the'), tinyVocabSize() - 1, 2]);
  for (const sentence of TINY_MULTILINGUAL_SENTENCES) {
    assert.ok(!lib.encode(sentence).ids.includes(3), `${JSON.stringify(sentence)} has an <unk>: ${lib.encode(sentence).tokens.join(' ')}`);
  }
});

test('unigramTokenizerJson refuses pieces that would shadow specials, duplicates and bad scores', () => {
  assert.throws(() => unigramTokenizerJson([['<mask>', -1]]), /special token/);
  assert.throws(() => unigramTokenizerJson([['a', -1], ['a', -2]]), /twice/);
  assert.throws(() => unigramTokenizerJson([['a', Number.NaN]]), /finite/);
  const extra = makeTinyTokenizerJson({ extraPieces: [['▁zebra', -3]] }) as Json;
  assert.equal(extra.model.vocab.length, tinyPieces().length + 6);
  assert.equal(extra.model.vocab[extra.model.vocab.length - 2][0], '▁zebra');
});
