/**
 * `xlm data audit --model DIR FILE`: rows whose label is likely wrong (confident learning over out-of-fold
 * probabilities from k-fold logistic regression on the model's frozen features, or k-fold LoRA fine-tuning, or the
 * model's own predictions with --no-folds), conflicting
 * duplicates, rows in another language than their language value's others, and rows far longer than the rest;
 * each at the file:line:column of the value, with the suggested label and a score. Writes OUT/audit.json.
 */
import { join, parse } from 'node:path';
import { auditLabels, type AuditFlag, type AuditReport } from '../audit/audit.js';
import { AUDIT_METHODS, DEFAULT_FOLD_TRAINING, describeEstimate, type AuditMethod, type FoldTraining } from '../audit/probabilities.js';
import { XlmError } from '../errors.js';
import type { CommandSpec, OptionSpec, OptionValues } from './command.js';
import { DATA_READ_OPTIONS, readOptionsFromFlags } from './data-flags.js';
import { flagNumber, MODEL_OPTION, modelDir, positiveInt, printJson } from './inputs.js';
import { flagOf } from './option-flags.js';

const d = DEFAULT_FOLD_TRAINING;
const OPTIONS: Record<string, OptionSpec> = {
  ...MODEL_OPTION,
  folds: { type: 'string', arg: 'K', help: 'deal the rows into K folds; each fold is predicted by a classifier trained on the others', default: 5 },
  method: { type: 'string', arg: 'M', help: "features: logistic regression on the frozen model's features (default, fast); lora: LoRA fine-tuning per fold (slow)" },
  'no-folds': { type: 'boolean', help: "use the model's own predictions (a model fine-tuned on these labels; fast, but it may have learned the very errors)" },
  out: { type: 'string', short: 'o', arg: 'DIR', help: 'run folder for audit.json and the folds (default runs/audit-NAME-STAMP)' },
  lr: { type: 'string', arg: 'LR', help: `--method lora: learning rate of each fold's fine-tuning (default ${d.lr})` },
  epochs: { type: 'string', arg: 'N', help: `--method lora: epochs of each fold (default ${d.epochs}; at least 60 steps)` },
  'batch-size': { type: 'string', arg: 'N', help: `--method lora: examples per step (default ${d.batchSize})` },
  'max-length': { type: 'string', arg: 'N', help: `tokens per row, specials included (default ${d.maxLength})` },
  'lora-r': { type: 'string', arg: 'N', help: `--method lora: LoRA rank (default ${d.loraR})` },
  seed: { type: 'string', arg: 'N', help: `seed of the folds (and of the fine-tuning) (default ${d.seed})` },
  limit: { type: 'string', arg: 'N', help: 'rows of the table (default 30; --json and audit.json hold every flag)' },
  ...DATA_READ_OPTIONS,
};

function number(values: OptionValues, name: string, fallback: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = flagNumber(v);
  if (typeof v !== 'string' || v.trim() === '' || !(n > 0)) throw new XlmError('cli-bad-flag', `--${name} is "${String(v)}"; expected a positive number`, { what: `--${name}` });
  return n;
}

