import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { isXlmError } from '../../src/engine/errors.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { heldOutParagraphs, loadUdhrCorpus, trainingParagraphs } from '../../src/engine/pretrain/corpus.js';
import { characterSizes, smoothingWeights } from '../../src/engine/pretrain/sampling.js';
import { corpusAlphabet, serializeJson, tokenizerFolderFiles, trainUdhrTokenizer, writeTokenizerFolder } from '../../src/engine/pretrain/udhr-tokenizer.js';
import { digamma, trainUnigram } from '../../src/engine/pretrain/unigram-trainer.js';
import { isValidSpan, METASPACE, scriptClassOf, tokenizerNormalize } from '../../src/engine/pretrain/unigram-words.js';

// Tests-size config: five languages in five scripts, 600 ids.
const LANGS = ['eng', 'rus', 'arb', 'hin', 'tha'];
const VOCAB = 600;
const corpus = loadUdhrCorpus(LANGS);
const model = trainUdhrTokenizer(corpus, { vocabSize: VOCAB });
const files = tokenizerFolderFiles(model);
const tokenizer = new Tokenizer(files['tokenizer.json'], files['tokenizer_config.json']);
const heldOut = heldOutParagraphs(corpus);

test('the trained tokenizer has XLM-R ids: <s> <pad> </s> <unk>, the pieces, <mask> last, vocabSize in all', () => {
  assert.equal(model.pieces.length, VOCAB - 5);
  const vocab = (files['tokenizer.json'] as { model: { vocab: [string, number][] } }).model.vocab;
  assert.deepEqual(vocab.slice(0, 4).map((v) => v[0]), ['<s>', '<pad>', '</s>', '<unk>']);
  assert.equal(vocab.at(-1)![0], '<mask>');
  assert.equal(vocab.length, VOCAB);
  assert.equal(tokenizer.token_to_id('<mask>'), VOCAB - 1);
  const single = tokenizer.encode('Hello world');
  assert.equal(single.ids[0], 0);
  assert.equal(single.ids.at(-1), 2);
  const pair = tokenizer.encode('Hello', { text_pair: 'world' });
  const eos = pair.ids.map((id: number, i: number) => (id === 2 ? i : -1)).filter((i: number) => i >= 0);
  assert.equal(pair.ids[0], 0);
  assert.equal(eos.length, 3, `pair template <s> A </s> </s> B </s>, got ${pair.tokens.join(' ')}`);
  assert.equal(eos[1], eos[0] + 1);
});

test('every held-out paragraph encodes without <unk> and decodes back to its normalized text', () => {
  assert.ok(heldOut.length >= 5 * LANGS.length);
  for (const p of heldOut) {
    const { ids, tokens } = tokenizer.encode(p.text, { add_special_tokens: false });
    assert.ok(!ids.includes(3), `${p.lang} article ${p.article}: <unk> in ${tokens.join(' ')}`);
    // Round trip modulo the normalizer (NFKC, whitespace runs to one space, no space at the ends), with
    // transformers' clean-up of spaces before punctuation turned off: it would rewrite French " ?".
    assert.equal(tokenizer.decode(ids, { clean_up_tokenization_spaces: false }), tokenizerNormalize(p.text), `${p.lang} article ${p.article}`);
  }
});

test('round trip holds for text the corpus never had: runs of spaces, tabs, newlines, leading and trailing space', () => {
  const text = '  Everyone   has\tthe right\n\nto  life.  Каждый  человек ';
  const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
  assert.ok(!ids.includes(3));
  assert.equal(tokenizer.decode(ids, { clean_up_tokenization_spaces: false }), 'Everyone has the right to life. Каждый человек');
});

test('every character of the corpus, held-out articles included, is a piece of its own', () => {
  const pieces = new Set(model.pieces.map((p) => p[0]));
  for (const ch of corpusAlphabet(corpus)) assert.ok(pieces.has(ch), `character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16)}) is not a piece`);
  assert.ok(pieces.has(METASPACE));
});

test('piece probabilities sum to 1 and are ordered most probable first', () => {
  let total = 0;
  for (const [, logProb] of model.pieces) {
    assert.ok(Number.isFinite(logProb) && logProb < 0);
    total += Math.exp(logProb);
  }
  assert.ok(Math.abs(total - 1) < 1e-9, `sum of probabilities ${total}`);
  for (let i = 1; i < model.pieces.length; i++) assert.ok(model.pieces[i - 1][1] >= model.pieces[i][1]);
});

test('no piece mixes scripts, and ▁ only begins a piece', () => {
  const classes = new Int32Array(0x110000);
  for (const [piece] of model.pieces) {
    const chars = [...piece];
    const ids = Int32Array.from(chars, (ch) => ch.codePointAt(0)!);
    for (const ch of chars) classes[ch.codePointAt(0)!] = scriptClassOf(ch);
    assert.ok(isValidSpan(ids, 0, ids.length, classes), `piece ${piece} crosses a script boundary`);
    assert.ok(!piece.slice(1).includes(METASPACE), `piece ${piece} has ▁ inside`);
  }
});

