/**
 * `xlm`, the engine behind a terminal: `xlm COMMAND [flags] [args]`. Flags are parsed by parse-flags.ts (node:util's
 * parseArgs) from the command's table entry (commands.ts) plus the global ones below. A word that only begins
 * commands (`xlm data`) lists them.
 *
 * A user error (XlmError, a bad flag) prints one line, `xlm: FILE:LINE: message`, and exits 1; the stack
 * only with --debug.
 */
import { XlmError, describeError, isXlmError } from '../errors.js';
import { ioError } from '../io-errors.js';
import { DEVICE_CHOICES, type DeviceChoice } from '../runtime/devices.js';
import { ModelCache } from '../runtime/model-cache.js';
import { INFERENCE_DTYPES, type InferenceDtype } from '../rpc/protocol.js';
import type { CommandSpec, OptionSpec } from './command.js';
import { COMMANDS } from './commands.js';
import { resolveDefaultModel } from './pretrain.js';
import { TINY_MODEL_NOTE, flagNumber, positiveInt } from './inputs.js';
import { CancelledError } from '../runtime/inputs.js';
import { EXIT_CANCELLED, EXIT_OK, EXIT_USER_ERROR, printableIo, processIo, type CliIo } from './io.js';
import { flagOf } from './option-flags.js';
import { nearestFlag, parseFlags } from './parse-flags.js';
import { printVersion } from './version.js';

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'print machine-readable JSON' },
  threads: { type: 'string', arg: 'N', help: 'onnxruntime intra-op threads (default: one per core)' },
  debug: { type: 'boolean', help: 'print stack traces of errors' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
  version: { type: 'boolean', help: 'print the version of XLM Lab' },
};

/** The command whose words begin `args` (longest match, so 'export onnx' wins over a one-word 'export'). */
function findCommand(commands: readonly CommandSpec[], args: string[]): { command: CommandSpec; rest: string[] } | undefined {
  let best: { command: CommandSpec; rest: string[] } | undefined;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((w, i) => args[i] === w) && (!best || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: args.slice(words.length) };
    }
  }
  return best;
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    return `  ${flag.padEnd(26)} ${o.help}${o.default !== undefined ? ` (default ${o.default})` : ''}`;
  });
}

export function generalHelp(commands: readonly CommandSpec[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'xlm: XLM Lab on the command line (XLM-R family models from Hugging Face folders)',
    '',
    'usage: xlm COMMAND [flags] [args]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global flags:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    ...TINY_MODEL_NOTE,
    '',
    'xlm COMMAND --help shows the flags of a command.',
  ].join('\n') + '\n';
}

/** The commands whose names go on from `group`'s words ('data' → data inspect, data audit; 'score' → score bleu, ...). */
function groupMembers(commands: readonly CommandSpec[], group: string | undefined): CommandSpec[] {
  if (group === undefined || group.startsWith('-')) return [];
  return commands.filter((c) => c.name.startsWith(`${group} `));
}

/** `xlm data`: the commands of the group, as `xlm --help` lists all of them. */
export function groupHelp(group: string, members: readonly CommandSpec[]): string {
  const width = Math.max(...members.map((c) => c.name.length));
  return [
    `usage: xlm ${group} NAME [flags] [args]`,
    '',
    `${group} commands:`,
    ...members.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `xlm ${group} NAME --help shows the flags of a command.`,
  ].join('\n') + '\n';
}

export function commandHelp(command: CommandSpec): string {
  return [
    `xlm ${command.name}: ${command.summary}`,
    '',
    `usage: xlm ${command.name} [flags]${command.args ? ` ${command.args}` : ''}`,
    '',
    'flags:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    ...(command.details ? ['', ...command.details] : []),
    ...(command.options?.model ? ['', ...TINY_MODEL_NOTE] : []),
  ].join('\n') + '\n';
}

