/**
 * The reference Unigram trainer: Debian's python3-sentencepiece, trained on the same weighted text as ours
 * (a TSV of "sentence<TAB>count", so both see identical counts) and used to encode the same test texts.
 * Shared by the comparison test and bench/tokenizer-train.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, sentencepiece as spm
job = json.load(open(sys.argv[1], encoding='utf-8'))
spm.SentencePieceTrainer.train(
    input=job['tsv'], input_format='tsv', model_prefix=job['prefix'], model_type='unigram',
    vocab_size=job['vocab_size'], character_coverage=1.0, normalization_rule_name='identity',
    required_chars=job['required_chars'], max_sentence_length=1 << 20, num_threads=2,
    hard_vocab_limit=False, minloglevel=2)
sp = spm.SentencePieceProcessor(model_file=job['prefix'] + '.model')
pieces = [[sp.id_to_piece(i), sp.get_score(i)] for i in range(sp.get_piece_size())]
encoded = [sp.encode(t, out_type=str) for t in job['encode']]
json.dump({'pieces': pieces, 'encoded': encoded}, open(sys.argv[2], 'w', encoding='utf-8'), ensure_ascii=False)
`;

export function sentencepieceAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import sentencepiece'], { stdio: 'ignore' }).status === 0;
}

export interface SentencepieceRun {
  /** Every piece of the model, meta pieces (<unk>, <s>, </s>) included, with its score. */
  pieces: [string, number][];
  /** The pieces of each text to encode. */
  encoded: string[][];
}

/**
 * Trains SentencePiece Unigram on `texts` (integer counts; already normalized, so its normalizer is identity)
 * with `pieceCount` ordinary pieces, and encodes `encode`.
 */
export function runSentencepiece(texts: readonly { text: string; weight: number }[], pieceCount: number, requiredChars: string, encode: readonly string[]): SentencepieceRun {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-spm-'));
  try {
    const tsv = join(dir, 'train.tsv');
    writeFileSync(tsv, texts.map((t) => {
      if (!Number.isInteger(t.weight) || t.weight < 1) throw new Error(`sentencepiece counts must be positive integers, got ${t.weight}`);
      if (/[\t\n]/.test(t.text)) throw new Error('sentencepiece TSV text must not hold tabs or newlines');
      return `${t.text}\t${t.weight}\n`;
    }).join(''));
    const job = join(dir, 'job.json');
    // SentencePiece's vocab_size counts its three meta pieces.
    writeFileSync(job, JSON.stringify({ tsv, prefix: join(dir, 'm'), vocab_size: pieceCount + 3, required_chars: requiredChars, encode }));
    const out = join(dir, 'out.json');
    const run = spawnSync(PYTHON, ['-c', SCRIPT, job, out], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (run.status !== 0) throw new Error(`sentencepiece failed (${run.status}): ${run.stderr.slice(-2000)}`);
    return JSON.parse(readFileSync(out, 'utf8')) as SentencepieceRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
