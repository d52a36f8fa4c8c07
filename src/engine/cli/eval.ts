/** `xlm eval`: score a model folder on a data file, print the overall, per-language and per-class tables, write eval.json. */
import { flagOf } from './option-flags.js';
import { join, resolve } from 'node:path';
import { looksLikeQa } from '../data/index.js';
import { XlmError } from '../errors.js';
import { evaluate, type EvalTask } from '../eval/evaluate.js';
import { evalJson, formatEvalReport, writeJsonFile, writePredictions } from '../eval/report.js';
import { assertWritableFilePath, writeWhole } from '../io-errors.js';
import { evaluateQaFile, formatQaReport } from '../qa/evaluate.js';
import type { CommandContext } from './command.js';
import type { CommandSpec, OptionSpec } from './command.js';
import { DATA_READ_OPTIONS, readOptionsFromFlags } from './data-flags.js';
import { DEVICE_OPTION, flagNumber, MODEL_OPTION, modelDir, positiveInt, printJson } from './inputs.js';
import { taskFlag, taskHelp } from './task-flag.js';
import type { Task } from '../tasks/vocabulary.js';

const OPTIONS: Record<string, OptionSpec> = {
  ...MODEL_OPTION,
  ...DEVICE_OPTION,
  data: { type: 'string', short: 'd', arg: 'FILE', help: 'evaluation data (JSONL, CSV, TSV, XNLI TSV, CoNLL, text)' },
  task: { type: 'string', arg: 'TASK', help: `${taskHelp()}; default: from the data's columns, qa for SQuAD-format files` },
  out: { type: 'string', short: 'o', arg: 'PATH', help: 'where eval.json goes: a folder, or a file name ending in .json (default: the model folder)' },
  predictions: { type: 'string', arg: 'FILE', help: 'also write one JSON line per row: line, language, gold and predicted (qa: the SQuAD predictions file {id: answer text})' },
  stride: { type: 'string', arg: 'N', help: 'qa: tokens shared by consecutive windows of a long context (default 128, at most a third of the window)' },
  'n-best': { type: 'string', arg: 'N', help: 'qa: start and end positions tried per window (default 20)' },
  'max-answer-length': { type: 'string', arg: 'N', help: 'qa: longest answer in tokens (default 30)' },
  'null-threshold': { type: 'string', arg: 'X', help: 'qa, SQuAD v2.0 data: answer nothing when the null score beats the best span by more than X (default 0)' },
  'batch-size': { type: 'string', arg: 'N', help: 'rows per session run', default: 16 },
  'max-length': { type: 'string', arg: 'N', help: "tokens per row, specials included (default: the model's limit)" },
  'mlm-probability': { type: 'string', arg: 'P', help: 'masked-LM: share of tokens masked (default 0.15)' },
  seed: { type: 'string', arg: 'N', help: 'masked-LM: seed of the masks (default 42; the same seed masks the same tokens)' },
  ...DATA_READ_OPTIONS,
};

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: 'evaluate a model on a data file: metrics overall, per language (XNLI-style table) and per class; writes eval.json',
  options: OPTIONS,
  details: [
    "Labels are matched by name with the model's id2label; a data label the model lacks is an error at file:line.",
    'Languages come from the language column (lang, language; a pair file\'s premise_lang or sentence1_lang; --language-column), else from the script of the text.',
    'Metrics: seq-cls/nli: accuracy, macro and micro F1, loss, per-class precision/recall/F1 and the confusion matrix;',
    "the pooled macro F1 averages over every label of the model (one absent from the data and never predicted counts as 0),",
    "each language's over the labels gold or predicted in its rows (scikit-learn's macro F1 with and without labels=);",
    'token-cls: entity precision/recall/F1 (seqeval), word accuracy, loss; mlm: loss, perplexity, top-1 and top-5 accuracy',
    'over seeded masks, a tie with the original token counting as a miss. --json prints eval.json instead of the tables.',
    "qa: exact match and F1 with SQuAD v1.1's normalisation, and per language with MLQA's rules for ar, de, en, es, hi, vi, zh",
    "(Unicode punctuation, each language's articles, single characters for Chinese); other languages get SQuAD v1.1's rules,",
    'with each character of a script written without spaces (Thai, Japanese, Lao, Khmer, Myanmar) a token of its own.',
    'A question\'s language: --language, a lang/language field, the file name (MLQA\'s context-xx-question-yy, xquad.xx.json), else its script.',
  ],
  async run(ctx) {
    const data = ctx.values.data as string | undefined;
    if (!data) throw new XlmError('cli-bad-flag', 'eval needs --data FILE', { what: '--data' });
    const task = taskFlag(ctx.values.task);
    if (task) return EVALUATOR[task](ctx, data);
    return looksLikeQa(data) ? evalQa(ctx, data) : evalRows(ctx, data, undefined);
  },
};

/** Which evaluator scores each task: evaluate() reads labelled rows (and plain text), QA's own reads SQuAD files. */
const EVALUATOR: Record<Task, (ctx: CommandContext, data: string) => Promise<number>> = {
  'sequence-classification': (ctx, data) => evalRows(ctx, data, 'sequence-classification'),
  'pair-classification': (ctx, data) => evalRows(ctx, data, 'pair-classification'),
  'token-classification': (ctx, data) => evalRows(ctx, data, 'token-classification'),
  'masked-lm': (ctx, data) => evalRows(ctx, data, 'masked-lm'),
  'question-answering': evalQa,
};

