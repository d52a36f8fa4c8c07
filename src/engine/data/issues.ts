/**
 * Collects the problems of one pass over a file and applies the error policy. Readers never throw for a bad
 * row: they hand the row's DataError here and go on, so every good row is still read. Under 'stop' the
 * collector throws once it holds `maxErrors` errors (or at the end of the file if it holds any), listing them;
 * under 'skip' the pass finishes and the errors stay in the report.
 */
import { XlmError, field, joinSaid, said, type NameOption, type Said } from '../errors.js';
import type { DataError, ReadOptions, ReadReport } from './types.js';

export const DEFAULT_MAX_ERRORS = 10;
export const DEFAULT_MAX_REPORTED = 1000;

/**
 * Thrown under onError 'stop': an XlmError whose message lists the collected rows, which it also carries. Its place
 * is the first bad row (where an editor opens the file), but its one-line form names the file alone: each listed
 * row says its own line and column, so the header does not repeat the first one's.
 */
export class DataErrorsError extends XlmError {
  readonly errors: readonly DataError[];
  readonly errorCount: number;

  constructor(errors: readonly DataError[], errorCount: number, stoppedEarly: boolean, labelsFrom?: 'model') {
    const first = errors[0];
    // Each row's reason keeps its option names, so the CLI says its flags and the protocol its params.
    const listed = joinSaid(errors.map((e) => said`  ${e.file}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}: ${e.said ?? e.reason}`), '\n');
    const more = errorCount > errors.length ? `\n  ... and ${errorCount - errors.length} more` : '';
    const when = stoppedEarly ? `stopped after the first ${errors.length} bad rows` : `${errorCount} bad row${errorCount === 1 ? '' : 's'}`;
    // Rows that all name labels the model lacks point at the model (or file) chosen, not at the rows.
    const advice = labelsFrom === 'model' && errors.every((e) => e.code === 'unknown-label')
      ? said`Each of these rows has a label the model does not have: is this the model trained for this file? Use a model trained on these labels, or fine-tune one on this file (${field('onError')} 'skip' leaves such rows out).`
      : said`Fix these rows, or pass ${field('onError')} 'skip' to leave bad rows out and keep the rest.`;
    super(
      'data/bad-rows',
      said`${when}:\n${listed}${more}\n${advice}`,
      { file: first.file, line: first.line, column: first.column },
    );
    this.name = 'DataErrorsError';
    this.errors = errors;
    this.errorCount = errorCount;
  }

  override toString(): string {
    return `${this.place.file}: ${this.message}`;
  }

  override describeNaming(name: NameOption): string {
    return `${this.place.file}: ${this.messageNaming(name)}`;
  }
}

export class IssueCollector {
  readonly errors: DataError[] = [];
  readonly warnings: DataError[] = [];
  errorCount = 0;
  warningCount = 0;
  private readonly policy: 'stop' | 'skip';
  private readonly maxErrors: number;
  private readonly maxReported: number;
  private readonly onIssue?: ReadOptions['onIssue'];
  private readonly labelsFrom?: 'model';

  constructor(options: ReadOptions) {
    this.policy = options.onError ?? 'stop';
    this.maxErrors = Math.max(1, options.maxErrors ?? DEFAULT_MAX_ERRORS);
    const reported = Math.max(1, options.maxReported ?? DEFAULT_MAX_REPORTED);
    // Under 'stop' the thrown list needs the first maxErrors, whatever the report keeps.
    this.maxReported = this.policy === 'stop' ? Math.max(this.maxErrors, reported) : reported;
    this.onIssue = options.onIssue;
    this.labelsFrom = options.labelsFrom;
  }

  error(issue: DataError): void {
    this.errorCount++;
    if (this.errors.length < this.maxReported) this.errors.push(issue);
    this.onIssue?.(issue, 'error');
    if (this.policy === 'stop' && this.errorCount >= this.maxErrors) {
      throw new DataErrorsError(this.errors.slice(0, this.maxErrors), this.errorCount, true, this.labelsFrom);
    }
  }

  /** A row dropped on purpose (a '-' gold label): reported, never fatal. */
  warning(issue: DataError): void {
    this.warningCount++;
    if (this.warnings.length < this.maxReported) this.warnings.push(issue);
    this.onIssue?.(issue, 'warning');
  }

  /** At the end of a pass: under 'stop', any error refuses the data. */
  finish(): void {
    if (this.policy === 'stop' && this.errorCount > 0) {
      throw new DataErrorsError(this.errors.slice(0, this.maxErrors), this.errorCount, false, this.labelsFrom);
    }
  }
}

/** The line that says which bad rows onError 'skip' left out of a file (none when nothing was skipped). */
export function skippedRows(report: Pick<ReadReport, 'errorCount' | 'errors' | 'file'>, o: { fileNamed?: boolean } = {}): [] | [Said] {
  const { errorCount, errors, file } = report;
  const first = errors[0];
  if (!errorCount) return [];
  // Where the message's place already names the file (an error), the line says only line and column.
  const named = o.fileNamed === true;
  const at = first ? (named ? `line ${first.line}${first.column !== undefined ? `, column ${first.column}` : ''}` : `${first.file}:${first.line}${first.column !== undefined ? `:${first.column}` : ''}`) : '';
  const where = first ? said`; the first, ${at}: ${first.said ?? first.reason}` : '';
  return [said`${errorCount} bad row${errorCount === 1 ? '' : 's'}${named ? '' : ` of ${file}`} ${errorCount === 1 ? 'was' : 'were'} left out (${field('onError')} 'skip')${where}`];
}
