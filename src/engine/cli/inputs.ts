/**
 * What the inference commands share: the --model flag (with the tiny random models), text from
 * --text, arguments or stdin lines, and the output flags.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { decodeWhole } from '../data/index.js';
import { resolveModel } from '../hub/resolve.js';
import { hubSettings } from '../hub/settings.js';
import { TINY_SIZES, writeRandomXlmr } from '../model/random-model.js';
import type { TruncationStrategy } from '../tokenize/encoding.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import type { CommandContext, OptionSpec } from './command.js';
import { downloadQuestions } from './confirm-download.js';
import type { CliIo } from './io.js';
import { DEVICE_CHOICES } from '../runtime/devices.js';
import { INFERENCE_DTYPES } from '../rpc/protocol.js';

export const MODEL_OPTION: Record<string, OptionSpec> = {
  model: {
    type: 'string',
    short: 'm',
    arg: 'MODEL',
    help: 'Hugging Face model folder (config.json, tokenizer.json, model.safetensors), or a Hub id (found in the HF cache first, else downloaded); "tiny" or "tiny-cls" for a tiny random model (see below)',
  },
  offline: { type: 'boolean', help: 'never contact the Hugging Face Hub (as HF_HUB_OFFLINE=1)' },
  yes: { type: 'boolean', help: 'download a Hub model of 1 GB or more without asking' },
};

/** The device inference sessions run on; main.ts hands it to the model cache (`xlm train` has its own, for training graphs). */
export const DEVICE_OPTION: Record<string, OptionSpec> = {
  device: { type: 'string', arg: 'DEV', help: `${DEVICE_CHOICES.join(' | ')}; auto (default) picks the best GPU provider present whose kernels cover inference, else the CPU with one line saying why` },
};

/** The number format of the inference graphs' matrix products; main.ts hands it to the model cache. */
export const DTYPE_OPTION: Record<string, OptionSpec> = {
  dtype: { type: 'string', arg: 'T', help: `${INFERENCE_DTYPES.join(' | ')}; int8 quantizes the weights of every matrix product at load (per output channel), for faster CPU inference; default fp32` },
};

export const TEXT_OPTIONS: Record<string, OptionSpec> = {
  text: { type: 'string', multiple: true, short: 't', arg: 'TEXT', help: 'input text (repeatable); also taken from arguments, or one per line from stdin' },
};

export const TINY_MODEL_NOTE = [
  'Without --model (or with --model default) the default model that ships with XLM Lab is used (models/default: 4',
  'layers, 182 languages, pre-trained by the project from text that npm packages ship). Where that folder is missing,',
  'XLM Lab pre-trains a smaller one on first use (recipes/quick.json: 2 layers, 26 languages, about 7.5 minutes on two',
  'quiet cores) into $XLM_LAB_CACHE (else $XDG_CACHE_HOME/xlm-lab, else ~/.cache/xlm-lab) and reuses it.',
  '--model tiny builds a tiny random masked-LM model (--model tiny-cls a tiny random 3-label classifier) in the same',
  'cache folder: it runs the real graph end to end in seconds, but its predictions are meaningless.',
];

const TINY_MODELS: Record<string, { folder: string; head: 'mlm' | 'seq-cls' }> = {
  tiny: { folder: 'tiny-random-mlm', head: 'mlm' },
  'tiny-cls': { folder: 'tiny-random-cls', head: 'seq-cls' },
};

export function cacheRoot(env: NodeJS.ProcessEnv): string {
  return env.XLM_LAB_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'xlm-lab');
}

/**
 * The model folder named by --model (or $XLM_MODEL), the one resolver of every command: the tiny names are
 * built on first use; a folder is taken as it is; a Hub id is found in the HF cache, else downloaded (unless offline).
 */
export async function modelDir(ctx: CommandContext): Promise<string> {
  const given = (ctx.values.model as string | undefined) ?? ctx.io.env.XLM_MODEL;
  if (!given) {
    throw new XlmError('cli-no-model', 'no model: pass --model DIR (a Hugging Face XLM-R folder) or a Hub id, or --model tiny to try a tiny random model', { what: '--model' });
  }
  const tiny = TINY_MODELS[given];
  if (!tiny || existsSync(given)) {
    try {
      const resolved = await resolveModel(given, {
        settings: hubSettings({ offline: ctx.values.offline === true }, ctx.io.env),
        signal: ctx.io.signal,
        ...downloadQuestions(ctx.io, ctx.values.yes === true),
      });
      return resolved.folder;
    } catch (e) {
      // A mistyped folder name reads as a Hub id: say that first, and how offline mode is turned on here.
      if (e instanceof XlmError && (e.code === 'hub/unreachable' || e.code === 'hub/offline-not-cached') && !existsSync(given)) {
        const flag = ctx.values.offline === true ? ' (--offline is on)' : e.code === 'hub/unreachable' ? ' On the command line --offline turns offline mode on.' : '';
        throw new XlmError(e.code, `--model "${given}" is no folder (${resolve(given)} does not exist), so it was taken as a Hugging Face model id. ${e.message}${flag}`, { what: '--model' });
      }
      throw e;
    }
  }
  const dir = join(cacheRoot(ctx.io.env), tiny.folder);
  if (!existsSync(join(dir, 'config.json'))) {
    writeRandomXlmr(dir, { sizes: TINY_SIZES, head: tiny.head, labels: ['negative', 'neutral', 'positive'], seed: 42, std: 0.3 });
  }
  return dir;
}