export const dataAuditCommand: CommandSpec = {
  name: 'data audit',
  summary: 'find likely mislabeled rows (confident learning on out-of-fold predictions), conflicting duplicates, odd languages and lengths',
  args: 'FILE',
  options: OPTIONS,
  details: [
    "Labels: the rows are dealt into --folds K folds; each fold's rows are predicted by a classifier trained on the other",
    "folds: a logistic regression on --model's frozen features (--method features, the default; the model reads every",
    'row once) or a LoRA fine-tuning of --model (--method lora). With --method features, rows are also predicted by their',
    '20 most similar rows of the other folds (by sentence vector; with a language column, also centred on each language),',
    'and the estimate that predicts the given labels best out of fold is used. Confident learning (Northcutt et al.; cleanlab\'s',
    'find_label_issues defaults) flags the rows whose label another class confidently claims.',
    'NER files (CoNLL, JSONL tokens + tags): each word\'s tag is judged the same way.',
    'Also flagged: duplicates (equal, or equal ignoring case, punctuation and spacing) with conflicting labels; with a',
    'language column, rows that read as another language than the other rows of their value; rows 5 times the median length.',
    'Each flag: file:line:column of the value, kind, given and suggested value, score. OUT/audit.json holds them all.',
    'Ctrl-C stops at the next batch or training step (and removes an unfinished LoRA fold).',
  ],
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file) throw new XlmError('cli-bad-flag', 'data audit needs a FILE (xlm data audit --model DIR FILE)', { what: 'FILE' });
    if (ctx.positionals.length > 1) throw new XlmError('cli-bad-flag', `data audit takes one FILE, got ${ctx.positionals.length}: ${ctx.positionals.join(' ')}`, { what: 'FILE' });
    const noFolds = ctx.values['no-folds'] === true;
    if (noFolds && ctx.values.folds !== undefined) throw new XlmError('cli-bad-flag', '--folds and --no-folds exclude each other', { what: '--no-folds' });
    const method = (ctx.values.method as string | undefined) ?? 'features';
    if (!AUDIT_METHODS.includes(method as AuditMethod)) throw new XlmError('cli-bad-flag', `--method is "${method}"; expected ${AUDIT_METHODS.join(' or ')}`, { what: '--method' });
    if (noFolds && ctx.values.method !== undefined) throw new XlmError('cli-bad-flag', '--method and --no-folds exclude each other (--no-folds uses the model\'s own predictions)', { what: '--no-folds' });
    const folds = noFolds ? 0 : ctx.int('folds');
    if (!noFolds && folds < 2) throw new XlmError('cli-bad-flag', `--folds must be at least 2, got ${folds}`, { what: '--folds' });
    const training: FoldTraining = {
      lr: number(ctx.values, 'lr', d.lr), epochs: positiveInt(ctx.values.epochs, '--epochs', d.epochs), batchSize: positiveInt(ctx.values['batch-size'], '--batch-size', d.batchSize),
      maxLength: positiveInt(ctx.values['max-length'], '--max-length', d.maxLength), loraR: positiveInt(ctx.values['lora-r'], '--lora-r', d.loraR), seed: positiveInt(ctx.values.seed, '--seed', d.seed),
    };
    const limit = positiveInt(ctx.values.limit, '--limit', 30);
    const model = await modelDir(ctx);
    const out = (ctx.values.out as string | undefined) ?? join('runs', `audit-${parse(file).name}-${stamp(ctx.io.now())}`);
    const signal = ctx.cancelSignal();
    const tty = ctx.io.stderr.isTTY === true;
    let lastLine = '';
    try {
      const report = await auditLabels({
        model, file, folds, method: method as AuditMethod, training, readOptions: readOptionsFromFlags(ctx.values), out, signal,
        ...(ctx.threads ? { threads: ctx.threads } : {}),
        onLog: (line) => ctx.io.stderr.write(`${tty && lastLine ? '\r\x1b[K' : ''}xlm data audit: ${line}\n`),
        nameOption: flagOf,
        onProgress: (p) => {
          const where =
            p.phase === 'fold' ? `fold ${p.fold}/${p.folds} step ${p.step}/${p.totalSteps}` : p.phase === 'neighbours' ? `nearest rows${p.passes && p.passes > 1 ? ` pass ${p.pass}/${p.passes}` : ''} fold ${p.fold}/${p.folds}` : p.phase === 'features' ? `features ${p.step}/${p.totalSteps} rows` : p.fold ? `${p.phase} fold ${p.fold}/${p.folds}` : p.phase;
          const line = `auditing ${Math.round(p.fraction * 100)}% ${where}`;
          if (line === lastLine) return;
          lastLine = line;
          if (tty) ctx.io.stderr.write(`\r\x1b[K${line}`);
        },
      });
      if (tty) ctx.io.stderr.write('\r\x1b[K');
      lastLine = '';
      if (ctx.values.json) printJson(ctx.io, report);
      else ctx.io.stdout.write(formatAudit(report, limit));
      return 0;
    } finally {
      // A cancel or an error is said by runCli (a cancel exits 130): on a line of its own, not after the progress.
      if (tty && lastLine) ctx.io.stderr.write('\r\x1b[K');
    }
  },
};

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function formatAudit(r: AuditReport, limit: number): string {
  const lines: string[] = [];
  const c = r.counts;
  const how = !r.folds
    ? `the predictions of ${r.model}`
    : r.method === 'lora'
      ? `${r.folds}-fold LoRA fine-tuning from ${r.model} (method lora)`
      : r.estimate
        ? `${r.folds} folds on the features of ${r.model} (method features): ${describeEstimate(r.estimate)}`
        : `${r.folds}-fold logistic regression on the features of ${r.model} (method features)`;
  lines.push(`${r.file}: ${r.rows} rows, ${r.labels.length} ${r.task === 'token-cls' ? 'tags' : 'labels'}; probabilities from ${how} (${r.seconds.toFixed(1)} s)`);
  if (r.agreement !== undefined) {
    const where = r.folds ? 'out of sample' : 'in its own predictions (it has seen these labels, so a high figure proves little)';
    lines.push(`agreement: the given ${r.task === 'token-cls' ? 'tag' : 'label'} is the model's most probable ${where} for ${(100 * r.agreement).toFixed(1)}% of ${r.task === 'token-cls' ? 'words' : 'rows'}`);
  }
  if (r.caution) lines.push(`caution: ${r.caution}`);
  lines.push(`flagged: ${c.label + c.tag} ${r.task === 'token-cls' ? 'tags' : 'labels'} likely wrong, ${c.duplicate} conflicting duplicates, ${c.language} in another language, ${c.length} far longer than the rest`);
  if (r.flags.length) {
    const shown = r.flags.slice(0, limit);
    const place = (f: AuditFlag) => `${f.file}:${f.line}:${f.column}`;
    const width = Math.max(...shown.map((f) => place(f).length));
    for (const f of shown) {
      const change = f.suggested !== undefined ? `${f.given} -> ${f.suggested}` : f.given;
      // A label's flag speaks for itself; the other checks say what they compared it with ("... at line 6").
      const why = f.kind === 'label' || f.kind === 'tag' ? '' : `: ${f.message}`;
      lines.push(`${place(f).padEnd(width)}  ${f.kind.padEnd(9)} ${f.score.toFixed(3)}  ${change}${f.token !== undefined ? ` (${f.token})` : ''}${why}`);
    }
    if (r.flags.length > shown.length) lines.push(`... ${r.flags.length - shown.length} more in ${r.report}`);
  }
  lines.push(`report: ${r.report}`);
  return lines.join('\n') + '\n';
}
