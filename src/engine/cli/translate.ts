/** `xlm translate`: texts through a sequence-to-sequence model in optimum's ONNX layout (Marian, M2M100, NLLB). */
import { XlmError } from '../errors.js';
import { hubSettings } from '../hub/settings.js';
import { loadTranslator } from '../translate/cache.js';
import type { CommandContext, CommandSpec } from './command.js';
import { flagNumber, MODEL_OPTION, TEXT_OPTIONS, inputTexts, positiveInt, printJson } from './inputs.js';
import { downloadQuestions } from './confirm-download.js';

export const translateCommand: CommandSpec = {
  name: 'translate',
  summary: 'translate texts with a Marian / M2M100 / NLLB model in ONNX',
  args: '[TEXT...]',
  options: {
    model: { type: 'string', short: 'm', arg: 'MODEL', help: 'folder or Hub id of a translation model in optimum\'s ONNX layout (e.g. Xenova/opus-mt-en-de)' },
    ...TEXT_OPTIONS,
    to: { type: 'string', arg: 'LANG', help: 'target language: fr, de, ... or the model\'s code (fra_Latn); implied by one-pair models' },
    from: { type: 'string', arg: 'LANG', help: 'source language (default: guessed from the script, else the tokenizer\'s default)' },
    beams: { type: 'string', arg: 'N', help: 'beam search with N beams; 1 = greedy (default: generation_config.json)' },
    'max-length': { type: 'string', arg: 'N', help: 'longest output in tokens, start token included (default: generation_config.json)' },
    'n-best': { type: 'string', arg: 'N', help: 'the N best translations of each text (beam search, N up to --beams; transformers\' num_return_sequences)' },
    'length-penalty': { type: 'string', arg: 'X', help: 'beam scores are log p / length^X (default: generation_config.json, else 1)' },
    'batch-size': { type: 'string', arg: 'N', help: 'sentences per model run', default: 8 },
    offline: MODEL_OPTION.offline,
    yes: MODEL_OPTION.yes,
  },
  details: [
    'Prints one translation per input line (with --n-best N: N lines, best first, and a blank line after each text);',
    '--json adds languages, token ids and scores (and "nBest").',
    'Models: a folder with onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx (or decoder_model.onnx +',
    'decoder_with_past_model.onnx), tokenizer.json and config.json; or a Hub id, found in the HF cache first.',
  ],
  async run(ctx) {
    // Flags are checked before the model loads: a bad one is said at once, not after a download or a model error.
    const lengthPenalty = ctx.values['length-penalty'] === undefined ? undefined : flagNumber(ctx.values['length-penalty']);
    if (lengthPenalty !== undefined && !Number.isFinite(lengthPenalty)) {
      throw new XlmError('cli-bad-flag', `--length-penalty is "${String(ctx.values['length-penalty'])}"; expected a number such as 1.0`, { what: '--length-penalty' });
    }
    const optionalInt = (flag: string) => (ctx.values[flag] === undefined ? undefined : positiveInt(ctx.values[flag], `--${flag}`, 1));
    const decoding = { numBeams: optionalInt('beams'), maxLength: optionalInt('max-length'), lengthPenalty, numReturnSequences: optionalInt('n-best'), batchSize: ctx.int('batch-size') };
    const translator = await loadTranslator(requiredModel(ctx), {
      threads: ctx.threads,
      resolve: { settings: hubSettings({ offline: ctx.values.offline === true }, ctx.io.env), signal: ctx.io.signal, ...downloadQuestions(ctx.io, ctx.values.yes === true) },
      onNotice: (line) => ctx.io.stderr.write(`xlm: ${line}\n`),
    });
    try {
      const texts = await inputTexts(ctx);
      const results = await translator.translate(texts, { to: ctx.values.to as string | undefined, from: ctx.values.from as string | undefined, ...decoding });
      if (ctx.values.json) {
        printJson(ctx.io, results.map((r, i) => ({
          source: texts[i], translation: r.text, from: r.from, fromGuessed: r.fromGuessed, to: r.to, score: r.score, tokens: r.tokens,
          ...(r.nBest ? { nBest: r.nBest.map((n) => ({ translation: n.text, score: n.score, tokens: n.tokens })) } : {}),
        })));
      } else {
        for (const r of results) ctx.io.stdout.write(r.nBest ? `${r.nBest.map((n) => n.text).join('\n')}\n\n` : `${r.text}\n`);
      }
      return 0;
    } finally {
      await translator.close();
    }
  },
};

export function requiredModel(ctx: CommandContext): string {
  const given = (ctx.values.model as string | undefined) ?? ctx.io.env.XLM_TRANSLATION_MODEL;
  if (!given) throw new XlmError('cli-no-model', 'no model: pass --model with a folder or a Hub id such as Xenova/opus-mt-en-de (or set XLM_TRANSLATION_MODEL)', { what: '--model' });
  return given;
}
