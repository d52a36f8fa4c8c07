/**
 * CSV and TSV through csv-parse, with exact line numbers and recovery after a bad row.
 *
 * csv-parse alone stops at the first malformed quote (or, when told to skip, resumes mid-row and swallows the
 * rows after it), and its line counts drift on CRLF files. So records are framed here first: a small quote
 * scanner decides where each record ends (a newline outside quotes), which lines it spans, and whether its
 * quotes are well formed. Well-formed records go to csv-parse in one call per chunk for their fields; a
 * malformed one becomes an error at the line and column of the bad quote, and reading resumes at the next
 * line, so no good row after it is lost. A quote that never closes is reported at its opening line, and the
 * lines it swallowed are read again as records of their own.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { XlmError, field, reasonNaming, said, type Said } from '../errors.js';
import { isBlank } from './jsonl.js';
import { readLineBatches, type LineReaderOptions, type TextLine } from './lines.js';
import type { FieldPlace, RawRecord, RecordItem, RecordProblem } from './record.js';

export interface DelimitedOptions extends LineReaderOptions {
  delimiter: ',' | '\t';
  /** Whether `"` quotes fields (RFC 4180); off for files such as XNLI's TSV where quotes are plain text. */
  quote: boolean;
  /** Whether the first record names the columns; detected with `knownColumns` when absent. */
  header?: boolean;
  /** Lower-case column names that mark a first record as a header (two language codes do too: `en<TAB>de`). */
  knownColumns: ReadonlySet<string>;
}

const LANGUAGE_CODE = /^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$/;

/**
 * A quoted field may run over at most this many lines before its quote counts as never closed. It also bounds
 * the work a stray quote costs: the lines it swallowed are read again once.
 */
export const MAX_RECORD_LINES = 1_000;

const START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_SEEN = 3;
const QUOTE_CHAR = 0x22;

interface FramedRecord {
  firstLine: number;
  lastLine: number;
  lastLineLength: number;
  text: string;
}
/** The framer's output, in file order: a well-formed record, or a row already known to be bad. */
type Framed = FramedRecord | RecordProblem;

export async function* readDelimited(path: string, options: DelimitedOptions): AsyncGenerator<RecordItem[]> {
  const file = options.displayName ?? path;
  const framer = new RecordFramer(file, options);
  const delimiterName = options.delimiter === '\t' ? 'tab' : 'comma';
  let names: string[] | null = null;

  const toItems = (framedOrBad: Framed[], out: RecordItem[]): void => {
    const records = framedOrBad.filter((r): r is FramedRecord => !('kind' in r));
    const parsed = parseFramed(records, options);
    let next = 0;
    for (const entry of framedOrBad) {
      if ('kind' in entry) {
        out.push(entry);
        continue;
      }
      const { record, fields, error } = parsed[next++];
      if (error !== undefined) {
        out.push({ kind: 'error', error: { file, line: record.firstLine, code: 'csv-syntax', reason: error } });
        continue;
      }
      if (names === null) {
        const cells = fields.map((f) => f.trim());
        const looksLikeHeader =
          cells.some((c) => options.knownColumns.has(c.toLowerCase())) || (cells.length === 2 && cells.every((c) => LANGUAGE_CODE.test(c)));
        if (options.header ?? looksLikeHeader) {
          names = fields.map((f) => f.trim());
          // Two columns of one name: a row would keep only the last one's value, silently.
          // Empty names (a spreadsheet's trailing separators) are no names; a column is named exactly.
          const twice = names.findIndex((n, i) => n !== '' && names!.indexOf(n) !== i);
          if (twice >= 0) {
            const first = names.indexOf(names[twice]!);
            throw new XlmError('data/duplicate-column', `the header names the column '${names[twice]}' twice (columns ${first + 1} and ${twice + 1}); give each column its own name`, { file, line: record.firstLine });
          }
          continue;
        }
        names = fields.map((_, i) => `column${i + 1}`);
      }
      const header = names;
      const places = (): FieldPlace[] => fieldPlaces(record.text, record.firstLine, options.delimiter.charCodeAt(0), options.quote);
      if (fields.length !== header.length) {
        const extra = fields.length > header.length;
        const place = extra ? places()[header.length] : { line: record.lastLine, column: record.lastLineLength + 1 };
        const detail = extra
          ? `the first extra field starts here; is there an unquoted ${delimiterName} inside a field?`
          : `missing: ${header.slice(fields.length).join(', ')}`;
        out.push({
          kind: 'error',
          error: {
            file,
            line: place.line,
            column: place.column,
            code: 'wrong-column-count',
            reason: `${fields.length} fields where the header has ${header.length} (${header.join(', ')}); ${detail}`,
          },
        });
        continue;
      }
      const named: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) named[header[i]] = fields[i];
      const item: RawRecord = {
        kind: 'record',
        source: { file, line: record.firstLine },
        fields: named,
        locate: (field) => {
          const index = header.indexOf(field);
          return index === -1 ? undefined : places()[index];
        },
      };
      out.push(item);
    }
  };

  for await (const batch of readLineBatches(path, options)) {
    const framed: Framed[] = [];
    for (const line of batch) framer.feed(line, framed);
    const out: RecordItem[] = [];
    toItems(framed, out);
    if (out.length > 0) yield out;
  }
  const framed: Framed[] = [];
  framer.end(framed);
  const out: RecordItem[] = [];
  toItems(framed, out);
  if (out.length > 0) yield out;
}

