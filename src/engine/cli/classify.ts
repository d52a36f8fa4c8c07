/** `xlm classify`: label probabilities of texts or text pairs (config.json's id2label). */
import { XlmError } from '../errors.js';
import { classify } from '../tasks/classify.js';
import type { CommandSpec } from './command.js';
import { DEVICE_OPTION, MODEL_OPTION, TEXT_OPTIONS, inputTexts, modelDir, positiveInt, printJson } from './inputs.js';

export const classifyCommand: CommandSpec = {
  name: 'classify',
  summary: 'label probabilities of texts or text pairs',
  args: '[TEXT...]',
  options: {
    ...MODEL_OPTION,
    ...DEVICE_OPTION,
    ...TEXT_OPTIONS,
    pair: { type: 'string', multiple: true, arg: 'TEXT', help: 'second text of a pair, one per --text (NLI: premise --text, hypothesis --pair)' },
    'batch-size': { type: 'string', arg: 'N', help: 'inputs per model run (default 16)' },
  },
  details: ['Lines on stdin may hold a pair as TEXT<TAB>PAIR.'],
  async run(ctx) {
    const model = await ctx.models().model((await modelDir(ctx)));
    const texts = await inputTexts(ctx);
    const pairs = (ctx.values.pair as string[] | undefined) ?? [];
    if (pairs.length && pairs.length !== texts.length) {
      throw new XlmError('cli-bad-flag', `${pairs.length} --pair for ${texts.length} texts; give one --pair per --text`, { what: '--pair' });
    }
    const inputs = texts.map((text, i) => {
      if (pairs.length) return { text, textPair: pairs[i] };
      const tab = text.indexOf('\t');
      return tab >= 0 ? { text: text.slice(0, tab), textPair: text.slice(tab + 1) } : { text };
    });
    const results = await classify(model, inputs, { batchSize: positiveInt(ctx.values['batch-size'], '--batch-size', 16) });
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
