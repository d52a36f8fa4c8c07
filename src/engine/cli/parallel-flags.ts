/**
 * The flags that name parallel text (translation data), shared by every command that reads it: two line-aligned
 * files (--source, --target) or one TSV / JSONL file, and the language pair (--source-lang, --target-lang).
 */
import { languageCodeProblem } from '../data/language-codes.js';
import type { ParallelInput } from '../data/parallel.js';
import { XlmError } from '../errors.js';
import type { OptionSpec, OptionValues } from './command.js';

export const PARALLEL_OPTIONS: Record<string, OptionSpec> = {
  source: { type: 'string', arg: 'FILE', help: 'parallel text: the source-language file, line-aligned with --target (line n is the translation of line n)' },
  target: { type: 'string', arg: 'FILE', help: 'parallel text: the target-language file, line-aligned with --source' },
  'source-lang': { type: 'string', arg: 'CODE', help: 'source language (en, deu, de_DE, deu_Latn); picks the pair from a JSONL {"translation": {...}} and is checked against codes the data names' },
  'target-lang': { type: 'string', arg: 'CODE', help: 'target language, as --source-lang' },
};

/** The parallel input the flags name: --source/--target, else FILE with --pair FILE2 (two files), else FILE alone. */
export function parallelInputFromFlags(values: OptionValues, file: string | undefined): ParallelInput | undefined {
  const source = values.source as string | undefined;
  const target = values.target as string | undefined;
  if (source !== undefined || target !== undefined) {
    if (source === undefined || target === undefined) throw new XlmError('cli-bad-flag', `--${source === undefined ? 'source' : 'target'} is missing: two-file parallel text needs both --source FILE and --target FILE`, { what: source === undefined ? '--source' : '--target' });
    if (file !== undefined) throw new XlmError('cli-bad-flag', `give either a FILE or --source and --target, not both (got ${file})`, { what: '--source' });
    return { source, target };
  }
  if (file === undefined) return undefined;
  const pair = values.pair as string | undefined;
  return pair !== undefined ? { source: file, target: pair } : { file };
}

/** --source-lang and --target-lang, as the parallel reader's options. */
export function languagePairFromFlags(values: OptionValues): { sourceLang?: string; targetLang?: string } {
  const out: { sourceLang?: string; targetLang?: string } = {};
  for (const [flag, key] of [['source-lang', 'sourceLang'], ['target-lang', 'targetLang']] as const) {
    const code = values[flag];
    if (typeof code !== 'string') continue;
    const problem = languageCodeProblem(code);
    if (problem) throw new XlmError('cli-bad-flag', `--${flag}: ${problem}`, { what: `--${flag}` });
    out[key] = code;
  }
  return out;
}
