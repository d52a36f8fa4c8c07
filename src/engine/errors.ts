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

/**
 * An option of the engine's requests (TrainOptions' batchSize, ReadOptions' textColumn) named in a message. The
 * engine does not know how a surface spells it: the CLI says its flag (`--batch-size`), the protocol its param
 * (`batchSize`, `learningRate` for the engine's lr). Write it with `field('batchSize')` inside a `said` template.
 */
export class OptionField {
  constructor(readonly name: string) {}
}

export function field(name: string): OptionField {
  return new OptionField(name);
}

/** A message whose option names each surface fills in (see OptionField). */
export interface Said {
  readonly parts: readonly (string | OptionField)[];
}

/** Tagged template: said`${field('lr')} must be positive, got ${lr}` keeps the field for each surface to name (a Said inside keeps its own). */
export function said(strings: TemplateStringsArray, ...values: unknown[]): Said {
  const parts: (string | OptionField)[] = [];
  strings.forEach((s, i) => {
    parts.push(s);
    if (i >= values.length) return;
    const value = values[i];
    if (value instanceof OptionField) parts.push(value);
    else if (isSaid(value)) parts.push(...value.parts);
    else parts.push(String(value));
  });
  return { parts };
}

/** Said messages one after another with `separator` between them. */
export function joinSaid(items: readonly Said[], separator: string): Said {
  return { parts: items.flatMap((item, i) => (i === 0 ? item.parts : [separator, ...item.parts])) };
}

function isSaid(value: unknown): value is Said {
  return typeof value === 'object' && value !== null && Array.isArray((value as Said).parts);
}

/** How a surface names an option: the CLI by its flag, the protocol by its param. */
export type NameOption = (name: string) => string;

export class XlmError extends Error {
  readonly place: ErrorPlace;
  readonly code: string;
  private readonly said: Said | undefined;

  /** A message naming an option is a Said; the plain `message` names it as the engine's option (batchSize). */
  constructor(code: string, message: string | Said, place: ErrorPlace = {}) {
    super(typeof message === 'string' ? message : render(message, (name) => name));
    this.name = 'XlmError';
    this.code = code;
    this.place = place;
    this.said = typeof message === 'string' ? undefined : message;
  }

  /** The message with each option named by `name` (the same as `message` when it names none). */
  messageNaming(name: NameOption): string {
    return this.said ? render(this.said, name) : this.message;
  }

  /** `file:line:column: message` (the parts that are known), the form editors and terminals link. */
  override toString(): string {
    return this.located(this.message);
  }

  /** The place, its `what` named by `name` when it is an option the message names. */
  placeNaming(name: NameOption): ErrorPlace {
    const what = this.place.what;
    const isOption = what !== undefined && this.said?.parts.some((p) => typeof p !== 'string' && p.name === what);
    return isOption ? { ...this.place, what: name(what) } : this.place;
  }

  /** toString() with each option named by `name`. */
  describeNaming(name: NameOption): string {
    return this.located(this.messageNaming(name));
  }

  private located(message: string): string {
    const { file, line, column } = this.place;
    let where = file ?? '';
    if (file && line !== undefined) where += `:${line}`;
    if (file && line !== undefined && column !== undefined) where += `:${column}`;
    return where ? `${where}: ${message}` : message;
  }
}

/** A message as text, each option named by `name` (by default as the engine's option). */
export function render(message: string | Said, name: NameOption = (n) => n): string {
  if (typeof message === 'string') return message;
  return message.parts.map((p) => (typeof p === 'string' ? p : name(p.name))).join('');
}

/** A reason naming an option: the engine's words in `reason`, the option kept in `said` for each surface to name. */
export function reasonNaming(message: Said): { reason: string; said: Said } {
  return { reason: render(message), said: message };
}

export function isXlmError(e: unknown): e is XlmError {
  return e instanceof XlmError;
}

/** One line for a user: XlmError as located text (options named by `name`, else as the engine's), anything else as its message. */
export function describeError(e: unknown, name?: NameOption): string {
  if (e instanceof XlmError) return name ? e.describeNaming(name) : e.toString();
  if (e instanceof Error) return e.message;
  return String(e);
}