/** `xlm eval` of a classification, tagging or masked-LM file (the task from the data's columns when not given). */
async function evalRows(ctx: CommandContext, data: string, task: EvalTask | undefined): Promise<number> {
  const model = (await modelDir(ctx));
  const probability = ctx.values['mlm-probability'] === undefined ? undefined : flagNumber(ctx.values['mlm-probability']);
  if (probability !== undefined && !(probability > 0 && probability < 1)) {
    throw new XlmError('cli-bad-flag', `--mlm-probability is "${String(ctx.values['mlm-probability'])}"; expected a number between 0 and 1`, { what: '--mlm-probability' });
  }
  // Where the results go is checked before the work: a bad path fails at once and writes nothing.
  const out = evalJsonPath(ctx.values.out as string | undefined, model);
  const predictions = ctx.values.predictions as string | undefined;
  checkOutputs(out, predictions, 'predictions.jsonl');
  const showProgress = ctx.io.stderr.isTTY === true && ctx.values.json !== true;
  const result = await evaluate({
    model,
    data,
    task,
    readOptions: readOptionsFromFlags(ctx.values),
    batchSize: ctx.int('batch-size'),
    maxLength: ctx.values['max-length'] === undefined ? undefined : positiveInt(ctx.values['max-length'], '--max-length', 0),
    mlm: { probability, seed: ctx.values.seed === undefined ? undefined : positiveIntOrZero(ctx.values.seed) },
    models: ctx.models(),
    signal: ctx.io.signal,
    onProgress: showProgress ? ({ done, total }) => ctx.io.stderr.write(`\revaluating ${done}/${total}${done === total ? '\n' : ''}`) : undefined,
  });
  const json = evalJson(result, flagOf);
  // The predictions first: if they cannot be written, the earlier eval.json is still there.
  if (predictions) writePredictions(resolve(predictions), result);
  writeJsonFile(out, json);
  if (ctx.values.json) printJson(ctx.io, json);
  else ctx.io.stdout.write(`${formatEvalReport(result, flagOf)}\nwrote ${out}${predictions ? ` and ${resolve(predictions)}` : ''}\n`);
  return 0;
}

/** `xlm eval --task qa`: answers every question, prints the SQuAD and per-language scores, writes eval.json and the predictions. */
async function evalQa(ctx: CommandContext, data: string): Promise<number> {
  const model = await modelDir(ctx);
  const read = readOptionsFromFlags(ctx.values);
  const out = evalJsonPath(ctx.values.out as string | undefined, model);
  const file = ctx.values.predictions as string | undefined;
  checkOutputs(out, file, 'predictions.json');
  const optional = (flag: string) => (ctx.values[flag] === undefined ? undefined : flagNumber(ctx.values[flag]));
  const { report, predictions } = await evaluateQaFile(await ctx.models().model(model), data, { onError: read.onError, maxErrors: read.maxErrors, language: read.language, onlyLanguages: read.onlyLanguages }, {
    batchSize: ctx.int('batch-size'),
    maxLength: ctx.values['max-length'] === undefined ? undefined : positiveInt(ctx.values['max-length'], '--max-length', 0),
    stride: ctx.values.stride === undefined ? undefined : positiveIntOrZero(ctx.values.stride, '--stride'),
    decode: {
      ...(ctx.values['n-best'] === undefined ? {} : { nBest: positiveInt(ctx.values['n-best'], '--n-best', 20) }),
      ...(ctx.values['max-answer-length'] === undefined ? {} : { maxAnswerLength: positiveInt(ctx.values['max-answer-length'], '--max-answer-length', 30) }),
      ...(optional('null-threshold') === undefined ? {} : { nullThreshold: finite(optional('null-threshold')!, '--null-threshold') }),
    },
  });
  if (file) writeWhole(resolve(file), JSON.stringify(predictions, null, 2) + '\n');
  writeJsonFile(out, report);
  if (ctx.values.json) printJson(ctx.io, report);
  else ctx.io.stdout.write(`${formatQaReport(report)}\nwrote ${out}${file ? ` and ${resolve(file)}` : ''}\n`);
  return 0;
}

function finite(n: number, flag: string): number {
  if (!Number.isFinite(n)) throw new XlmError('cli-bad-flag', `${flag} must be a number`, { what: flag });
  return n;
}

function checkOutputs(out: string, predictions: string | undefined, predictionsName: string): void {
  assertWritableFilePath(out, '--out', 'eval.json');
  if (predictions) assertWritableFilePath(resolve(predictions), '--predictions', predictionsName);
}

/** --out as a folder (eval.json inside) or a .json file; the model folder by default. */
export function evalJsonPath(out: string | undefined, model: string): string {
  if (out === undefined) return join(model, 'eval.json');
  return out.toLowerCase().endsWith('.json') ? resolve(out) : join(resolve(out), 'eval.json');
}

function positiveIntOrZero(value: unknown, flag = '--seed'): number {
  const n = flagNumber(value);
  if (!Number.isInteger(n) || n < 0) throw new XlmError('cli-bad-flag', `${flag} is "${String(value)}"; expected a whole number`, { what: flag });
  return n;
}
