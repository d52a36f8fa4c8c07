/**
 * `xlm score qa --dataset FILE --predictions PRED.json`: scores any system's SQuAD-format predictions
 * ({id: answer text}) by the rules `xlm eval --task qa` uses, the way the official SQuAD and MLQA scripts are run.
 */
import { readQaFile } from '../data/index.js';
import { XlmError } from '../errors.js';
import { formatQaReport, readPredictions, scorePredictions } from '../qa/evaluate.js';
import type { CommandSpec } from './command.js';
import { printJson } from './inputs.js';
import { DATA_READ_OPTIONS, readOptionsFromFlags } from './data-flags.js';

export const scoreQaCommand: CommandSpec = {
  name: 'score qa',
  summary: "score a predictions file ({id: answer text}) against a SQuAD/MLQA file: exact match and F1, SQuAD v1.1's and per language",
  options: {
    dataset: { type: 'string', arg: 'FILE', help: 'the questions and gold answers: SQuAD v1.1/v2.0 JSON, or JSON Lines with context, question, answers' },
    predictions: { type: 'string', arg: 'FILE', help: 'JSON object of question id to predicted answer text ("" for no answer)' },
    language: { type: 'string', arg: 'CODE', help: "the language of every question, whose rules score it (MLQA's for ar, de, en, es, hi, vi, zh; SQuAD v1.1's otherwise)" },
    'on-error': DATA_READ_OPTIONS['on-error']!,
  },
  details: [
    'Without --language, a question\'s language comes from its lang/language field, the file name (MLQA\'s context-xx-question-yy), else its script.',
    'A question missing from the predictions scores 0, as the official scripts count it. --json prints the scores as JSON.',
  ],
  async run(ctx) {
    const dataset = ctx.values.dataset as string | undefined;
    const predictionsFile = ctx.values.predictions as string | undefined;
    if (!dataset) throw new XlmError('cli-bad-flag', 'score qa needs --dataset FILE', { what: '--dataset' });
    if (!predictionsFile) throw new XlmError('cli-bad-flag', 'score qa needs --predictions FILE', { what: '--predictions' });
    const language = typeof ctx.values.language === 'string' && ctx.values.language !== '' ? ctx.values.language : undefined;
    const { onError } = readOptionsFromFlags(ctx.values);
    const data = await readQaFile(dataset, { ...(language ? { language } : {}), ...(onError ? { onError } : {}) });
    const predictions = readPredictions(predictionsFile);
    // A prediction for a question the dataset does not have is not scored: said, since a typo in every id scores 0.
    const ids = new Set(data.examples.map((e) => e.id));
    const unknown = Object.keys(predictions).filter((id) => !ids.has(id));
    if (unknown.length) ctx.io.stderr.write(`xlm score qa: ${unknown.length} of ${Object.keys(predictions).length} predictions name questions ${dataset} does not have (${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}); they were not scored (ids match exactly, case included)\n`);
    const report = { ...scorePredictions(dataset, data.examples, predictions), predictionsFile };
    if (ctx.values.json) printJson(ctx.io, report);
    else ctx.io.stdout.write(formatQaReport(report));
    return 0;
  },
};
