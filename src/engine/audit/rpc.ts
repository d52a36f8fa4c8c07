/**
 * The engine side of data/audit: auditLabels on the file with the request's model (or the active one), its progress
 * forwarded as data/auditProgress, the request's cancellation aborting the features or the folds.
 */
import { XlmError } from '../errors.js';
import { dataAuditProgress, type DataAuditParams, type DataAuditResult } from '../rpc/protocol.js';
import type { HandlerContext } from '../rpc/server.js';
import { auditLabels, type AuditProgress } from './audit.js';

export async function auditRequest(params: DataAuditParams, ctx: HandlerContext, activeModel: string | undefined): Promise<DataAuditResult> {
  const model = params.model ?? activeModel;
  if (!model) throw new XlmError('no-model', 'no model is loaded and none was named; an audit fine-tunes from a model (select one first)');
  const abort = new AbortController();
  const sub = ctx.token.onCancellationRequested(() => abort.abort());
  try {
    const report = await auditLabels({
      model, file: params.file, folds: params.noFolds ? 0 : (params.folds ?? 5), ...(params.method ? { method: params.method } : {}), out: params.out, signal: abort.signal,
      onProgress: (p) => ctx.notify(dataAuditProgress, { file: params.file, fraction: p.fraction, message: progressLine(p) }),
      onLog: (line) => ctx.log('info', `audit: ${line}`),
    });
    return {
      report: report.report, rows: report.rows, task: report.task, folds: report.folds, labels: report.labels, ...(report.method ? { method: report.method } : {}),
      ...(report.agreement !== undefined ? { agreement: report.agreement } : {}), ...(report.caution ? { caution: report.caution } : {}),
      flags: report.flags.map((f) => ({
        kind: f.kind, line: f.line, column: f.column, endColumn: f.endColumn, given: f.given, score: f.score, message: f.message,
        ...(f.suggested !== undefined ? { suggested: f.suggested } : {}), ...(f.suggestedProbability !== undefined ? { suggestedProbability: f.suggestedProbability } : {}), ...(f.fix ? { fix: f.fix } : {}), ...(f.token !== undefined ? { token: f.token } : {}),
      })),
    };
  } finally {
    sub.dispose();
  }
}

/** The progress notification's line. */
export function progressLine(p: AuditProgress): string {
  if (p.phase === 'features') return `reading rows with the model, ${p.step}/${p.totalSteps}`;
  if (p.phase === 'neighbours') return `nearest rows${p.passes && p.passes > 1 ? `, pass ${p.pass}/${p.passes}` : ''}, fold ${p.fold}/${p.folds}`;
  if (p.phase === 'fold') return `fold ${p.fold}/${p.folds}: ${p.method === 'lora' ? 'fine-tuning' : 'fitting'}, step ${p.step}/${p.totalSteps}`;
  if (p.phase === 'predicting') return p.fold ? `fold ${p.fold}/${p.folds}: predicting its rows` : 'predicting every row';
  if (p.phase === 'checks') return 'confident learning, duplicates, languages and lengths';
  return p.phase === 'loading' ? 'reading the file' : 'done';
}
