/**
 * tokenizer.json files in the other layouts a model folder of the family may carry: XLM-R as first
 * published on the Hub (Precompiled normalizer, WhitespaceSplit + Metaspace with add_prefix_space,
 * RobertaProcessing), and RoBERTa's byte-level BPE, whose tokens are bytes written as characters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTinyTokenizerJson } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { offsetProblems } from './offset-invariants.js';

function hubStyleXlmr(): XlmTokenizer {
  const json = makeTinyTokenizerJson() as Record<string, unknown>;
  return new XlmTokenizer({
    tokenizerJson: {
      ...json,
      // The library applies SentencePiece's usual charsmap effects itself and does not read the map.
      normalizer: { type: 'Precompiled', precompiled_charsmap: 'AA==' },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', add_prefix_space: true }] },
      post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: true },
    },
    specialTokensMap: { cls_token: '<s>', sep_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', mask_token: { content: '<mask>', lstrip: true } },
  });
}

test('Hub-style XLM-R files: same pair template, offsets and words through WhitespaceSplit', () => {
  const tok = hubStyleXlmr();
  const p = (s: string) => tok.tokenToId(s);
  assert.deepEqual(tok.encode('Paris  is\tbig', 'Berlin').ids, [0, p('▁Paris'), p('▁is'), p('▁big'), 2, 2, p('▁Berlin'), 2]);
  assert.equal(tok.maskToken, '<mask>');
  for (const text of ['  Paris\u00a0is   the <mask>  of\tFrance.  ', 'cafe\u0301 東京 😀👍', 'ｆｕｌｌ ﬁx']) {
    const enc = tok.encode(text);
    assert.deepEqual(offsetProblems(tok, [text], enc), [], JSON.stringify(text));
  }
  const enc = tok.encode('  Paris\u00a0is');
  assert.deepEqual(enc.offsets.slice(1, 3), [[2, 7], [8, 10]]);
  assert.deepEqual(enc.wordIds.slice(1, 3), [0, 1]);
});

/** GPT-2's printable alphabet for bytes: printable Latin-1 stands for itself, the rest moves to U+0100 on. */
function byteAlphabet(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const chars: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable(b) ? b : 256 + next++);
  return chars;
}

