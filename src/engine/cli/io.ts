/**
 * Where a CLI command reads and writes, so tests run commands in-process with their own streams.
 */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface InputStream extends AsyncIterable<string | Buffer> {
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Text lines come from here when a command gets no text arguments; absent means none. */
  stdin?: InputStream;
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** Cancels a long command; without one, Ctrl-C cancels where a command supports it. */
  signal?: AbortSignal;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: Date.now };
}

/**
 * Control characters that a terminal would act on instead of showing: C0 (but tab and line feed), DEL, C1 (U+009B
 * is a CSI too), and the bidirectional overrides that reorder what is shown. Data files, Hub responses and model
 * configs put arbitrary text into what the CLI prints, so every write is passed through `printable`.
 */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The only terminal control the CLI draws itself: a progress line redrawn from the start (`\r`, erase to the end). */
const REDRAW = /^\r(?:\x1b\[K)?/;

/** `text` with control characters written out (`\x1b`, `\u202e`), so printing data cannot drive the terminal. */
export function printable(text: string): string {
  const redraw = REDRAW.exec(text)?.[0] ?? '';
  const rest = text.slice(redraw.length);
  // \uXXXX, the one escape that reads the same in text and in JSON: inside a --json string it decodes back to the
  // very character (JSON.stringify writes C0 so already, but leaves DEL, C1 and bidi controls raw).
  const escaped = rest.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return redraw + escaped;
}

function printableStream(stream: OutputStream): OutputStream {
  return {
    write: (text: string) => stream.write(printable(text)),
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
  };
}

/** The same io, every write made printable (see `printable`). */
export function printableIo(io: CliIo): CliIo {
  return { ...io, stdout: printableStream(io.stdout), stderr: printableStream(io.stderr) };
}

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_CANCELLED = 130;
