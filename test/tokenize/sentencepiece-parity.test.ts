/**
 * Our tokenizer against SentencePiece itself: a Unigram model trained by sentencepiece on UDHR text in
 * thirteen languages, converted to tokenizer.json in XLM-R's layout by unigramTokenizerJson, must give
 * SentencePiece's ids shifted as fairseq shifts them (sp id i >= 3 becomes i + 1, sp's <unk> becomes 3),
 * for single texts, pairs and texts with `<mask>`; and the offsets must hold on that realistic vocabulary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unigramTokenizerJson, xlmrTokenizerConfig, type UnigramPiece } from '../../src/engine/tokenize/tokenizer-json.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { offsetProblems } from './offset-invariants.js';

const LANGUAGES = ['eng', 'fra', 'deu_1996', 'spa', 'pol', 'ces', 'rus', 'ell_monotonic', 'cmn_hans', 'jpn', 'kor', 'arb', 'hin'];

const SINGLES = [
  'The capital of France is Paris.',
  'Everyone has the right to life, liberty and security of person.',
  'Tous les êtres humains naissent libres et égaux en dignité et en droits.',
  'Toute personne a droit à l’éducation.',
  'Alle Menschen sind frei und gleich an Würde und Rechten geboren.',
  'Todo individuo tiene derecho a la vida, a la libertad y a la seguridad de su persona.',
  'Każdy człowiek ma prawo do życia, wolności i bezpieczeństwa swojej osoby.',
  'Všichni lidé rodí se svobodní a sobě rovní co do důstojnosti a práv.',
  'Все люди рождаются свободными и равными в своем достоинстве и правах.',
  'Όλοι οι άνθρωποι γεννιούνται ελεύθεροι και ίσοι στην αξιοπρέπεια και τα δικαιώματα.',
  '人人生而自由，在尊严和权利上一律平等。',
  'すべての人間は、生まれながらにして自由であり、かつ、尊厳と権利とについて平等である。',
  '모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다.',
  'يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق.',
  'सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता और समानता प्राप्त है।',
  'Paris   is    the  capital',
  'liberté\tégalité\nfraternité',
  '   dignité et droits   ',
  'e\u0301galite\u0301 et dignite\u0301',
  'I love Paris 😀👍 ☃☃ ok',
  'Article 25 (1): 100% — “quoted” [x] {y} #tag @user',
  'ＦＵＬＬ ｗｉｄｔｈ ﬁ',
  'Berlin東京Москва',
  'a',
  'x\u00a0y',
];
const PAIRS: Array<[string, string]> = [
  ['Everyone has the right to life.', 'Tous les êtres humains naissent libres.'],
  ['人人生而自由。', 'Все люди рождаются свободными.'],
  ['  spaces  around  ', 'e\u0301te\u0301 😀'],
];
const MASKED = ['Paris is the <mask> of France.', 'Paris<mask>ing', 'the  <mask>  of', '<mask> est libre', 'deux <mask> <mask> ici'];

function udhrCorpus(): string[] {
  const declarations = join(dirname(require.resolve('udhr')), 'declaration');
  const lines: string[] = [];
  for (const lang of LANGUAGES) {
    const html = readFileSync(join(declarations, `${lang}.html`), 'utf8');
    for (const m of html.matchAll(/<p>([\s\S]*?)<\/p>/g)) {
      const line = m[1].replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
      if (line) lines.push(line);
    }
  }
  return lines;
}

interface Reference {
  pieces: Array<[string, number, string]>;
  encoded: Array<{ ids: number[]; pieces: string[] }>;
  unk_id: number;
}

/** Splits a text at `<mask>` the way XLM-R's added token does (lstrip: the space before it goes with it). */
function maskParts(text: string): string[] {
  return text.split('<mask>').map((part, i, all) => (i < all.length - 1 ? part.trimEnd() : part));
}

test('ids equal SentencePiece ids (fairseq-shifted) for singles, pairs and <mask> texts; offsets hold', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-sp-'));
  try {
    const maskedParts = MASKED.flatMap(maskParts);
    const pairParts = PAIRS.flat();
    const texts = [...SINGLES, ...pairParts, ...maskedParts];
    writeFileSync(join(dir, 'corpus.txt'), udhrCorpus().join('\n') + '\n');
    writeFileSync(join(dir, 'texts.json'), JSON.stringify(texts));
    const script = join(__dirname, 'sentencepiece_reference.py');
    const run = spawnSync('/usr/bin/python3', [script, dir, '2000'], { encoding: 'utf8' });
    assert.equal(run.status, 0, `the SentencePiece reference failed (needs Debian's python3-sentencepiece):\n${run.stderr}`);
    const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;

    assert.deepEqual(ref.pieces.slice(0, 3).map((p) => p[2]), ['unknown', 'control', 'control']);
    assert.ok(ref.pieces.slice(3).every((p) => p[2] === 'normal'), 'SentencePiece pieces after the first three are ordinary pieces');
    const pieces = ref.pieces.slice(3).map(([p, s]): UnigramPiece => [p, s]);
    const tokenizerJson = unigramTokenizerJson(pieces);
    const tok = new XlmTokenizer({ tokenizerJson, tokenizerConfig: xlmrTokenizerConfig(tokenizerJson) });
    assert.equal(tok.vocabSize, ref.pieces.length + 2, '<pad> and <mask> are added to SentencePiece\'s pieces');
    assert.equal(tok.maskId, ref.pieces.length + 1);

    const shift = (id: number) => (id === ref.unk_id ? 3 : id + 1);
    const spIds = (text: string) => ref.encoded[texts.indexOf(text)].ids.map(shift);
    let compared = 0;
    for (const text of SINGLES) {
      const enc = tok.encode(text);
      assert.deepEqual(enc.ids, [0, ...spIds(text), 2], `ids of ${JSON.stringify(text)}; sentencepiece pieces ${JSON.stringify(ref.encoded[texts.indexOf(text)].pieces)}, ours ${JSON.stringify(enc.tokens)}`);
      assert.deepEqual(offsetProblems(tok, [text], enc), [], `offsets of ${JSON.stringify(text)}`);
      compared++;
    }
    for (const [a, b] of PAIRS) {
      const enc = tok.encode(a, b);
      assert.deepEqual(enc.ids, [0, ...spIds(a), 2, 2, ...spIds(b), 2], `pair ${JSON.stringify([a, b])}`);
      assert.deepEqual(offsetProblems(tok, [a, b], enc), [], `offsets of pair ${JSON.stringify([a, b])}`);
      compared++;
    }
    for (const text of MASKED) {
      const expected = maskParts(text).flatMap((part, i) => (i === 0 ? spIds(part) : [tok.maskId, ...spIds(part)]));
      const enc = tok.encode(text);
      assert.deepEqual(enc.ids, [0, ...expected, 2], `ids of ${JSON.stringify(text)}`);
      assert.deepEqual(offsetProblems(tok, [text], enc), [], `offsets of ${JSON.stringify(text)}`);
      compared++;
    }
    assert.ok(compared >= 30);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
