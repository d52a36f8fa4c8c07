/** `xlm zero-shot`: rank free-form labels for texts with an NLI model (hypothesis per label, one batch). */
import { XlmError } from '../errors.js';
import { zeroShot } from '../tasks/zero-shot.js';
import type { CommandSpec } from './command.js';
import { DEVICE_OPTION, DTYPE_OPTION, MODEL_OPTION, TEXT_OPTIONS, inputTexts, modelDir, printJson } from './inputs.js';

export const zeroShotCommand: CommandSpec = {
  name: 'zero-shot',
  summary: 'rank free-form labels for texts with an NLI model',
  args: '[TEXT...]',
  options: {
    model: { type: 'string', short: 'm', arg: 'MODEL', help: 'folder or Hub id of an NLI model with entailment/contradiction labels (e.g. joeddav/xlm-roberta-large-xnli)' },
    ...TEXT_OPTIONS,
    labels: { type: 'string', multiple: true, short: 'l', arg: 'A,B,C', help: 'candidate labels, comma-separated or repeated' },
    'multi-label': { type: 'boolean', help: 'score each label on its own (entailment vs contradiction) instead of one softmax over labels' },
    template: { type: 'string', arg: 'TEXT', help: 'hypothesis with {} for the label (default per language, e.g. "This example is {}.")' },
    lang: { type: 'string', arg: 'LANG', help: 'language of the default template (default: guessed from the script, else en)' },
    'batch-size': { type: 'string', arg: 'N', help: 'text/label pairs per model run', default: 64 },
    offline: MODEL_OPTION.offline,
    yes: MODEL_OPTION.yes,
    ...DEVICE_OPTION,
    ...DTYPE_OPTION,
  },
  details: ['Scores of one text sum to 1 unless --multi-label. --json prints every label with its score and the template used.'],
  async run(ctx) {
    const labels = ((ctx.values.labels as string[] | undefined) ?? []).flatMap((l) => l.split(',')).map((l) => l.trim()).filter(Boolean);
    if (!labels.length) throw new XlmError('cli-bad-flag', 'no labels: give --labels a,b,c (the candidate classes, in any language the model knows)', { what: '--labels' });
    const model = await ctx.models().model(await modelDir(ctx));
    const texts = await inputTexts(ctx);
    const results = await zeroShot(model, texts, {
      labels,
      multiLabel: ctx.values['multi-label'] === true,
      hypothesisTemplate: ctx.values.template as string | undefined,
      language: ctx.values.lang as string | undefined,
      batchSize: ctx.int('batch-size'),
    });
    if (ctx.values.json) {
      printJson(ctx.io, results.map((r, i) => ({ text: texts[i], hypothesisTemplate: r.hypothesisTemplate, scores: r.scores })));
      return 0;
    }
    results.forEach((r, i) => {
      ctx.io.stdout.write(`${r.scores[0].label}\t${r.scores[0].score.toFixed(4)}\t${texts[i]}\n`);
      ctx.io.stdout.write(`  ${r.scores.map((s) => `${s.label} ${s.score.toFixed(4)}`).join('  ')}\n`);
    });
    return 0;
  },
};

