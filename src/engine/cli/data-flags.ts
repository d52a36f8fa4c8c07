/**
 * The flags that say how to read a data file, shared by every command that reads one (train, eval, data inspect):
 * the format, column overrides, the language filter and the error policy, turned into the data layer's
 * ReadOptions.
 */
import { DEFAULT_MAX_LINE_BYTES, TAG_SCHEMES, type DataFormat, type ReadOptions, type TagScheme } from '../data/index.js';
import { XlmError } from '../errors.js';
import type { OptionSpec, OptionValues } from './command.js';
import { positiveInt } from './inputs.js';

const FORMATS: readonly DataFormat[] = ['jsonl', 'csv', 'tsv', 'xnli', 'conll', 'text', 'parallel'];

export const DATA_READ_OPTIONS: Record<string, OptionSpec> = {
  format: { type: 'string', arg: 'FMT', help: `${FORMATS.join(' | ')} (default: detected from the name and content)` },
  'text-column': { type: 'string', arg: 'NAME', help: 'column holding the text (default: detected: text, sentence, premise, sentence1, ...)' },
  'pair-column': { type: 'string', arg: 'NAME', help: 'column holding the second text (hypothesis, sentence2, ...)' },
  'label-column': { type: 'string', arg: 'NAME', help: 'column holding the label (label, gold_label, ...)' },
  'language-column': { type: 'string', arg: 'NAME', help: 'column holding the language code (lang, language, ...)' },
  'tokens-column': { type: 'string', arg: 'NAME', help: 'NER: column holding the list of words' },
  'tags-column': { type: 'string', arg: 'NAME', help: 'NER: column holding the list of tags' },
  language: { type: 'string', arg: 'CODE', help: 'language of every row, for files without a language column' },
  'only-language': { type: 'string', arg: 'LIST', help: 'keep only rows in these languages (comma-separated codes)' },
  'on-error': { type: 'string', arg: 'stop|skip', help: 'stop: refuse the file when it has bad rows (default); skip: leave them out and report them' },
  'max-errors': { type: 'string', arg: 'N', help: 'with --on-error stop, list up to N bad rows before stopping (default 10)' },
  'tag-scheme': { type: 'string', arg: 'SCHEME', help: `NER tags: ${TAG_SCHEMES.join(' | ')}, converted to IOB2 (default: detected from the tags; iob1 is the original CoNLL-2003 release)` },
  'max-line-bytes': { type: 'string', arg: 'N', help: `a line longer than N bytes is a bad row, refused without being held in memory (default ${DEFAULT_MAX_LINE_BYTES})` },
  quote: { type: 'boolean', help: 'CSV/TSV: read "..." as RFC 4180 quoting (default: CSV yes; TSV when its first 64 KiB shows quoted fields)' },
  'no-quote': { type: 'boolean', help: 'CSV/TSV: quotes are plain text' },
};

export function readOptionsFromFlags(values: OptionValues): ReadOptions {
  const text = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const options: ReadOptions = {};
  const format = text('format');
  if (format !== undefined) {
    if (!FORMATS.includes(format as DataFormat)) throw new XlmError('cli-bad-flag', `--format is "${format}"; expected one of ${FORMATS.join(', ')}`, { what: '--format' });
    options.format = format as DataFormat;
  }
  const columns: [string, keyof ReadOptions][] = [
    ['text-column', 'textColumn'], ['pair-column', 'pairColumn'], ['label-column', 'labelColumn'],
    ['language-column', 'languageColumn'], ['tokens-column', 'tokensColumn'], ['tags-column', 'tagsColumn'],
  ];
  for (const [flag, key] of columns) {
    const v = text(flag);
    if (v !== undefined) (options as Record<string, unknown>)[key] = v;
  }
  const language = text('language');
  if (language !== undefined) options.language = language;
  const only = text('only-language');
  if (only !== undefined) options.onlyLanguages = languageList(only, '--only-language');
  const onError = text('on-error');
  if (onError !== undefined) {
    if (onError !== 'stop' && onError !== 'skip') throw new XlmError('cli-bad-flag', `--on-error is "${onError}"; expected stop or skip`, { what: '--on-error' });
    options.onError = onError;
  }
  if (values['max-errors'] !== undefined) options.maxErrors = positiveInt(values['max-errors'], '--max-errors', 10);
  const scheme = text('tag-scheme');
  if (scheme !== undefined) {
    if (!TAG_SCHEMES.includes(scheme as TagScheme)) throw new XlmError('cli-bad-flag', `--tag-scheme is "${scheme}"; expected one of ${TAG_SCHEMES.join(', ')}`, { what: '--tag-scheme' });
    options.tagScheme = scheme as TagScheme;
  }
  if (values['max-line-bytes'] !== undefined) options.maxLineBytes = positiveInt(values['max-line-bytes'], '--max-line-bytes', DEFAULT_MAX_LINE_BYTES);
  if (values.quote === true && values['no-quote'] === true) throw new XlmError('cli-bad-flag', '--quote and --no-quote contradict each other; give one', { what: '--quote' });
  if (values.quote === true) options.quote = true;
  if (values['no-quote'] === true) options.quote = false;
  return options;
}

/** `en,de, fr` → ['en', 'de', 'fr']; an empty list is a flag error. */
export function languageList(value: string, flag: string): string[] {
  const list = value.split(',').map((l) => l.trim()).filter(Boolean);
  if (list.length === 0) throw new XlmError('cli-bad-flag', `${flag} is "${value}"; give language codes such as en or en,de`, { what: flag });
  return list;
}
