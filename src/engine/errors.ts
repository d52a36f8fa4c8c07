/**
 * The one error type the engine raises for problems a user can fix (bad files, bad flags, bad rows).
 * It carries where the problem is (file, line, column, tensor) so every surface (CLI, RPC, extension)
 * prints the same one-line message. Anything else thrown is a bug and is reported with its stack.
 */
export interface ErrorPlace {
  file?: string;
  line?: number;
  column?: number;
  /** A tensor name, a JSON key, a column name: whatever inside the file is wrong. */
  what?: string;
}

export class XlmError extends Error {
  readonly place: ErrorPlace;
  readonly code: string;

  constructor(code: string, message: string, place: ErrorPlace = {}) {
    super(message);
    this.name = 'XlmError';
    this.code = code;
    this.place = place;
  }

  /** `file:line:column: message` (the parts that are known), the form editors and terminals link. */
  override toString(): string {
    const { file, line, column } = this.place;
    let where = file ?? '';
    if (file && line !== undefined) where += `:${line}`;
    if (file && line !== undefined && column !== undefined) where += `:${column}`;
    return where ? `${where}: ${this.message}` : this.message;
  }
}

export function isXlmError(e: unknown): e is XlmError {
  return e instanceof XlmError;
}

/** One line for a user: XlmError as located text, anything else as its message. */
export function describeError(e: unknown): string {
  if (e instanceof XlmError) return e.toString();
  if (e instanceof Error) return e.message;
  return String(e);
}
