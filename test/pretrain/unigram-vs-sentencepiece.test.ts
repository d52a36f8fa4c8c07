import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from '@huggingface/tokenizers';
import { heldOutParagraphs, loadUdhrCorpus } from '../../src/engine/pretrain/corpus.js';
import { corpusAlphabet, tokenizerFolderFiles, tokenizerTrainingTexts } from '../../src/engine/pretrain/udhr-tokenizer.js';
import { SPECIAL_TOKEN_COUNT, trainUnigram } from '../../src/engine/pretrain/unigram-trainer.js';
import { tokenizerNormalize } from '../../src/engine/pretrain/unigram-words.js';
import { runSentencepiece, sentencepieceAvailable } from './sentencepiece-reference.js';

// Six languages in five scripts, 1000 ids: big enough for real subwords, small enough for a test.
const LANGS = ['eng', 'deu', 'rus', 'ell', 'arb', 'hin'];
const VOCAB = 1000;

test('on held-out articles our Unigram needs about as many tokens per word as SentencePiece trained on the same counts', () => {
  assert.ok(sentencepieceAvailable(), 'python3-sentencepiece is needed (apt-get install python3-sentencepiece)');
  const corpus = loadUdhrCorpus(LANGS);
  // SentencePiece reads integer counts: both trainers get the same rounded, smoothed counts.
  const texts = tokenizerTrainingTexts(corpus).map((t) => ({ text: tokenizerNormalize(t.text), weight: Math.max(1, Math.round(t.weight * 10)) }));
  const alphabet = corpusAlphabet(corpus).join('');
  const ours = trainUnigram(texts, { vocabSize: VOCAB, requiredCharacters: alphabet });
  const files = tokenizerFolderFiles(ours);
  const tokenizer = new Tokenizer(files['tokenizer.json'], files['tokenizer_config.json']);
  const heldOut = heldOutParagraphs(corpus);
  const encode = heldOut.map((p) => tokenizerNormalize(p.text));
  const reference = runSentencepiece(texts, VOCAB - SPECIAL_TOKEN_COUNT, alphabet, encode);
  assert.equal(reference.pieces.length, VOCAB - 2, 'SentencePiece has <unk> <s> </s> and the same number of ordinary pieces');

  const ratios: string[] = [];
  let oursTotal = 0;
  let spmTotal = 0;
  for (const lang of LANGS) {
    let oursTokens = 0;
    let spmTokens = 0;
    heldOut.forEach((p, i) => {
      if (p.lang !== lang) return;
      oursTokens += tokenizer.encode(encode[i], { add_special_tokens: false }).ids.length;
      spmTokens += reference.encoded[i].length;
    });
    oursTotal += oursTokens;
    spmTotal += spmTokens;
    const ratio = oursTokens / spmTokens;
    ratios.push(`${lang} ${ratio.toFixed(3)}`);
    assert.ok(ratio > 0.75 && ratio < 1.25, `${lang}: ${oursTokens} tokens vs SentencePiece ${spmTokens}`);
  }
  const overall = oursTotal / spmTotal;
  assert.ok(overall > 0.9 && overall < 1.1, `all languages: ${oursTotal} tokens vs SentencePiece ${spmTotal} (${ratios.join(', ')})`);
});
