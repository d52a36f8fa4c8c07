/**
 * `xlm data inspect FILE`: what is in a data file before training on it: counts, labels, languages, a length
 * histogram (in the tokens of a model's tokenizer, or in whitespace words without one), rows over the
 * maximum length, duplicates and conflicting duplicates, and the first bad rows at file:line:column.
 *
 * The tokenizer flag is `--tokenizer DIR` (any model folder with tokenizer.json): a `--model` flag would make
 * the CLI build the default model when it is left out, and inspecting a file must stay instant.
 */
import { inspectDataset, inspectQaFile, formatQaSummary, looksLikeQa, type DatasetSummary, type InspectOptions } from '../data/index.js';
import { XlmError } from '../errors.js';
import type { CommandSpec, OptionSpec } from './command.js';
import { DATA_READ_OPTIONS, readOptionsFromFlags } from './data-flags.js';
import { positiveInt, printJson } from './inputs.js';

const OPTIONS: Record<string, OptionSpec> = {
  tokenizer: { type: 'string', arg: 'DIR', help: 'model folder whose tokenizer counts the tokens (default: whitespace-separated words)' },
  'max-length': { type: 'string', arg: 'N', help: 'count rows longer than N (tokens with specials, or words; default 128, the trainer default)' },
  samples: { type: 'string', arg: 'N', help: 'duplicates, conflicts and errors to list (default 10)' },
  pair: { type: 'string', arg: 'FILE', help: 'parallel text: the file line-aligned with FILE (line n is the translation of line n)' },
  ...DATA_READ_OPTIONS,
};

export interface InspectFileOptions extends InspectOptions {
  /** A model folder: lengths in its tokens, <s> and </s> included. */
  tokenizer?: string;
}

/** inspectDataset with the length unit chosen: a model's tokens, else whitespace words. */
export async function inspectFile(file: string, options: InspectFileOptions, loadTokenizer: (dir: string) => { encode(text: string, pair?: string | null): { ids: number[] } }): Promise<DatasetSummary> {
  if (options.tokenizer) {
    const tokenizer = loadTokenizer(options.tokenizer);
    return inspectDataset(file, options, (text, pair) => tokenizer.encode(text, pair ?? null).ids.length);
  }
  return inspectDataset(file, { ...options, lengthUnit: 'words' }, (text, pair) => countWords(text) + (pair === undefined ? 0 : countWords(pair)));
}

function countWords(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/\S+/gu)) n++;
  return n;
}

export const dataInspectCommand: CommandSpec = {
  name: 'data inspect',
  summary: 'summarise a data file: counts, labels, languages, length histogram, duplicates, bad rows at file:line:column',
  args: 'FILE',
  options: OPTIONS,
  details: [
    'Bad rows never stop inspect: every one is counted and the first are listed. --json prints the whole summary.',
    'Question answering (SQuAD v1.1/v2.0 JSON, or JSON Lines with context, question and answers): questions, paragraphs, answer lengths, the unanswerable share and languages (--language sets it for files that do not say).',
  ],
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file) throw new XlmError('cli-bad-flag', 'data inspect needs a FILE (xlm data inspect FILE)', { what: 'FILE' });
    if (ctx.positionals.length > 1) throw new XlmError('cli-bad-flag', `data inspect takes one FILE, got ${ctx.positionals.length}: ${ctx.positionals.join(' ')}`, { what: 'FILE' });
    const samples = positiveInt(ctx.values.samples, '--samples', 10);
    if (looksLikeQa(file)) {
      const read = readOptionsFromFlags(ctx.values);
      const qa = await inspectQaFile(file, { maxReported: samples, ...(read.language ? { language: read.language } : {}) });
      if (ctx.values.json) printJson(ctx.io, qa);
      else ctx.io.stdout.write(formatQaSummary(qa));
      return 0;
    }
    const summary = await inspectFile(
      file,
      {
        ...readOptionsFromFlags(ctx.values),
        ...(typeof ctx.values.pair === 'string' ? { pairPath: ctx.values.pair } : {}),
        maxLength: positiveInt(ctx.values['max-length'], '--max-length', 128),
        samples,
        maxReported: samples,
        tokenizer: ctx.values.tokenizer as string | undefined,
      },
      (dir) => ctx.models().tokenizer(dir),
    );
    if (ctx.values.json) printJson(ctx.io, summary);
    else ctx.io.stdout.write(formatSummary(summary, ctx.values.tokenizer as string | undefined));
    return 0;
  },
};

