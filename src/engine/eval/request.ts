/**
 * The engine's eval/run request: the extension's task names mapped onto evaluate()'s, the active model when
 * none is named, cancellation from the request's token, and the protocol's result shape.
 */
import { XlmError } from '../errors.js';
import type { EvalRunParams, EvalRunResult, TrainTask } from '../rpc/protocol.js';
import type { ModelCache } from '../runtime/model-cache.js';
import { looksLikeQa } from '../data/index.js';
import { evaluateQaFile } from '../qa/evaluate.js';
import { evaluate, type EvalTask } from './evaluate.js';

const TASK_OF: Record<Exclude<TrainTask, 'question-answering'>, EvalTask> = {
  'sequence-classification': 'seq-cls',
  'pair-classification': 'nli',
  'token-classification': 'token-cls',
  'masked-lm': 'mlm',
};

export interface EvalRequestContext {
  models: ModelCache;
  /** The engine's active model, used when the request names none. */
  activeModel?: string;
  /** The request's cancellation token. */
  cancel?: { isCancellationRequested: boolean; onCancellationRequested(listener: () => void): { dispose(): void } };
}

export async function evalRequest(params: EvalRunParams, ctx: EvalRequestContext): Promise<EvalRunResult> {
  const model = params.model ?? ctx.activeModel;
  if (!model) throw new XlmError('no-model', 'no model is loaded and none was named; eval/run needs a model folder');
  if (params.task === 'question-answering' || (params.task === undefined && looksLikeQa(params.data))) return evalQaRequest(model, params, ctx);
  const abort = new AbortController();
  if (ctx.cancel?.isCancellationRequested) abort.abort();
  const subscription = ctx.cancel?.onCancellationRequested(() => abort.abort());
  try {
    const result = await evaluate({
      model,
      data: params.data,
      task: params.task ? TASK_OF[params.task] : undefined,
      batchSize: params.batchSize,
      models: ctx.models,
      signal: abort.signal,
    });
    const out: EvalRunResult = { metrics: result.metrics, perLanguage: result.perLanguage, examples: result.examples };
    if (result.confusion) {
      out.confusion = result.confusion.matrix;
      out.labels = result.confusion.labels;
    }
    return out;
  } finally {
    subscription?.dispose();
  }
}

/**
 * A SQuAD-format file: every question answered (xlm eval --task qa's windows and decoding), exact match and F1 by
 * each language's rules, pooled and per language. Fractions, as the other tasks' accuracy and F1 are here.
 */
async function evalQaRequest(model: string, params: EvalRunParams, ctx: EvalRequestContext): Promise<EvalRunResult> {
  const { report } = await evaluateQaFile(await ctx.models.model(model), params.data, {}, { batchSize: params.batchSize, cancel: ctx.cancel });
  const perLanguage = Object.fromEntries(Object.entries(report.per_language).map(([lang, s]) => [lang, { exact_match: s.exact_match / 100, f1: s.f1 / 100 }]));
  return { metrics: { exact_match: report.exact_match / 100, f1: report.f1 / 100 }, perLanguage, examples: report.questions };
}
