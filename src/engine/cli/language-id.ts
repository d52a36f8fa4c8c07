/** `xlm language-id`: which language each text is in, from the model's language-identification head. */
import { identifyLanguage, LANGUAGE_ID_MIN_LETTERS, languageIdHead, languageName, tooShortForLanguageId } from '../tasks/language-id.js';
import type { CommandSpec } from './command.js';
import { DEVICE_OPTION, DTYPE_OPTION, MODEL_OPTION, TEXT_OPTIONS, inputTexts, modelDir, printJson } from './inputs.js';

/** Below this probability for the most likely language, the answer is marked unsure. */
const UNSURE_BELOW = 0.5;

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
  details: [
    'Prints, per text, the ISO 639-3 code, the name and the probability of the K most likely languages.',
    `A text under ${LANGUAGE_ID_MIN_LETTERS} letters is marked: the head reads paragraphs, and on short texts it is often wrong while sure of itself`,
    '(--json: "tooShort": true). A text whose most likely language is under 50% is marked unsure ("unsure": true): the head',
    'was fitted on the declaration of human rights and Quran verses, and everyday sentences are often misread.',
    'A blank line on stdin is kept as an empty text with no languages, so results line up with the lines.',
    'The model folder needs language-id.json and language-id.safetensors beside its weights (models/default has them).',
  ],
  async run(ctx) {
    const model = await ctx.models().model(await modelDir(ctx));
    const head = languageIdHead(model);
    const texts = await inputTexts(ctx, { keepBlankLines: true });
    const blank = texts.map((t) => t.trim() === '');
    const asked = texts.filter((_, i) => !blank[i]);
    const answers = await identifyLanguage(model, asked, { topK: ctx.int('top-k') });
    let next = 0;
    const named = texts.map((_, i) => (blank[i] ? [] : answers[next++]!.map((s) => ({ ...s, name: languageName(head, s.label) }))));
    const short = texts.map(tooShortForLanguageId);
    // The head was fitted on declarations and verses: on other text its best guess is often under one half, and wrong.
    const unsure = named.map((languages, i) => !short[i] && languages.length > 0 && languages[0]!.score < UNSURE_BELOW);
    if (ctx.values.json) {
      printJson(ctx.io, named.map((languages, i) => ({ text: texts[i], languages, ...(short[i] ? { tooShort: true } : {}), ...(unsure[i] ? { unsure: true } : {}) })));
      return 0;
    }
    const width = Math.max(0, ...named.flat().map((l) => l.name.length));
    named.forEach((languages, i) => {
      const indent = texts.length > 1 ? '  ' : '';
      if (texts.length > 1) ctx.io.stdout.write(`${texts[i]}\n`);
      if (blank[i]) ctx.io.stdout.write(`${indent}(empty)\n`);
      else if (short[i]) ctx.io.stdout.write(`${indent}(under ${LANGUAGE_ID_MIN_LETTERS} letters: unreliable)\n`);
      else if (unsure[i]) ctx.io.stdout.write(`${indent}(unsure: no language reaches ${100 * UNSURE_BELOW}%; the head knows declarations and verses better than everyday text)\n`);
      for (const l of languages) ctx.io.stdout.write(`${indent}${l.label}  ${l.name.padEnd(width)}  ${(100 * l.score).toFixed(1).padStart(5)}%\n`);
    });
    return 0;
  },
};
