/**
 * Trains the default UDHR tokenizer (8000 pieces unless argv[2] says otherwise), prints the training time,
 * loads the result in @huggingface/tokenizers and prints, per language, on the held-out articles: <unk>
 * count, round trip, tokens per word and per character, beside SentencePiece's Unigram trained on the same
 * counts with the same number of pieces.
 *
 *   npx tsx bench/tokenizer-train.ts [vocabSize]
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { heldOutParagraphs, loadUdhrCorpus } from '../src/engine/pretrain/corpus.js';
import { UDHR_LANGUAGES } from '../src/engine/pretrain/languages.js';
import { corpusAlphabet, tokenizerFolderFiles, tokenizerTrainingTexts, trainUdhrTokenizer } from '../src/engine/pretrain/udhr-tokenizer.js';
import { SPECIAL_TOKEN_COUNT, trainUnigram } from '../src/engine/pretrain/unigram-trainer.js';
import { tokenizerNormalize } from '../src/engine/pretrain/unigram-words.js';
import { runSentencepiece, sentencepieceAvailable } from '../test/pretrain/sentencepiece-reference.js';

const vocabSize = Number(process.argv[2] ?? 8000);
const corpus = loadUdhrCorpus();
const heldOut = heldOutParagraphs(corpus);

function hfTokenizer(pieces: [string, number][]): Tokenizer {
  const files = tokenizerFolderFiles({ pieces });
  return new Tokenizer(files['tokenizer.json'], files['tokenizer_config.json']);
}

let start = performance.now();
const model = trainUdhrTokenizer(corpus, { vocabSize, onRound: (r) => console.log(`  round ${r.round}: ${r.pieces} pieces, log-likelihood/word ${r.logLikelihoodPerWord.toFixed(3)}`) });
const seconds = (performance.now() - start) / 1000;
console.log(`trained ${model.pieces.length} pieces (+${SPECIAL_TOKEN_COUNT} specials) from ${model.distinctWords} distinct words, ${model.seedPieces} seeds, alphabet ${model.alphabetSize}, in ${seconds.toFixed(2)} s`);

// Kana before Han, so a Japanese piece mixing kanji and kana counts as Kana.
const SCRIPTS = ['Kana', ...new Set(UDHR_LANGUAGES.flatMap((l) => l.script.split('+')).filter((s) => s !== 'Kana'))];
const perScript = new Map<string, number>();
for (const [piece] of model.pieces) {
  const body = piece.replace('\u2581', '');
  if ([...body].length < 2) continue;
  const key = SCRIPTS.find((s) => new RegExp(s === 'Kana' ? '[\\p{Script=Hiragana}\\p{Script=Katakana}]' : `\\p{Script=${s}}`, 'u').test(body)) ?? 'other';
  perScript.set(key, (perScript.get(key) ?? 0) + 1);
}
console.log(`multi-character pieces per script: ${[...perScript].map(([s, n]) => `${s} ${n}`).join(', ')}`);

const tokenizer = hfTokenizer(model.pieces);
const unkId = 3;

// Same integer counts for both trainers: SentencePiece reads counts from a TSV as integers.
const weighted = tokenizerTrainingTexts(corpus).map((t) => ({ text: tokenizerNormalize(t.text), weight: Math.max(1, Math.round(t.weight * 10)) }));
const alphabet = corpusAlphabet(corpus).join('');
start = performance.now();
const oursSameCounts = trainUnigram(weighted, { vocabSize, requiredCharacters: alphabet });
const oursSeconds = (performance.now() - start) / 1000;
const oursSameTokenizer = hfTokenizer(oursSameCounts.pieces);
const texts = heldOut.map((p) => tokenizerNormalize(p.text));
let spm: string[][] | null = null;
if (sentencepieceAvailable()) {
  start = performance.now();
  spm = runSentencepiece(weighted, vocabSize - SPECIAL_TOKEN_COUNT, alphabet, texts).encoded;
  console.log(`same-count comparison: ours ${oursSeconds.toFixed(2)} s, sentencepiece ${((performance.now() - start) / 1000).toFixed(2)} s (python process, training + encoding)`);
} else console.log('python3-sentencepiece is not installed: no reference column');

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`\nheld-out articles, per language (tok/word: tokens per whitespace word; "same counts" columns: both trained on integer counts)`);
console.log(`${'lang'.padEnd(5)}${pad('script', 10)}${pad('unk', 5)}${pad('trip', 6)}${pad('tok/char', 10)}${pad('tok/word', 10)}${pad('same:ours', 11)}${pad('same:spm', 10)}${pad('ratio', 8)}`);
let worstRatio = 1;
let failedTrips = 0;
let unks = 0;
for (const lang of UDHR_LANGUAGES) {
  let tokens = 0, chars = 0, words = 0, unk = 0, trips = 0, count = 0, oursSame = 0, spmTokens = 0;
  heldOut.forEach((p, i) => {
    if (p.lang !== lang.code) return;
    const text = texts[i];
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    tokens += ids.length;
    unk += ids.filter((id: number) => id === unkId).length;
    if (tokenizer.decode(ids) === text) trips++;
    count++;
    chars += [...text].length;
    words += text.split(' ').length;
    oursSame += oursSameTokenizer.encode(text, { add_special_tokens: false }).ids.length;
    if (spm) spmTokens += spm[i].length;
  });
  unks += unk;
  failedTrips += count - trips;
  const ratio = spm ? oursSame / spmTokens : NaN;
  if (spm) worstRatio = Math.abs(ratio - 1) > Math.abs(worstRatio - 1) ? ratio : worstRatio;
  console.log(`${lang.code.padEnd(5)}${pad(lang.script, 10)}${pad(unk, 5)}${pad(`${trips}/${count}`, 6)}${pad((tokens / chars).toFixed(3), 10)}${pad((tokens / words).toFixed(2), 10)}${pad((oursSame / words).toFixed(2), 11)}${pad(spm ? (spmTokens / words).toFixed(2) : '-', 10)}${pad(spm ? ratio.toFixed(3) : '-', 8)}`);
}
console.log(`\n<unk> tokens: ${unks}; round-trip failures: ${failedTrips}; ours/sentencepiece token ratio furthest from 1: ${spm ? worstRatio.toFixed(3) : '-'}`);
