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

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_CANCELLED = 130;
