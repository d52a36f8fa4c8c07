/** `xlm classify`: label probabilities of texts or text pairs (config.json's id2label). */
import { classify } from '../tasks/classify.js';
import type { CommandSpec } from './command.js';
import { DEVICE_OPTION, DTYPE_OPTION, MODEL_OPTION, PAIR_OPTIONS, TEXT_OPTIONS, inputPairs, modelDir, noteCutInputs, printJson, truncationStrategy } from './inputs.js';

export const classifyCommand: CommandSpec = {
  name: 'classify',
  summary: 'label probabilities of texts or text pairs',
  args: '[TEXT...]',
  options: {
    ...MODEL_OPTION,
    ...DEVICE_OPTION,
    ...DTYPE_OPTION,
    ...TEXT_OPTIONS,
    ...PAIR_OPTIONS,
    'batch-size': { type: 'string', arg: 'N', help: 'inputs per model run', default: 16 },
  },
  details: ['Lines on stdin are texts, one result per line (a blank line is an empty text); TEXT<TAB>PAIR is a pair.'],
  async run(ctx) {
    // Flags are checked before the model loads: a bad one is said at once.
    const options = { batchSize: ctx.int('batch-size'), truncation: truncationStrategy(ctx) };
    const model = await ctx.models().model(await modelDir(ctx));
    const inputs = await inputPairs(ctx);
    const results = await classify(model, inputs, options);
    noteCutInputs(ctx.io, 'classify', model, inputs);
    if (ctx.values.json) {
      printJson(ctx.io, results.map((scores, i) => ({ ...inputs[i], scores })));
      return 0;
    }
    results.forEach((scores, i) => {
      const input = inputs[i].textPair === undefined ? inputs[i].text : `${inputs[i].text} ‖ ${inputs[i].textPair}`;
      ctx.io.stdout.write(`${scores[0].label}\t${scores[0].score.toFixed(4)}\t${input}\n`);
      ctx.io.stdout.write(`  ${scores.map((s) => `${s.label} ${s.score.toFixed(4)}`).join('  ')}\n`);
    });
    return 0;
  },
};