test('every language gets multi-character pieces: held-out tokens per character well below character level (1.0)', () => {
  for (const lang of LANGS) {
    const paragraphs = heldOut.filter((p) => p.lang === lang);
    let tokens = 0;
    let chars = 0;
    for (const p of paragraphs) {
      tokens += tokenizer.encode(p.text, { add_special_tokens: false }).ids.length;
      chars += [...tokenizerNormalize(p.text)].length;
    }
    const fertility = tokens / chars;
    // One token per character (▁ standing for the space) would give 1.0; 600 ids shared by five scripts give ~0.6.
    assert.ok(fertility < 0.75, `${lang}: ${fertility.toFixed(3)} tokens per character`);
  }
});

test('same text and options give the same tokenizer.json bytes', () => {
  const again = trainUdhrTokenizer(loadUdhrCorpus(LANGS), { vocabSize: VOCAB });
  const dir = mkdtempSync(join(tmpdir(), 'xlm-tok-'));
  try {
    writeTokenizerFolder(dir, again);
    assert.equal(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), serializeJson(files['tokenizer.json']));
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(config.tokenizer_class, 'XLMRobertaTokenizer');
    assert.equal(JSON.parse(readFileSync(join(dir, 'special_tokens_map.json'), 'utf8')).mask_token.content, '<mask>');
    // The engine's own tokenizer reads the folder, with the same ids and offsets that cover the text.
    const engine = XlmTokenizer.fromFolder(dir);
    assert.equal(engine.vocabSize, VOCAB);
    assert.equal(engine.maskId, VOCAB - 1);
    const text = heldOut[0].text;
    const encoding = engine.encode(text);
    assert.deepEqual(encoding.ids, tokenizer.encode(text).ids);
    const covered = encoding.offsets.filter((_, i) => encoding.specialTokensMask[i] === 0);
    assert.equal(covered.at(-1)![1], text.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('smoothing gives a small language more pieces than its raw share would', () => {
  // English in full, Russian cut to the preamble and three articles: under a quarter of the text.
  const small = loadUdhrCorpus(['eng', 'rus']).filter((a) => a.lang === 'eng' || a.article <= 3);
  const paragraphs = trainingParagraphs(small);
  const cyrillicPieces = (alpha: number): number => {
    const weights = smoothingWeights(characterSizes(paragraphs), alpha);
    const trained = trainUnigram(paragraphs.map((p) => ({ text: p.text, weight: weights.get(p.lang)! })), { vocabSize: 400 });
    return trained.pieces.filter(([piece]) => [...piece.replace(METASPACE, '')].length > 1 && /\p{Script=Cyrillic}/u.test(piece)).length;
  };
  const raw = cyrillicPieces(1);
  const smoothed = cyrillicPieces(0.3);
  assert.ok(smoothed > raw * 1.2, `Cyrillic multi-character pieces: ${smoothed} smoothed vs ${raw} raw`);
});

test('a word repeated often becomes one piece; its rare neighbours stay split', () => {
  // Seeds are substrings shared by two distinct words, as in SentencePiece: the word comes with punctuation too.
  const texts = [{ text: 'globalization, globalization. globalization '.repeat(20), weight: 1 }, { text: 'nation ration station', weight: 1 }];
  const trained = trainUnigram(texts, { vocabSize: 20 });
  const pieces = new Set(trained.pieces.map((p) => p[0]));
  assert.ok(pieces.has('▁globalization'), [...pieces].join(' '));
  assert.ok(!pieces.has('▁station'));
});

test('a vocabulary too small for the alphabet is refused with the size it needs', () => {
  assert.throws(
    () => trainUnigram([{ text: 'abcdefghij', weight: 1 }], { vocabSize: 12 }),
    (e: unknown) => isXlmError(e) && /use at least 16/.test(e.message),
  );
});

test('a vocabulary larger than the text supports is refused, like the hard limit of SentencePiece', () => {
  assert.throws(
    () => trainUnigram([{ text: 'the cat sat on the mat, the cat ran', weight: 1 }], { vocabSize: 200 }),
    (e: unknown) => isXlmError(e) && /vocabSize 200 is more than this text supports: only \d+ ids/.test(e.message),
  );
});

test('digamma matches known values', () => {
  assert.ok(Math.abs(digamma(1) + 0.5772156649015329) < 1e-12);
  assert.ok(Math.abs(digamma(0.5) + 1.9635100260214235) < 1e-12);
  assert.ok(Math.abs(digamma(10) - 2.251752589066721) < 1e-12);
  assert.ok(Math.abs(digamma(1e-5) + 100000.5772) < 1e-3);
});