/**
 * Fields of well-formed records: one csv-parse call for the whole chunk; if its record count disagrees with
 * the framing (it should not), each record is parsed alone so the disagreement is pinned to one row.
 */
function parseFramed(framed: FramedRecord[], options: DelimitedOptions): { record: FramedRecord; fields: string[]; error?: string }[] {
  if (framed.length === 0) return [];
  const parseOptions = {
    delimiter: options.delimiter,
    quote: options.quote ? '"' : false,
    relax_quotes: true,
    relax_column_count: true,
    record_delimiter: '\n',
    skip_empty_lines: false,
    bom: false,
  } as const;
  try {
    const rows = parseCsv(framed.map((r) => r.text).join('\n'), parseOptions) as string[][];
    if (rows.length === framed.length) return framed.map((record, i) => ({ record, fields: rows[i] }));
  } catch {
    // fall through to one record at a time
  }
  return framed.map((record) => {
    try {
      const rows = parseCsv(record.text, parseOptions) as string[][];
      if (rows.length === 1) return { record, fields: rows[0] };
      return { record, fields: [], error: `csv-parse read ${rows.length} records here, expected 1` };
    } catch (e) {
      return { record, fields: [], error: `csv-parse: ${(e as Error).message}` };
    }
  });
}

/** Groups lines into records by tracking quotes across lines. */
class RecordFramer {
  private lines: TextLine[] = [];
  private state = START;
  private openQuote: FieldPlace | null = null;
  private badQuote: FieldPlace | null = null;
  /** The quote left open at the end of the record's first line: where a multi-line record began. */
  private spanOpen: FieldPlace | null = null;
  private chars = 0;
  private readonly delimiter: number;
  private readonly maxChars: number;

  constructor(
    private readonly file: string,
    private readonly options: DelimitedOptions,
  ) {
    this.delimiter = options.delimiter.charCodeAt(0);
    this.maxChars = options.maxLineBytes ?? 4 * 1024 * 1024;
  }

  private readonly work: TextLine[] = [];

  feed(line: TextLine, out: Framed[]): void {
    // `work` only fills when an unclosed quote hands lines back to be read again.
    this.step(line, out, this.work);
    while (this.work.length > 0) this.step(this.work.shift()!, out, this.work);
  }

  end(out: Framed[]): void {
    const work: TextLine[] = [];
    if (this.lines.length > 0) this.unclosed(out, work);
    while (work.length > 0) {
      this.step(work.shift()!, out, work);
      if (work.length === 0 && this.lines.length > 0) this.unclosed(out, work);
    }
  }

  private step(line: TextLine, out: Framed[], work: TextLine[]): void {
    if (this.lines.length === 0 && !line.problem && isBlank(line.text)) return;
    this.lines.push(line);
    this.chars += line.text.length;
    if (this.options.quote) this.scan(line);
    if (this.state === QUOTED) {
      if (this.lines.length === 1) this.spanOpen = this.openQuote;
      if (this.lines.length >= MAX_RECORD_LINES || this.chars > this.maxChars) this.unclosed(out, work);
      return;
    }
    this.emit(out, work);
  }

