/**
 * What a CLI command is: its words, its flags with their help, and a function from parsed flags to an
 * exit code. main.ts knows commands only through the table in commands.ts.
 */
import type { ModelCache } from '../runtime/model-cache.js';
import type { CliIo } from './io.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given more than once (values collect in an array). */
  multiple?: boolean;
  short?: string;
  /** Placeholder in the help text (`--top-k N`). */
  arg?: string;
  help: string;
  /** A whole-number flag's value when it is not given: the help says it, and ctx.int reads it. */
  default?: number;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  values: OptionValues;
  /** Arguments after the command's words. */
  positionals: string[];
  io: CliIo;
  /** The engine's model cache, made on first use with the --threads setting. */
  models(): ModelCache;
  /** --threads, checked once for every command: onnxruntime's intra-op threads, 0 = one per core. */
  threads: number;
  /**
   * Aborts on Ctrl-C (or with the io's own signal, as tests give). Only a command that calls this takes Ctrl-C from
   * Node, which otherwise ends the process at once; the handler goes when the command returns.
   */
  cancelSignal(): AbortSignal;
  /** A whole-number flag of this command (at least 1), or its OptionSpec default when not given. */
  int(flag: string): number;
}

export interface CommandSpec {
  /** The words after `xlm`: 'fill-mask', 'export onnx'. */
  name: string;
  summary: string;
  /** What follows the flags in the usage line, e.g. '[TEXT...]'. */
  args?: string;
  options?: Record<string, OptionSpec>;
  /** Lines after the options in `xlm NAME --help`. */
  details?: string[];
  run(ctx: CommandContext): Promise<number>;
}