export interface InputTextOptions {
  /** Keep blank stdin lines as empty texts (one result per line). Default false: they are skipped. */
  keepBlankLines?: boolean;
}

/** Texts from --text, else the arguments, else the lines of stdin (blank ones skipped unless kept). */
export async function inputTexts(ctx: CommandContext, opts: InputTextOptions = {}): Promise<string[]> {
  const flagged = (ctx.values.text as string[] | undefined) ?? [];
  if (flagged.length || ctx.positionals.length) return [...flagged, ...ctx.positionals];
  const lines = await stdinLines(ctx.io, opts.keepBlankLines ?? false);
  if (!lines.length) throw new XlmError('cli-no-text', 'no text: give --text TEXT, text arguments, or lines on stdin', { what: '--text' });
  return lines;
}

export const PAIR_OPTIONS: Record<string, OptionSpec> = {
  pair: { type: 'string', multiple: true, arg: 'TEXT', help: 'second text of a pair, one per --text (NLI: premise --text, hypothesis --pair); without it a text holding a tab is read as TEXT<TAB>PAIR' },
  truncation: { type: 'string', arg: 'STRATEGY', help: 'how a pair is cut to the maximum length: longest_first (default), only_first or only_second, as Hugging Face tokenizers cut them' },
};

export interface TextInput {
  text: string;
  textPair?: string;
}

/**
 * Texts and pairs of the commands that take pairs: --pair (one per text), else TEXT<TAB>PAIR (on stdin or
 * in --text), split at the first tab. Blank stdin lines are kept, so every line gives one result.
 */
export async function inputPairs(ctx: CommandContext): Promise<TextInput[]> {
  const texts = await inputTexts(ctx, { keepBlankLines: true });
  const pairs = (ctx.values.pair as string[] | undefined) ?? [];
  if (pairs.length && pairs.length !== texts.length) {
    throw new XlmError('cli-bad-flag', `${pairs.length} --pair for ${texts.length} texts; give one --pair per --text`, { what: '--pair' });
  }
  return texts.map((text, i) => {
    if (pairs.length) return { text, textPair: pairs[i] };
    const tab = text.indexOf('\t');
    return tab >= 0 ? { text: text.slice(0, tab), textPair: text.slice(tab + 1) } : { text };
  });
}

const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

/** --truncation, checked. */
export function truncationStrategy(ctx: CommandContext): TruncationStrategy | undefined {
  const value = ctx.values.truncation as string | undefined;
  if (value === undefined) return undefined;
  if (!(STRATEGIES as readonly string[]).includes(value)) {
    throw new XlmError('cli-bad-flag', `--truncation is "${value}"; it must be one of ${STRATEGIES.join(', ')}`, { what: '--truncation' });
  }
  return value as TruncationStrategy;
}

async function stdinLines(io: CliIo, keepBlank: boolean): Promise<string[]> {
  if (!io.stdin || io.stdin.isTTY) return [];
  // Bytes first, then decoded whole as data files are: UTF-16 is read as such and invalid UTF-8 is refused (it was
  // classified as "caf\uFFFD").
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  const data = decodeWhole(Buffer.concat(chunks), 'stdin', true);
  if (data === '') return [];
  const lines = data.split(/\r?\n/);
  // The newline that ends the last line does not start another.
  if (lines[lines.length - 1] === '') lines.pop();
  return keepBlank ? lines : lines.filter((line) => line.trim() !== '');
}

/**
 * A flag's number, written in decimal (1e-4 and .5 are fine); NaN for anything else, hex and binary included:
 * Number("0x10") is 16, and "--epochs 0x10" ran 16 epochs.
 */
export function flagNumber(value: unknown): number {
  return typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
}

export function positiveInt(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = flagNumber(value);
  if (!Number.isInteger(n) || n < 1) throw new XlmError('cli-bad-flag', `${flag} is "${String(value)}"; it must be a whole number of at least 1`, { what: flag });
  return n;
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/**
 * Says on stderr which inputs are longer than the model reads (`classify`, `embed`): their answer comes from what
 * truncation left of them, as `train` and `eval` say of the rows they cut.
 */
export function noteCutInputs(io: CliIo, command: string, model: LoadedModel, inputs: readonly { text: string; textPair?: string }[]): void {
  const cut = inputs.flatMap((input, i) => (model.tokenizer.encode(input.text, input.textPair ?? null, { maxLength: model.maxLength + 1 }).ids.length > model.maxLength ? [i + 1] : []));
  if (!cut.length) return;
  const which = `${cut.slice(0, 10).join(', ')}${cut.length > 10 ? ', ...' : ''}`;
  const are = cut.length === 1 ? 'is' : 'are';
  io.stderr.write(`xlm ${command}: ${cut.length} of ${inputs.length} input${inputs.length === 1 ? '' : 's'} ${are} longer than the model's ${model.maxLength} tokens and ${cut.length === 1 ? 'was' : 'were'} cut to fit; the answer reads only what is left (input${cut.length === 1 ? '' : 's'} ${which})\n`);
}
