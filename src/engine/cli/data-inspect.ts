/**
 * `xlm data inspect FILE`: what is in a data file before training on it: counts, labels, languages, a length
 * histogram (in the tokens of a model's tokenizer, or in whitespace words without one), rows over the
 * maximum length, duplicates and conflicting duplicates, and the first bad rows at file:line:column.
 *
 * The tokenizer flag is `--tokenizer DIR` (any model folder with tokenizer.json): a `--model` flag would make
 * the CLI build the default model when it is left out, and inspecting a file must stay instant.
 */
import { inspectDataset, inspectQaFile, formatQaSummary, looksLikeQa, type DatasetSummary, type InspectOptions } from '../data/index.js';
import { looksParallel } from '../data/parallel.js';
import { inspectParallel, type LengthStats, type ParallelSummary } from '../data/parallel-inspect.js';
import { XlmError, render } from '../errors.js';
import { formatDataErrorNaming, withReasonsNamed } from '../data/types.js';
import { flagOf } from './option-flags.js';
import { findShippedModel } from '../pretrain/shipped-model.js';
import type { CommandContext, CommandSpec, OptionSpec } from './command.js';
import { DATA_READ_OPTIONS, readOptionsFromFlags } from './data-flags.js';
import { flagNumber, positiveInt, printJson } from './inputs.js';
import { languagePairFromFlags, PARALLEL_OPTIONS, parallelInputFromFlags } from './parallel-flags.js';

const OPTIONS: Record<string, OptionSpec> = {
  tokenizer: { type: 'string', arg: 'DIR', help: "model folder whose tokenizer counts the tokens (default: the shipped default model's; 'words' counts whitespace-separated words)" },
  'max-length': { type: 'string', arg: 'N', help: 'count rows longer than N (tokens with specials, or words; default 128, the trainer default)' },
  samples: { type: 'string', arg: 'N', help: 'duplicates, conflicts and errors to list', default: 10 },
  pair: { type: 'string', arg: 'FILE', help: 'parallel text: the file line-aligned with FILE (line n is the translation of line n)' },
  ...PARALLEL_OPTIONS,
  'max-ratio': { type: 'string', arg: 'R', help: 'parallel text: list pairs whose target/source length ratio is over R times (or under 1/R of) the corpus median (default 3)' },
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
    'Parallel text (--source FILE --target FILE, FILE --pair FILE, a JSONL of {"translation": {...}} or {"source", "target"},',
    'a TSV headed by two language codes, or --format parallel) gets a translation summary: pairs, languages, lengths,',
    'length-ratio outliers, repeated pairs and untranslated copies.',
    'Question answering (SQuAD v1.1/v2.0 JSON, or JSON Lines with context, question and answers): questions, paragraphs, answer lengths, the unanswerable share and languages (--language sets it for files that do not say).',
  ],
  async run(ctx) {
    const file = ctx.positionals[0];
    if (ctx.positionals.length > 1) throw new XlmError('cli-bad-flag', `data inspect takes one FILE, got ${ctx.positionals.length}: ${ctx.positionals.join(' ')}`, { what: 'FILE' });
    const samples = ctx.int('samples');
    if (await isParallelRequest(ctx, file)) {
      const input = parallelInputFromFlags(ctx.values, file)!;
      const maxRatio = ctx.values['max-ratio'] === undefined ? 3 : flagNumber(ctx.values['max-ratio']);
      if (!(maxRatio > 1)) throw new XlmError('cli-bad-flag', `--max-ratio is "${String(ctx.values['max-ratio'])}"; expected a number over 1, such as 3`, { what: '--max-ratio' });
      const format = ctx.values.format === 'tsv' || ctx.values.format === 'jsonl' ? ctx.values.format : undefined;
      const summary = await inspectParallel(input, { ...languagePairFromFlags(ctx.values), ...(format ? { format } : {}), maxRatio, samples });
      if (ctx.values.json) printJson(ctx.io, withReasonsNamed(summary, flagOf));
      else ctx.io.stdout.write(formatParallelSummary(summary));
      return 0;
    }
    if (file && looksLikeQa(file)) {
      const read = readOptionsFromFlags(ctx.values);
      const qa = await inspectQaFile(file, { maxReported: samples, ...(read.language ? { language: read.language } : {}) });
      if (ctx.values.json) printJson(ctx.io, withReasonsNamed(qa, flagOf));
      else ctx.io.stdout.write(formatQaSummary(qa));
      return 0;
    }
    if (!file) throw new XlmError('cli-bad-flag', 'data inspect needs a FILE (xlm data inspect FILE), or --source FILE --target FILE for parallel text', { what: 'FILE' });
    // Lengths in tokens as training counts them: the shipped default model's tokenizer unless another is named (a
    // word count would miss the rows training cuts: scripts without spaces are one "word" a line).
    const asked = ctx.values.tokenizer as string | undefined;
    // Only its tokenizer is read: the folder is found, not verified (verifying hashes every weight file).
    const shipped = asked === undefined ? findShippedModel() : undefined;
    const tokenizer = asked === 'words' ? undefined : (asked ?? shipped);
    const summary = await inspectFile(
      file,
      {
        ...readOptionsFromFlags(ctx.values),
        ...(typeof ctx.values.pair === 'string' ? { pairPath: ctx.values.pair } : {}),
        maxLength: positiveInt(ctx.values['max-length'], '--max-length', 128),
        samples,
        maxReported: samples,
        ...(tokenizer ? { tokenizer } : {}),
      },
      (dir) => ctx.models().tokenizer(dir),
    );
    if (ctx.values.json) printJson(ctx.io, withReasonsNamed(summary, flagOf));
    else ctx.io.stdout.write(formatSummary(summary, tokenizer === shipped ? 'the default model' : tokenizer));
    return 0;
  },
};

