/**
 * `xlm score METRIC`: scores a system's output file against reference files, the way sacreBLEU's command line does
 * (`sacrebleu REF... -i HYP -m bleu`), with the same definitions, lines and signature. One line per segment in every
 * file; lines are read as sacreBLEU reads them (split at LF, trailing whitespace dropped).
 *
 * Each metric is a row of SCORE_COMMANDS; `xlm score` alone lists them. A new scorer is one more CommandSpec named
 * `score NAME` in that table (its own file when it reads other inputs).
 */
import { XlmError } from '../errors.js';
import { readLineBatches } from '../data/lines.js';
import { BLEU_SMOOTHING, corpusBleu, type BleuOptions, type BleuSmoothing } from '../metrics/bleu.js';
import { corpusChrf } from '../metrics/chrf.js';
import { bleuJson, bleuLine, chrfJson, chrfLine } from '../metrics/mt-format.js';
import { isMtTokenizer, MT_TOKENIZERS, pyRstrip } from '../metrics/mt-tokenizers.js';
import type { CommandContext, CommandSpec, OptionSpec } from './command.js';
import { flagNumber, printJson } from './inputs.js';
import { scoreQaCommand } from './score-qa.js';

const FILE_OPTIONS: Record<string, OptionSpec> = {
  hyp: { type: 'string', arg: 'FILE', help: 'the system output: one translation per line' },
  ref: { type: 'string', multiple: true, arg: 'FILE', help: 'a reference file, line-aligned with --hyp; repeat for several references per segment' },
  lowercase: { type: 'boolean', help: 'case-insensitive: lower-case hypotheses and references first' },
  width: { type: 'string', arg: 'N', help: 'digits after the point in the printed score (default 1, as sacreBLEU)' },
};

const DETAILS = [
  'Same definitions and signature as sacreBLEU 2.x; --json prints sacreBLEU\'s JSON object plus the unrounded figures.',
  'Files are UTF-8 (or UTF-16 with a byte order mark); every --ref needs as many lines as --hyp.',
];

interface Segments {
  hypotheses: string[];
  references: string[][];
}

async function readSegments(ctx: CommandContext, name: string): Promise<Segments> {
  const hyp = ctx.values.hyp;
  const refs = (ctx.values.ref as string[] | undefined) ?? [];
  if (typeof hyp !== 'string' || hyp === '') throw new XlmError('cli-bad-flag', `score ${name} needs --hyp FILE (the system output)`, { what: '--hyp' });
  if (refs.length === 0) throw new XlmError('cli-bad-flag', `score ${name} needs at least one --ref FILE (the references, line-aligned with --hyp)`, { what: '--ref' });
  if (ctx.positionals.length) throw new XlmError('cli-bad-flag', `score ${name} takes its files as --hyp FILE --ref FILE, not as arguments: ${ctx.positionals.join(' ')}`, { what: '--hyp' });
  const hypotheses = await readFileLines(hyp);
  if (hypotheses.length === 0) throw new XlmError('score/empty', 'this file has no lines: nothing to score', { file: hyp });
  const references: string[][] = [];
  for (const ref of refs) {
    const lines = await readFileLines(ref);
    if (lines.length !== hypotheses.length) {
      throw new XlmError(
        'score/misaligned',
        `this file has ${lines.length} line${lines.length === 1 ? '' : 's'} and ${hyp} has ${hypotheses.length}: a reference file needs one line per hypothesis line`,
        { file: ref, line: Math.min(lines.length, hypotheses.length) + 1 },
      );
    }
    references.push(lines);
  }
  return { hypotheses, references };
}

