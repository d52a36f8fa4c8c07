/** `xlm language-id`: which language each text is in, from the model's language-identification head. */
import { identifyLanguage, languageIdHead, languageName } from '../tasks/language-id.js';
import type { CommandSpec } from './command.js';
import { DEVICE_OPTION, DTYPE_OPTION, MODEL_OPTION, TEXT_OPTIONS, inputTexts, modelDir, printJson } from './inputs.js';

export const languageIdCommand: CommandSpec = {
  name: 'language-id',
  summary: 'which language each text is in (the default model ships a head for its languages)',
  args: '[TEXT...]',
  options: {
    ...MODEL_OPTION,
    ...DEVICE_OPTION,
    ...DTYPE_OPTION,
    ...TEXT_OPTIONS,
    'top-k': { type: 'string', arg: 'K', help: 'languages per text, most likely first', default: 3 },
  },
  details: ['Prints, per text, the ISO 639-3 code, the name and the probability of the K most likely languages.', 'The model folder needs language-id.json and language-id.safetensors beside its weights (models/default has them).'],
  async run(ctx) {
    const model = await ctx.models().model(await modelDir(ctx));
    const head = languageIdHead(model);
    const texts = await inputTexts(ctx);
    const results = await identifyLanguage(model, texts, { topK: ctx.int('top-k') });
    const named = results.map((scores) => scores.map((s) => ({ ...s, name: languageName(head, s.label) })));
    if (ctx.values.json) {
      printJson(ctx.io, named.map((languages, i) => ({ text: texts[i], languages })));
      return 0;
    }
    named.forEach((languages, i) => {
      if (texts.length > 1) ctx.io.stdout.write(`${texts[i]}\n`);
      for (const l of languages) ctx.io.stdout.write(`${texts.length > 1 ? '  ' : ''}${l.label}  ${l.name.padEnd(24)} ${(100 * l.score).toFixed(1)}%\n`);
    });
    return 0;
  },
};
