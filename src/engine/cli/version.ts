/** `xlm version` (and `xlm --version`): the version of XLM Lab that xlm belongs to, package.json's. */
import { version } from '../../../package.json';
import type { CliIo } from './io.js';
import type { CommandSpec } from './command.js';
import { printJson } from './inputs.js';

/** `xlm 0.1.0`, or `{"version": "0.1.0"}` with --json. */
export function printVersion(io: CliIo, json: boolean): void {
  if (json) printJson(io, { version });
  else io.stdout.write(`xlm ${version}\n`);
}

export const versionCommand: CommandSpec = {
  name: 'version',
  summary: 'print the version of XLM Lab (as xlm --version)',
  async run(ctx) {
    printVersion(ctx.io, ctx.values.json === true);
    return 0;
  },
};
