/**
 * The flags that say how to read a data file, shared by every command that reads one (eval, data inspect):
 * the format, column overrides, the language filter and the error policy, turned into the data layer's
 * ReadOptions.
 */
import type { DataFormat, ReadOptions } from '../data/index.js';
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
  return options;
}

/** `en,de, fr` → ['en', 'de', 'fr']; an empty list is a flag error. */
export function languageList(value: string, flag: string): string[] {
  const list = value.split(',').map((l) => l.trim()).filter(Boolean);
  if (list.length === 0) throw new XlmError('cli-bad-flag', `${flag} is "${value}"; give language codes such as en or en,de`, { what: flag });
  return list;
}