/** Parallel text: named by the flags, or a file whose first row is a translation pair. */
async function isParallelRequest(ctx: CommandContext, file: string | undefined): Promise<boolean> {
  const v = ctx.values;
  if (v.source !== undefined || v.target !== undefined || v.pair !== undefined || v.format === 'parallel') return true;
  if (v['source-lang'] !== undefined || v['target-lang'] !== undefined) return true;
  return file !== undefined && v.format === undefined && (await looksParallel(file).catch(() => false));
}

function formatParallelSummary(s: ParallelSummary): string {
  const lines: string[] = [];
  const pct = (n: number): string => (s.pairs ? `${((100 * n) / s.pairs).toFixed(1)}%` : '0%');
  lines.push(`${s.files.join(' + ')}: parallel text, ${s.format} (${s.formatReason})`);
  lines.push(`pairs: ${s.pairs} good, ${s.errorCount} bad`);
  const langs = s.languages.source !== undefined || s.languages.target !== undefined ? `${s.languages.source ?? '?'} → ${s.languages.target ?? '?'} (from ${s.languages.from})` : s.languages.from === 'records' ? 'per line' : 'not named (give --source-lang and --target-lang)';
  lines.push(`languages: ${langs}`);
  if (Object.keys(s.languages.byPair).length > 1) lines.push(`  by pair: ${Object.entries(s.languages.byPair).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const row = (name: string, l: LengthStats): string => `  ${name.padEnd(18)} min ${l.min}, mean ${l.mean.toFixed(1)}, p50 ${l.p50}, p95 ${l.p95}, max ${l.max}`;
  lines.push('length:');
  lines.push(row('source characters', s.length.source.characters));
  lines.push(row('target characters', s.length.target.characters));
  lines.push(row('source words', s.length.source.words));
  lines.push(row('target words', s.length.target.words));
  const medians = Object.entries(s.ratio.medians).map(([k, m]) => (Object.keys(s.ratio.medians).length > 1 ? `${k} ${m.toFixed(2)}` : m.toFixed(2))).join(', ');
  lines.push(`length ratio (target/source characters): median ${medians || '-'}; ${s.ratio.outliers} pair${s.ratio.outliers === 1 ? '' : 's'} (${pct(s.ratio.outliers)}) over ${s.ratio.maxRatio}x or under 1/${s.ratio.maxRatio} of it`);
  for (const o of s.ratio.examples) lines.push(`  ${o.file}:${o.line}: ratio ${o.ratio.toFixed(2)}: ${JSON.stringify(clip(o.source))} → ${JSON.stringify(clip(o.target))}`);
  lines.push(`repeated pairs: ${s.duplicates} (${pct(s.duplicates)}); target equal to source (untranslated): ${s.copies} (${pct(s.copies)})`);
  if (s.errorCount) {
    lines.push(`errors (first ${s.errors.length} of ${s.errorCount}):`);
    for (const e of s.errors) lines.push(`  ${formatDataErrorNaming(e, flagOf)}`);
  }
  return lines.join('\n') + '\n';
}

function clip(text: string): string {
  const chars = Array.from(text);
  return chars.length > 60 ? `${chars.slice(0, 57).join('')}...` : text;
}

export function formatSummary(s: DatasetSummary, tokenizer?: string): string {
  const lines: string[] = [];
  const columns = Object.entries(s.columns).map(([k, v]) => `${k}=${v}`).join(' ');
  lines.push(`${s.file}: ${s.format} (${s.formatReason}), ${s.kind}${columns ? `; columns ${columns}` : ''}`);
  lines.push(`rows: ${s.rows} good, ${s.errorCount} bad${s.warningCount ? `, ${s.warningCount} left out with a warning` : ''}`);
  if (s.tagScheme) lines.push(`tag scheme: ${s.tagScheme.scheme.toUpperCase()} (${s.tagScheme.said ? render(s.tagScheme.said, flagOf) : s.tagScheme.reason})${s.tagScheme.scheme === 'iob2' ? '' : ', converted to IOB2'}`);
  if (s.labels) lines.push(`labels${s.kind === 'token-classification' ? ' (tags, IOB2)' : ''}: ${counts(s.labels)}`);
  lines.push(`languages (${s.languages.source === 'column' ? `from the ${s.columns.language ?? 'language'} column` : 'guessed from the script'}): ${counts(s.languages.counts) || '(none)'}`);
  lines.push(`scripts: ${counts(s.scripts) || '(none)'}`);
  const L = s.length;
  const unit = L.unit === 'tokens' ? `tokens (${tokenizer}, with <s> and </s>)` : L.unit;
  lines.push(`length in ${unit}: min ${L.min}, mean ${L.mean.toFixed(1)}, p50 ${L.p50}, p90 ${L.p90}, p95 ${L.p95}, p99 ${L.p99}, max ${L.max}`);
  const over = `  ${L.overMaxLength} row${L.overMaxLength === 1 ? '' : 's'} over ${L.maxLength} ${L.unit}`;
  lines.push(L.unit === 'tokens' ? `${over}${L.overMaxLength ? ` (training and eval with --max-length ${L.maxLength} cut them)` : ''}` : `${over} (words, not tokens: --tokenizer DIR counts what training cuts)`);
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
    for (const e of s.errors) lines.push(`  ${formatDataErrorNaming(e, flagOf)}`);
  }
  if (s.warningCount) {
    lines.push(`warnings (first ${s.warnings.length} of ${s.warningCount}):`);
    for (const e of s.warnings) lines.push(`  ${formatDataErrorNaming(e, flagOf)}`);
  }
  return lines.join('\n') + '\n';
}

function counts(record: Record<string, number>): string {
  return Object.entries(record).map(([k, n]) => `${k} ${n}`).join(', ');
}
