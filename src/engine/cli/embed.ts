/** `xlm embed`: mean-pooled sentence vectors. */
import { embed } from '../tasks/embed.js';
import type { CommandSpec } from './command.js';
import { DEVICE_OPTION, DTYPE_OPTION, MODEL_OPTION, TEXT_OPTIONS, inputTexts, modelDir, printJson, noteCutInputs } from './inputs.js';

export const embedCommand: CommandSpec = {
  name: 'embed',
  summary: 'sentence vectors (mean of the last hidden state over the real tokens)',
  args: '[TEXT...]',
  options: {
    ...MODEL_OPTION,
    ...DEVICE_OPTION,
    ...DTYPE_OPTION,
    ...TEXT_OPTIONS,
    normalize: { type: 'boolean', help: 'scale each vector to unit length (dot product = cosine)' },
    'batch-size': { type: 'string', arg: 'N', help: 'texts per model run', default: 16 },
  },
  details: ['Without --json, prints one vector per line, values separated by spaces.'],
  async run(ctx) {
    const model = await ctx.models().model(await modelDir(ctx));
    const texts = await inputTexts(ctx, { keepBlankLines: true });
    const result = await embed(model, texts, { normalize: Boolean(ctx.values.normalize), batchSize: ctx.int('batch-size') });
    noteCutInputs(ctx.io, 'embed', model, texts.map((text) => ({ text })));
    if (ctx.values.json) {
      printJson(ctx.io, { dim: result.dim, vectors: result.vectors.map((vector, i) => ({ text: texts[i], vector })) });
      return 0;
    }
    for (const v of result.vectors) ctx.io.stdout.write(v.map((x) => x.toPrecision(6)).join(' ') + '\n');
    return 0;
  },
};
