/**
 * `importRun`: what a cluster job wrote (an HF model folder with trainer_state.json and/or metrics.jsonl, from
 * the exported train.py or any transformers Trainer) as a run folder the dashboard lists: the model files, and
 * metrics.jsonl in XLM Lab's format (the job's own, or transformers' log_history converted line by line).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { XlmError, field, said } from '../errors.js';
import { writeFileAtomic } from '../hf/atomic.js';
import { loadModelFolder } from '../hf/folder.js';
import type { MetricsRecord } from '../rpc/protocol.js';
import { TRAINER_STATE_FILE } from '../train/checkpoint.js';
import { JOB_SETTINGS_FILE } from './export.js';

const METRICS_FILE = 'metrics.jsonl';
/** Where an imported run says it came from (the dashboard shows a run's settings file; run.json is the editor's). */
export const IMPORTED_FILE = 'imported.json';
/** transformers' eval_* keys that are timings, not metrics. */
const EVAL_TIMINGS = new Set(['runtime', 'samples_per_second', 'steps_per_second']);

export interface ImportRunResult {
  run: string;
  records: number;
  evalRecords: number;
  lastEval?: Record<string, number>;
}

/** The job's output folder: DIR itself, or DIR/output when DIR is the job folder. */
function outputFolder(dir: string): string {
  if (existsSync(join(dir, JOB_SETTINGS_FILE)) && existsSync(join(dir, 'output', 'config.json'))) return join(dir, 'output');
  return dir;
}

/** XLM Lab's records from metrics.jsonl lines; a line that is not a record is an error naming its line. */
function readMetricsFile(file: string): MetricsRecord[] {
  const records: MetricsRecord[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new XlmError('bad-metrics', `not a JSON line: ${(e as Error).message}`, { file, line: i + 1 });
    }
    if (!record || typeof record !== 'object' || typeof (record as MetricsRecord).step !== 'number') {
      throw new XlmError('bad-metrics', 'a metrics line needs a numeric "step"', { file, line: i + 1 });
    }
    records.push(record as MetricsRecord);
  });
  return records;
}

/** One entry of transformers' log_history (or of XLM Lab's, which is already a record) as a record; undefined for summaries. */
export function recordOfLogEntry(entry: Record<string, unknown>): MetricsRecord | undefined {
  const step = entry.step;
  if (typeof step !== 'number') return undefined;
  const epoch = typeof entry.epoch === 'number' ? entry.epoch : 0;
  if (entry.eval && typeof entry.eval === 'object') return entry as unknown as MetricsRecord;
  const evalKeys = Object.keys(entry).filter((k) => k.startsWith('eval_') && typeof entry[k] === 'number' && !EVAL_TIMINGS.has(k.slice(5)));
  if (evalKeys.length) return { step, epoch, eval: Object.fromEntries(evalKeys.map((k) => [k.slice(5), entry[k] as number])) };
  if (typeof entry.loss !== 'number') return undefined;
  const lr = entry.lr ?? entry.learning_rate;
  return {
    step, epoch, loss: entry.loss,
    ...(typeof lr === 'number' ? { lr } : {}),
    ...(typeof entry.grad_norm === 'number' ? { grad_norm: entry.grad_norm } : {}),
    ...(typeof entry.examples_per_s === 'number' ? { examples_per_s: entry.examples_per_s } : {}),
    ...(typeof entry.tokens_per_s === 'number' ? { tokens_per_s: entry.tokens_per_s } : {}),
  };
}

function recordsOfTrainerState(file: string): MetricsRecord[] {
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new XlmError('bad-json', `not JSON: ${(e as Error).message}`, { file });
  }
  const history = (state as { log_history?: unknown }).log_history;
  if (!Array.isArray(history)) throw new XlmError('bad-trainer-state', 'has no log_history list', { file, what: 'log_history' });
  return history.flatMap((entry) => (entry && typeof entry === 'object' ? [recordOfLogEntry(entry as Record<string, unknown>)].filter((r): r is MetricsRecord => !!r) : []));
}

export function importRun(dirArg: string, runsRoot: string, name?: string): ImportRunResult {
  const source = outputFolder(resolve(dirArg));
  if (!existsSync(source) || !statSync(source).isDirectory()) throw new XlmError('folder-missing', 'not a folder; expected a job folder or its output folder', { file: source });
  const metricsFile = join(source, METRICS_FILE);
  const stateFile = join(source, TRAINER_STATE_FILE);
  if (!existsSync(metricsFile) && !existsSync(stateFile)) {
    throw new XlmError('not-a-job-output', `neither ${METRICS_FILE} nor ${TRAINER_STATE_FILE} here; expected what a job wrote (its output folder)`, { file: source });
  }
  // The model must load as XLM Lab loads it, before anything is written.
  loadModelFolder(source).close();
  const records = existsSync(metricsFile) ? readMetricsFile(metricsFile) : recordsOfTrainerState(stateFile);
  const jobName = basename(source) === 'output' ? basename(dirname(source)) : basename(source);
  const root = resolve(runsRoot);
  let run = join(root, name ?? jobName);
  if (!name) for (let k = 2; existsSync(run); k++) run = join(root, `${jobName}-${k}`);
  else if (existsSync(run) && readdirSync(run).length) throw new XlmError('run-exists', said`a run of this name exists; choose another ${field('name')}`, { file: run });
  mkdirSync(run, { recursive: true });
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    // Checkpoint folders stay with the job; the run keeps the final model and its curves.
    if (entry.isFile() && entry.name !== METRICS_FILE) copyFileSync(join(source, entry.name), join(run, entry.name));
  }
  writeFileAtomic(join(run, METRICS_FILE), records.map((r) => JSON.stringify(r) + '\n').join(''));
  const jobSettings = join(dirname(source), JOB_SETTINGS_FILE);
  const settings = existsSync(jobSettings) ? (JSON.parse(readFileSync(jobSettings, 'utf8')) as Record<string, unknown>) : undefined;
  writeFileAtomic(join(run, IMPORTED_FILE), JSON.stringify({ importedFrom: source, imported: new Date().toISOString(), ...(settings ? { task: settings.task, method: settings.method, source: settings.source } : {}) }, null, 2) + '\n');
  const evals = records.filter((r) => r.eval);
  return { run, records: records.length, evalRecords: evals.length, lastEval: evals.at(-1)?.eval };
}