function tinyByteLevelBpe(): XlmTokenizer {
  const alphabet = byteAlphabet();
  const space = alphabet[0x20];
  const merges = [[space, 'h'], [`${space}h`, 'e'], ['l', 'l'], ['e', 'll'], [`${space}he`, 'llo'], ['ll', 'o'], [`${space}he`, 'llo'], ['c', 'a'], ['ca', 'f']];
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  for (const ch of alphabet) vocab[ch] ??= Object.keys(vocab).length;
  for (const [a, b] of merges) vocab[a + b] ??= Object.keys(vocab).length;
  const maskId = Object.keys(vocab).length;
  vocab['<mask>'] = maskId;
  const added = (id: number, content: string, lstrip = false) => ({ id, content, single_word: false, lstrip, rstrip: false, normalized: false, special: true });
  return new XlmTokenizer({
    tokenizerJson: {
      version: '1.0',
      added_tokens: [added(0, '<s>'), added(1, '<pad>'), added(2, '</s>'), added(3, '<unk>'), added(maskId, '<mask>', true)],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
    },
    specialTokensMap: { cls_token: '<s>', sep_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', mask_token: '<mask>' },
  });
}

test('byte-level BPE: offsets of multi-byte characters cover whole characters, never half a surrogate pair', () => {
  const tok = tinyByteLevelBpe();
  const text = 'hello café 😀 <mask> hello';
  const enc = tok.encode(text);
  const slices = enc.ids.flatMap((_, i) => (enc.specialTokensMask[i] ? [] : [text.slice(...enc.offsets[i])]));
  // 'é' is two bytes and '😀' four: each byte token covers the whole character.
  assert.deepEqual(slices, ['h', 'ell', 'o', ' ', 'caf', 'é', 'é', ' ', '😀', '😀', '😀', '😀', '<mask>', 'hello']);
  assert.deepEqual(enc.tokens.slice(1, 5), ['h', 'ell', 'o', 'Ġ'], 'a lone space byte is its own token here');
  assert.equal(enc.ids[0], 0);
  assert.equal(enc.ids.at(-1), 2);
  assert.equal(enc.ids[enc.tokens.indexOf('<mask>')], tok.maskId);
  assert.deepEqual(enc.wordIds.slice(1, -1), [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 4]);
  assert.equal(tok.decode(enc.ids, { skipSpecial: true }), 'hello café 😀 hello');
});

function tinyWordPiece(): XlmTokenizer {
  const vocab: Record<string, number> = {};
  for (const t of ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'play', '##ing', '##ed', 'the', ',']) vocab[t] = Object.keys(vocab).length;
  const added = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return new XlmTokenizer({
    tokenizerJson: {
      version: '1.0',
      added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(added),
      normalizer: null,
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    },
    specialTokensMap: { cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' },
  });
}

test('a vocabulary piece says whether it starts a word, in each layout\'s own mark: ▁, Ġ, or no ##', () => {
  const starts = (tok: XlmTokenizer, piece: string) => tok.pieceStartsWord(tok.tokenToId(piece)!);
  const xlmr = hubStyleXlmr();
  assert.equal(starts(xlmr, '▁Paris'), true);
  const inner = Object.keys((makeTinyTokenizerJson() as { model: { vocab: [string, number][] } }).model.vocab.reduce((m, [p]) => ({ ...m, [p]: 1 }), {})).find((p) => /^\p{L}/u.test(p))!;
  assert.equal(starts(xlmr, inner), false, `"${inner}" continues a word`);
  assert.equal(starts(xlmr, '<mask>'), false, 'an added token is no word piece');
  const bpe = tinyByteLevelBpe();
  assert.equal(starts(bpe, 'Ġhello'), true);
  assert.equal(starts(bpe, 'ell'), false);
  assert.equal(starts(bpe, '<mask>'), false);
  const wp = tinyWordPiece();
  assert.deepEqual(wp.encode('the playing').tokens, ['[CLS]', 'the', 'play', '##ing', '[SEP]']);
  assert.equal(starts(wp, 'play'), true);
  assert.equal(starts(wp, '##ing'), false);
  assert.equal(starts(wp, '[MASK]'), false);
  assert.equal(bpe.pieceStartsWord(1e6), false, 'an id outside the vocabulary');
  // Byte-level BPE writes no space before the text's first word, so there every piece starts a word.
  assert.equal(bpe.pieceStartsWord(bpe.tokenToId('ell')!, true), true);
  assert.equal(bpe.pieceStartsWord(bpe.tokenToId('<mask>')!, true), false);
  assert.equal(xlmr.pieceStartsWord(xlmr.tokenToId(inner)!, true), false, 'SentencePiece marks the first word too');
});

test('the text a piece writes in place of a mask drops its word-start space (▁, Ġ) or WordPiece\'s ##, and only those', () => {
  const xlmr = hubStyleXlmr();
  assert.equal(xlmr.pieceText(xlmr.tokenToId('▁Paris')!), 'Paris');
  const bpe = tinyByteLevelBpe();
  assert.equal(bpe.pieceText(bpe.tokenToId('Ġhello')!), 'hello');
  assert.equal(bpe.pieceText(bpe.tokenToId('ell')!), 'ell');
  assert.equal(bpe.pieceText(bpe.tokenToId('#')!), '#');
  const wp = tinyWordPiece();
  assert.equal(wp.pieceText(wp.tokenToId('##ing')!), 'ing');
  assert.equal(wp.pieceText(wp.tokenToId('play')!), 'play');
});