/** Every line of a file as sacreBLEU reads it: split at LF, trailing whitespace dropped; bad bytes are an error. */
async function readFileLines(file: string): Promise<string[]> {
  const lines: string[] = [];
  try {
    for await (const batch of readLineBatches(file)) {
      for (const { text, problem } of batch) {
        if (problem) throw new XlmError(`score/${problem.code}`, problem.reason, { file, line: problem.line, column: problem.column });
        lines.push(pyRstrip(text));
      }
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new XlmError('score/not-found', 'no such file', { file });
    if (code === 'EISDIR') throw new XlmError('score/not-a-file', 'this is a folder; give a text file with one segment per line', { file });
    throw e;
  }
  return lines;
}

function widthOf(ctx: CommandContext): number {
  const value = ctx.values.width;
  if (value === undefined) return 1;
  const n = flagNumber(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new XlmError('cli-bad-flag', `--width is "${String(value)}"; it must be a whole number from 0 to 20`, { what: '--width' });
  return n;
}

function bleuOptions(ctx: CommandContext): BleuOptions {
  const options: BleuOptions = { lowercase: ctx.values.lowercase === true };
  const tokenize = ctx.values.tokenize;
  if (tokenize !== undefined) {
    if (typeof tokenize !== 'string' || !isMtTokenizer(tokenize)) throw new XlmError('cli-bad-flag', `--tokenize is "${String(tokenize)}"; expected one of ${MT_TOKENIZERS.join(', ')}`, { what: '--tokenize' });
    options.tokenize = tokenize;
  }
  const smooth = ctx.values.smooth;
  if (smooth !== undefined) {
    if (!(BLEU_SMOOTHING as readonly unknown[]).includes(smooth)) throw new XlmError('cli-bad-flag', `--smooth is "${String(smooth)}"; expected one of ${BLEU_SMOOTHING.join(', ')}`, { what: '--smooth' });
    options.smooth = smooth as BleuSmoothing;
  }
  const value = ctx.values['smooth-value'];
  if (value !== undefined) {
    const n = flagNumber(value);
    if (options.smooth !== 'floor' && options.smooth !== 'add-k') throw new XlmError('cli-bad-flag', '--smooth-value only applies to --smooth floor or --smooth add-k', { what: '--smooth-value' });
    if (!Number.isFinite(n) || n <= 0) throw new XlmError('cli-bad-flag', `--smooth-value is "${String(value)}"; expected a positive number such as 0.1`, { what: '--smooth-value' });
    options.smoothValue = n;
  }
  return options;
}

const bleuCommand: CommandSpec = {
  name: 'score bleu',
  summary: 'corpus BLEU of a system output against references (sacreBLEU\'s definition and signature)',
  options: {
    ...FILE_OPTIONS,
    tokenize: { type: 'string', arg: 'TOK', help: `${MT_TOKENIZERS.join(' | ')}: 13a (default) is mteval's; intl splits Unicode punctuation; zh splits CJK characters; char every character` },
    smooth: { type: 'string', arg: 'METHOD', help: `${BLEU_SMOOTHING.join(' | ')} (default exp)` },
    'smooth-value': { type: 'string', arg: 'X', help: 'floor\'s epsilon (default 0.1) or add-k\'s k (default 1)' },
  },
  details: DETAILS,
  async run(ctx) {
    const options = bleuOptions(ctx);
    const width = widthOf(ctx);
    const { hypotheses, references } = await readSegments(ctx, 'bleu');
    const score = corpusBleu(hypotheses, references, options);
    if (ctx.values.json) printJson(ctx.io, { ...bleuJson(score, width), bleu: score.score, precisions: score.precisions, counts: score.counts, totals: score.totals, bp: score.bp, ratio: score.ratio, hypLength: score.hypLength, refLength: score.refLength });
    else ctx.io.stdout.write(`${bleuLine(score, width)}\n`);
    return 0;
  },
};

function chrfCommand(name: 'chrf' | 'chrf++', wordOrder: number, summary: string): CommandSpec {
  return {
    name: `score ${name}`,
    summary,
    options: FILE_OPTIONS,
    details: DETAILS,
    async run(ctx) {
      const width = widthOf(ctx);
      const { hypotheses, references } = await readSegments(ctx, name);
      const score = corpusChrf(hypotheses, references, { wordOrder, lowercase: ctx.values.lowercase === true });
      if (ctx.values.json) printJson(ctx.io, { ...chrfJson(score, width), chrf: score.score });
      else ctx.io.stdout.write(`${chrfLine(score, width)}\n`);
      return 0;
    },
  };
}

/** The scorers of `xlm score`: one CommandSpec each, named `score NAME`. */
const SCORERS: readonly CommandSpec[] = [
  bleuCommand,
  chrfCommand('chrf', 0, 'corpus chrF (character 6-grams, beta 2) of a system output against references, as sacreBLEU'),
  chrfCommand('chrf++', 2, 'corpus chrF++ (chrF plus word unigrams and bigrams) of a system output against references, as sacreBLEU'),
  scoreQaCommand,
];

/** `xlm score` without a scorer (or with one that does not exist): the list of scorers. */
const scoreCommand: CommandSpec = {
  name: 'score',
  summary: `score outputs against references: ${SCORERS.map((s) => s.name.slice('score '.length)).join(', ')} (xlm score NAME --help)`,
  args: 'NAME',
  async run(ctx) {
    const names = SCORERS.map((s) => s.name.slice('score '.length));
    const given = ctx.positionals[0];
    if (given !== undefined) throw new XlmError('cli-unknown-command', `no scorer "${given}"; scorers: ${names.join(', ')} (xlm score NAME --help)`);
    ctx.io.stdout.write(['xlm score NAME --hyp FILE --ref FILE [--ref FILE ...]', '', 'scorers:', ...SCORERS.map((s) => `  ${s.name.slice('score '.length).padEnd(8)} ${s.summary}`), ''].join('\n'));
    return 1;
  },
};

export const SCORE_COMMANDS: readonly CommandSpec[] = [scoreCommand, ...SCORERS];
