/**
 * A command's flags, parsed with node:util's parseArgs from its table entry, plus what parseArgs leaves to its caller:
 * a negative number after a flag that takes a value is that value (`--lr -1` as `--lr=-1`), a flag the command does
 * not have is named with the nearest one it has (`did you mean --lr?`), and parseArgs' other complaints (a value
 * missing, a value on a switch) are said in xlm's words, naming the flag and the command's --help.
 */
import { parseArgs } from 'node:util';
import { XlmError } from '../errors.js';
import type { OptionSpec, OptionValues } from './command.js';

export interface ParsedFlags {
  values: OptionValues;
  positionals: string[];
}

/** `-1`, `-0.5`, `-.5`, `-1e-4`: what `--lr -1` means as a value, not as a flag `-1`. */
const NEGATIVE_NUMBER = /^-(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * Other programs' names for xlm's flags (transformers' TrainingArguments, fairseq, common habits), with underscores
 * written as hyphens: an unknown flag here is answered with the first of its flags that the command has.
 */
const ALIASES: Record<string, readonly string[]> = {
  'learning-rate': ['lr'],
  'num-train-epochs': ['epochs'],
  'num-epochs': ['epochs'],
  'train-batch-size': ['batch-size'],
  'eval-batch-size': ['batch-size'],
  'per-device-train-batch-size': ['batch-size'],
  'per-device-eval-batch-size': ['batch-size'],
  bs: ['batch-size'],
  'gradient-accumulation-steps': ['grad-accum'],
  'gradient-accumulation': ['grad-accum'],
  'output-dir': ['out'],
  output: ['out'],
  'model-name-or-path': ['model'],
  'model-name': ['model'],
  'model-path': ['model'],
  'train-file': ['train'],
  'eval-file': ['eval', 'data'],
  'validation-file': ['eval', 'data'],
  'max-seq-length': ['max-length'],
  'max-source-length': ['max-length'],
  'max-len': ['max-length'],
  'num-beams': ['beams', 'eval-beams'],
  'beam-size': ['beams', 'eval-beams'],
  warmup: ['warmup-ratio'],
  'lr-scheduler-type': ['schedule'],
  'lr-scheduler': ['schedule'],
  'lora-rank': ['lora-r'],
  'lora-target-modules': ['lora-targets'],
  'label-smoothing-factor': ['label-smoothing'],
  'src-lang': ['source-lang'],
  'tgt-lang': ['target-lang'],
  'eval-steps': ['eval-every'],
  'save-steps': ['save-every'],
  'logging-steps': ['log-every'],
  'early-stopping-patience': ['patience'],
  'metric-for-best-model': ['metric-for-best'],
  'resume-from-checkpoint': ['resume'],
  'num-threads': ['threads'],
};

/** Edit distance with a swap of neighbours as one edit (optimal string alignment): 'epoch' for epochs, 'bacth-size'. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The flag of `known` that `given` (a name without its dashes) most likely meant, or undefined when none is close. */
export function nearestFlag(given: string, known: readonly string[]): string | undefined {
  const name = given.toLowerCase().replace(/_/g, '-');
  if (known.includes(name)) return name;
  const alias = ALIASES[name]?.find((flag) => known.includes(flag));
  if (alias) return alias;
  // One edit for a short name, two from six letters on; the first of the nearest in the command's order.
  const limit = name.length >= 6 ? 2 : 1;
  let best: { flag: string; distance: number } | undefined;
  for (const flag of known) {
    const distance = editDistance(name, flag);
    if (distance <= limit && (!best || distance < best.distance)) best = { flag, distance };
  }
  if (best) return best.flag;
  // The start of exactly one flag: 'max-answer' for --max-answer-length.
  const starting = name.length >= 3 ? known.filter((flag) => flag.startsWith(name)) : [];
  return starting.length === 1 ? starting[0] : undefined;
}

/** Parses `args` against `options` (the command's and the global ones); a bad flag is an XlmError naming it. */
export function parseFlags(command: string, options: Record<string, OptionSpec>, args: string[]): ParsedFlags {
  const config = Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple ?? false, ...(o.short ? { short: o.short } : {}) }]));
  const help = `(xlm ${command} --help)`;
  // A lenient pass first: its tokens say which flag each word is, known or not, and what value it took.
  const { tokens } = parseArgs({ args, options: config, allowPositionals: true, strict: false, tokens: true });
  const joined: (string | undefined)[] = [...args];
  // A flag that takes one value, given twice: the last one would win without a word (--max-steps 2 --max-steps 3).
  const given = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    const written = args[token.index];
    if (!spec) throw unknownFlag(command, written, token.rawName, Object.keys(options), help);
    const flag = `--${token.name}`;
    const usage = `${flag}${spec.arg ? ` ${spec.arg}` : ' VALUE'}`;
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new XlmError('cli-bad-flag', `${flag} takes no value; give ${flag} alone, not ${written} ${help}`, { what: flag });
      continue;
    }
    if (token.value === undefined) throw new XlmError('cli-bad-flag', `${flag} needs a value: ${usage} ${help}`, { what: flag });
    const before = given.get(token.name);
    if (before !== undefined && !spec.multiple) throw new XlmError('cli-bad-flag', `${flag} is given twice ("${before}", then "${token.value}"); give it once ${help}`, { what: flag });
    given.set(token.name, token.value);
    if (token.inlineValue || !token.value.startsWith('-')) continue;
    // `--lr -1`: parseArgs takes no value that starts with '-' unless it is written `--lr=-1`.
    if (NEGATIVE_NUMBER.test(token.value) && written === token.rawName) {
      joined[token.index] = `${flag}=${token.value}`;
      joined[token.index + 1] = undefined;
      continue;
    }
    throw new XlmError('cli-bad-flag', `${flag} needs a value (${usage}), and "${token.value}" after it reads as a flag; write ${flag}=${token.value} if that is the value ${help}`, { what: flag });
  }
  try {
    const parsed = parseArgs({ args: joined.filter((a) => a !== undefined), options: config, allowPositionals: true, strict: true });
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (e) {
    // The lenient pass has named every problem parseArgs knows; this is a safety net.
    throw new XlmError('cli-bad-flag', `${(e as Error).message.split('\n')[0]} ${help}`);
  }
}

/** `train has no flag --NAME; did you mean --lr?` (`-lr`, one dash, is said as written too). */
function unknownFlag(command: string, written: string, rawName: string, known: string[], help: string): XlmError {
  // parseArgs reads `-lr` as the short flags -l and -r: the user wrote one word, which is what to name.
  const oneDash = /^-[^-]/.test(written) && written.length > 2;
  const given = oneDash ? written.split('=')[0] : rawName;
  const name = given.replace(/^-+/, '');
  const near = given.startsWith('--') || oneDash ? nearestFlag(name, known) : undefined;
  const suggestion = near ? `; did you mean --${near}?` : '';
  return new XlmError('cli-bad-flag', `${command} has no flag ${given}${suggestion} ${help}`, { what: given });
}
