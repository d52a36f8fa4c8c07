/** `xlm pretrain`: pre-train an XLM-R from a recipe on the UDHR corpus, into an ordinary model folder. */
import { pretrain, type PretrainProgress } from '../pretrain/pretrain.js';
import { loadRecipe } from '../pretrain/recipe.js';
import { ensureDefaultModel } from '../pretrain/default-model.js';
import { XlmError } from '../errors.js';
import type { CommandSpec, OptionValues } from './command.js';
import type { CliIo } from './io.js';
import { cacheRoot, positiveInt } from './inputs.js';

/** Progress lines for a terminal or a log: phase changes always, training steps every `every` steps. */
export function pretrainProgressPrinter(io: CliIo, every = 10): (p: PretrainProgress) => void {
  let phase = '';
  return (p) => {
    const stepLine = p.phase === 'train' && (p.step === 1 || p.step === p.steps || (p.step ?? 0) % every === 0);
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
  summary: 'pre-train an XLM-R on the UDHR corpus from a recipe (MLM, TLM, NSP), writing a model folder',
  options: {
    recipe: { type: 'string', arg: 'FILE', help: 'recipe JSON (recipes/default.json, recipes/tiny.json); with no --recipe and no --out, builds or reuses the default model' },
    out: { type: 'string', short: 'o', arg: 'DIR', help: 'output model folder (config.json, tokenizer files, model.safetensors)' },
    'log-every': { type: 'string', arg: 'N', help: 'print the loss every N steps (default 10)' },
  },
  details: [
    'A recipe names the model sizes, vocabulary size, languages, held-out articles, objectives with weights,',
    'steps, batch size, learning rate, seed and maximum length; see recipes/default.json.',
    'xlm pretrain with no flags builds the default model into ~/.cache/xlm-lab/default-model (reused while its',
    'recipe, corpus and code are unchanged); --model default in other commands uses it.',
  ],
  async run(ctx) {
    const every = positiveInt(ctx.values['log-every'], '--log-every', 10);
    const onProgress = pretrainProgressPrinter(ctx.io, every);
    const recipePath = ctx.values.recipe as string | undefined;
    const out = ctx.values.out as string | undefined;
    if (!recipePath && !out) {
      const built = await ensureDefaultModel({ cacheDir: cacheRoot(ctx.io.env), onProgress, signal: ctx.io.signal });
      ctx.io.stdout.write(`${built.reused ? 'reused' : 'built'} the default model: ${built.dir}\n`);
      return 0;
    }
    if (!recipePath || !out) throw new XlmError('cli-bad-flag', 'pretrain needs both --recipe FILE and --out DIR (or neither, for the default model)', { what: recipePath ? '--out' : '--recipe' });
    const result = await pretrain(loadRecipe(recipePath), out, { onProgress, signal: ctx.io.signal });
    if (ctx.values.json) {
      ctx.io.stdout.write(JSON.stringify({ dir: result.dir, hash: result.hash, steps: result.steps, firstLoss: result.losses[0], lastLoss: result.losses[result.losses.length - 1], seconds: result.totalSeconds }) + '\n');
    } else {
      ctx.io.stdout.write(`wrote ${result.dir} (${result.steps} steps, loss ${result.losses[0].toFixed(3)} -> ${result.losses[result.losses.length - 1].toFixed(3)}, ${result.totalSeconds.toFixed(0)} s)\n`);
    }
    return 0;
  },
};