  /** Advances the quote state over one line; remembers the first malformed closing quote. */
  private scan({ text, line }: TextLine): void {
    let state = this.state;
    if (state === START && text.indexOf('"') === -1) return;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (state === START) {
        if (c === QUOTE_CHAR) {
          state = QUOTED;
          this.openQuote = { line, column: i + 1 };
        } else if (c !== this.delimiter) state = UNQUOTED;
      } else if (state === UNQUOTED) {
        if (c === this.delimiter) state = START;
      } else if (state === QUOTED) {
        if (c === QUOTE_CHAR) state = QUOTE_SEEN;
      } else if (c === QUOTE_CHAR) state = QUOTED;
      else if (c === this.delimiter) state = START;
      else {
        this.badQuote ??= { line, column: i + 1 };
        state = UNQUOTED;
      }
    }
    this.state = state === QUOTED ? QUOTED : START;
  }

  private emit(out: Framed[], work: TextLine[]): void {
    const lines = this.lines;
    const problem = lines.find((l) => l.problem)?.problem;
    if (problem) out.push({ kind: 'error', error: problem });
    else if (this.badQuote && lines.length > 1) {
      // A quote opened on the first line closed lines later, wrongly: most likely a stray quote. Blame the
      // first line and read the lines it swallowed again, so their rows are not lost with it.
      const open = this.spanOpen ?? { line: lines[0].line, column: 1 };
      const bad = this.badQuote;
      out.push({
        kind: 'error',
        error: {
          file: this.file,
          line: open.line,
          column: open.column,
          code: 'csv-syntax',
          ...reasonNaming(said`the quote opened here closes at line ${bad.line} column ${bad.column - 1} and text follows it there; a stray quote?${this.quoteHint()}`),
        },
      });
      const rest = lines.slice(1);
      this.reset();
      work.unshift(...rest);
      return;
    } else if (this.badQuote) {
      out.push({
        kind: 'error',
        error: {
          file: this.file,
          line: this.badQuote.line,
          column: this.badQuote.column,
          code: 'csv-syntax',
          ...reasonNaming(said`text after the closing quote of a quoted field (write a quote inside a quoted field as "")${this.quoteHint()}`),
        },
      });
    } else {
      const last = lines[lines.length - 1];
      out.push({
        firstLine: lines[0].line,
        lastLine: last.line,
        lastLineLength: last.text.length,
        text: lines.length === 1 ? last.text : lines.map((l) => l.text).join('\n'),
      });
    }
    this.reset();
  }

  /** For TSV, where quotes are often plain text: how to read them so. */
  private quoteHint(): Said | string {
    return this.options.delimiter === '\t' ? said`; if quotes are plain text in this file, read it with quote handling off (${field('quote')})` : '';
  }

  /** The open quote never closed: report it and read the lines after its own as fresh records. */
  private unclosed(out: Framed[], work: TextLine[]): void {
    const [first, ...rest] = this.lines;
    const open = this.spanOpen ?? this.openQuote ?? { line: first.line, column: 1 };
    const why = rest.length + 1 >= MAX_RECORD_LINES ? ` within ${MAX_RECORD_LINES} lines` : this.chars > this.maxChars ? ` within ${this.maxChars} characters` : ' before the end of the file';
    out.push({
      kind: 'error',
      error: { file: this.file, line: open.line, column: open.column, code: 'csv-syntax', reason: `the quote opened here is not closed${why}${this.quoteHint()}` },
    });
    this.reset();
    work.unshift(...rest);
  }

  private reset(): void {
    this.lines = [];
    this.state = START;
    this.openQuote = null;
    this.badQuote = null;
    this.spanOpen = null;
    this.chars = 0;
  }
}

/** Where each field of a record starts (line and 1-based column), by the same quote rules as the framer. */
export function fieldPlaces(text: string, firstLine: number, delimiter: number, quote: boolean): FieldPlace[] {
  const places: FieldPlace[] = [{ line: firstLine, column: 1 }];
  let line = firstLine;
  let column = 1;
  let state = START;
  for (let i = 0; i < text.length; i++, column++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      column = 0;
      continue;
    }
    const atDelimiter = c === delimiter && state !== QUOTED;
    if (atDelimiter) {
      places.push({ line, column: column + 1 });
      state = START;
    } else if (!quote) state = UNQUOTED;
    else if (state === START) state = c === QUOTE_CHAR ? QUOTED : UNQUOTED;
    else if (state === QUOTED && c === QUOTE_CHAR) state = QUOTE_SEEN;
    else if (state === QUOTE_SEEN) state = c === QUOTE_CHAR ? QUOTED : UNQUOTED;
  }
  return places;
}