/** Runs one command line; resolves to the exit code. Tests call this with their own io. */
export async function runCli(argv: string[], rawIo: CliIo = processIo(), commands: readonly CommandSpec[] = COMMANDS): Promise<number> {
  // Whatever a command prints may carry text from data files, the Hub or a model folder: no control characters.
  const io = printableIo(rawIo);
  const debug = argv.includes('--debug');
  let cache: ModelCache | undefined;
  // Ctrl-C as a signal, made for the first command that asks (cancelSignal in command.ts).
  let interrupt: AbortController | undefined;
  const onSigint = (): void => interrupt?.abort();
  const cancelSignal = (): AbortSignal => {
    if (io.signal) return io.signal;
    if (!interrupt) {
      interrupt = new AbortController();
      process.once('SIGINT', onSigint);
    }
    return interrupt.signal;
  };
  try {
    const found = findCommand(commands, argv);
    if (!found) {
      const asksHelp = argv.includes('--help') || argv.includes('-h');
      // `xlm data`, `xlm hub`, `xlm export`: words that begin commands but are none; their commands are listed.
      const members = groupMembers(commands, argv[0]);
      if (members.length) {
        const group = argv[0];
        const names = members.map((c) => c.name.slice(group.length + 1));
        const word = argv[1];
        if (word !== undefined && !word.startsWith('-')) {
          throw new XlmError('cli-unknown-command', `no ${group} command "${word}"; ${group} commands: ${names.join(', ')} (xlm ${group} NAME --help)`);
        }
        io.stdout.write(groupHelp(group, members));
        return asksHelp ? EXIT_OK : EXIT_USER_ERROR;
      }
      if (argv.includes('--version') && !leadingWords(argv).length) {
        printVersion(io, argv.includes('--json'));
        return EXIT_OK;
      }
      if (!argv.length || asksHelp) {
        io.stdout.write(generalHelp(commands));
        return argv.length ? EXIT_OK : EXIT_USER_ERROR;
      }
      // The first word is the command; the words after it are its arguments ("xlm fil-mask TEXT").
      const word = argv[0]!;
      const near = word.startsWith('-') ? undefined : nearestFlag(word, commands.map((c) => c.name));
      if (near) throw new XlmError('cli-unknown-command', `unknown command "${word}"; did you mean ${near}? (xlm ${near} --help)`);
      throw new XlmError('cli-unknown-command', `unknown command "${word}"; commands: ${commands.map((c) => c.name).join(', ')} (xlm --help)`);
    }
    const { command, rest } = found;
    const options = { ...command.options, ...GLOBAL_OPTIONS };
    // `xlm score blue --hyp h.txt`: a word after a command that heads others (`score bleu`, ...) names one that does not
    // exist (findCommand found none), and `xlm score --hyp h.txt` names none; the flags were meant for that one, so
    // the command is given the word alone (or --help), to say that it has no such subcommand or to list them.
    const heads = groupMembers(commands, command.name).length > 0;
    const args = !heads ? rest : rest[0] !== undefined && !rest[0].startsWith('-') ? rest.slice(0, 1) : rest.filter((a) => a === '--help' || a === '-h');
    const parsed = parseFlags(command.name, options, args);
    if (parsed.values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT_OK;
    }
    if (parsed.values.version) {
      printVersion(io, parsed.values.json === true);
      return EXIT_OK;
    }
    const threads = parsed.values.threads === undefined ? 0 : flagNumber(parsed.values.threads);
    if (!Number.isInteger(threads) || threads < 0) throw new XlmError('cli-bad-flag', `--threads is "${String(parsed.values.threads)}"; expected a whole number (0 = one per core)`, { what: '--threads' });
    // --device on the inference commands (DEVICE_OPTION); `xlm train` reads its own for the training graphs.
    const deviceFlag = command.name === 'train' ? undefined : parsed.values.device;
    if (deviceFlag !== undefined && !DEVICE_CHOICES.includes(deviceFlag as DeviceChoice)) {
      throw new XlmError('cli-bad-flag', `--device is "${String(deviceFlag)}"; expected one of ${DEVICE_CHOICES.join(', ')}`, { what: '--device' });
    }
    const device = deviceFlag as DeviceChoice | undefined;
    // --dtype on the commands that take it (the inference commands' DTYPE_OPTION, export onnx).
    const dtypeFlag = command.options?.dtype ? parsed.values.dtype : undefined;
    if (dtypeFlag !== undefined && !INFERENCE_DTYPES.includes(dtypeFlag as InferenceDtype)) {
      throw new XlmError('cli-bad-flag', `--dtype is "${String(dtypeFlag)}"; expected one of ${INFERENCE_DTYPES.join(', ')}`, { what: '--dtype' });
    }
    const dtype = dtypeFlag as InferenceDtype | undefined;
    // --model default, or no --model and no $XLM_MODEL: the embedded default model, built on first need.
    if (command.options?.model) await resolveDefaultModel(parsed.values, io);
    return await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      io,
      models: () => (cache ??= new ModelCache({ threads, device, dtype, onNotice: (line) => io.stderr.write(`xlm: ${line}\n`) })),
      threads,
      cancelSignal,
      int: (flag) => {
        const fallback = options[flag]?.default;
        if (fallback === undefined) throw new Error(`xlm ${command.name} has no default for --${flag}`);
        return positiveInt(parsed.values[flag], `--${flag}`, fallback);
      },
    });
  } catch (thrown) {
    // A full disk or a read-only --out is the user's to fix: it gets a message naming the file, not "a bug".
    const e = ioError(thrown);
    // A command stopped by Ctrl-C (its cancelSignal) says so and exits as an interrupted process does.
    if (interrupt?.signal.aborted || (isXlmError(e) && e.code === 'cancelled') || e instanceof CancelledError) {
      io.stderr.write(`xlm: ${isXlmError(e) ? describeError(e, flagOf) : 'cancelled'}\n`);
      return EXIT_CANCELLED;
    }
    io.stderr.write(`xlm: ${describeError(e, flagOf)}\n`);
    if (debug && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    else if (!isXlmError(e)) io.stderr.write('xlm: this looks like a bug in XLM Lab; run again with --debug for the stack trace\n');
    return EXIT_USER_ERROR;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await cache?.closeAll();
  }
}

/** The words before the first flag: the command's name and possibly its positional arguments. */
function leadingWords(argv: string[]): string[] {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  return words;
}