export function formatSummary(s: DatasetSummary, tokenizer?: string): string {
  const lines: string[] = [];
  const columns = Object.entries(s.columns).map(([k, v]) => `${k}=${v}`).join(' ');
  lines.push(`${s.file}: ${s.format} (${s.formatReason}), ${s.kind}${columns ? `; columns ${columns}` : ''}`);
  lines.push(`rows: ${s.rows} good, ${s.errorCount} bad${s.warningCount ? `, ${s.warningCount} left out with a warning` : ''}`);
  if (s.tagScheme) lines.push(`tag scheme: ${s.tagScheme.scheme.toUpperCase()} (${s.tagScheme.reason})${s.tagScheme.scheme === 'iob2' ? '' : ', converted to IOB2'}`);
  if (s.labels) lines.push(`labels${s.kind === 'token-classification' ? ' (tags, IOB2)' : ''}: ${counts(s.labels)}`);
  lines.push(`languages (${s.languages.source === 'column' ? 'from the language column' : 'guessed from the script'}): ${counts(s.languages.counts) || '(none)'}`);
  lines.push(`scripts: ${counts(s.scripts) || '(none)'}`);
  const L = s.length;
  const unit = L.unit === 'tokens' ? `tokens (${tokenizer}, with <s> and </s>)` : L.unit;
  lines.push(`length in ${unit}: min ${L.min}, mean ${L.mean.toFixed(1)}, p50 ${L.p50}, p90 ${L.p90}, p95 ${L.p95}, p99 ${L.p99}, max ${L.max}`);
  lines.push(`  ${L.overMaxLength} row${L.overMaxLength === 1 ? '' : 's'} over max length ${L.maxLength}${L.overMaxLength ? ' (training and eval cut them)' : ''}`);
  const widest = Math.max(1, ...L.histogram.map((b) => b.count));
  for (const bin of L.histogram) {
    const range = bin.to === null ? `${bin.from}+` : `${bin.from}-${bin.to - 1}`;
    lines.push(`  ${range.padStart(9)} ${'#'.repeat(Math.ceil((bin.count / widest) * 40)).padEnd(40)} ${bin.count}`);
  }
  const d = s.duplicates;
  lines.push(`duplicates: ${d.rows} row${d.rows === 1 ? '' : 's'} repeat an earlier text (${d.groups} distinct text${d.groups === 1 ? '' : 's'}); ${d.conflictingGroups} text${d.conflictingGroups === 1 ? ' has' : 's have'} conflicting labels (${d.conflictingRows} rows)`);
  for (const e of d.examples) lines.push(`  line ${e.line} repeats line ${e.firstLine}: ${JSON.stringify(e.text)}`);
  for (const c of d.conflicts) lines.push(`  conflict at lines ${c.lines.join(', ')}: ${c.labels.join(' / ')}: ${JSON.stringify(c.text)}`);
  if (s.errorCount) {
    lines.push(`errors (first ${s.errors.length} of ${s.errorCount}):`);
    for (const e of s.errors) lines.push(`  ${e.file}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}: ${e.reason}`);
  }
  if (s.warningCount) {
    lines.push(`warnings (first ${s.warnings.length} of ${s.warningCount}):`);
    for (const e of s.warnings) lines.push(`  ${e.file}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}: ${e.reason}`);
  }
  return lines.join('\n') + '\n';
}

function counts(record: Record<string, number>): string {
  return Object.entries(record).map(([k, n]) => `${k} ${n}`).join(', ');
}
