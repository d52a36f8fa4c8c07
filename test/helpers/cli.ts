/** Runs the `xlm` CLI in-process with captured output, as a terminal user would see it. */
import { Readable } from 'node:stream';
import { runCli } from '../../src/engine/cli/main.js';
import type { CliIo } from '../../src/engine/cli/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `onStderr` sees each write to stderr as it is made (a test that presses Ctrl-C at a given line); `tty` makes
 * stdout a terminal, as when a person runs xlm.
 */
export async function runXlm(argv: string[], opts: { env?: Record<string, string>; stdin?: string; onStderr?: (text: string) => void; tty?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const stdin = opts.stdin === undefined ? undefined : Object.assign(Readable.from([opts.stdin]), { isTTY: false });
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t), isTTY: opts.tty ?? false },
    stderr: {
      write: (t: string) => {
        stderr += t;
        opts.onStderr?.(t);
      },
    },
    stdin,
    env: opts.env ?? {},
    now: Date.now,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
