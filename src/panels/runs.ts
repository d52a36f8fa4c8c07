/**
 * Training runs on disk: a run is a folder holding metrics.jsonl (one JSON line per step, eval lines carry
 * `eval`) and usually config.json. The dashboard is rebuilt from these files alone, so it shows the same thing after
 * a reload, for runs started from the CLI, and for runs of an engine that has since stopped; while a run of the
 * engine trains, its train/metrics notifications bring the same records as they are written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MetricsRecord } from '../engine/rpc/protocol.js';
import type { RunData, RunSummary, RunVerdict } from './messages.js';

const LIVE_MS = 30_000;

/**
 * Runs (folders with metrics.jsonl or run.json) directly under each root, and the roots themselves, newest first.
 * `training`: the runs the engine is training now, when known: a stopped run (a checkpoint, no final model) is
 * marked stopped, and offered for resuming, as soon as the engine no longer trains it; without it, only once its
 * files are LIVE_MS old.
 */
export function listRuns(roots: string[], training?: ReadonlySet<string>): RunSummary[] {
  const runs: RunSummary[] = [];
  const seen = new Set<string>();
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    const candidates = [root, ...fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(root, d.name))];
    for (const dir of candidates) {
      const file = path.join(dir, 'metrics.jsonl');
      const settings = path.join(dir, 'run.json');
      // A run that has just started has run.json and no metrics yet: list it, so the dashboard can follow it.
      const hasMetrics = fs.existsSync(file);
      if (seen.has(dir) || (!hasMetrics && !fs.existsSync(settings))) continue;
      seen.add(dir);
      const { records } = hasMetrics ? parseMetrics(fs.readFileSync(file, 'utf8')) : { records: [] };
      const steps = records.filter((r) => r.loss !== undefined);
      const modified = fs.statSync(hasMetrics ? file : settings).mtimeMs;
      const verdict = readVerdict(dir);
      const id = runId(dir);
      const recent = Date.now() - modified < LIVE_MS;
      const trainingNow = training?.has(id) ?? false;
      const checkpointed = !verdict && fs.existsSync(settings) && !hasFinalModel(dir) && fs.readdirSync(dir).some((f) => f.startsWith('checkpoint-'));
      const stopped = checkpointed && !trainingNow && (training !== undefined || !recent);
      runs.push({
        // Live: training here, or written to lately by something else (a command-line run) and not finished. A run
        // just finished or imported is recent and not live, and neither is a run of the editor the engine does not train.
        id, dir, steps: steps.at(-1)?.step ?? 0, lastLoss: steps.at(-1)?.loss, modified,
        live: trainingNow || (recent && !verdict && !fs.existsSync(path.join(dir, 'trainer_state.json')) && !(training && fs.existsSync(settings))), state: verdict ? 'finished' : stopped ? 'stopped' : 'unknown', learned: verdict?.learned,
        hasModel: hasFinalModel(dir) && fs.existsSync(path.join(dir, 'config.json')),
        ...(verdict?.finalLoss === undefined ? {} : { finalLoss: { value: verdict.finalLoss, steps: verdict.finalLossSteps } }),
      });
    }
  }
  // Folders opened from elsewhere may share a name with a local run (two jobs' "output"): the parent tells them apart.
  const byId = new Map<string, number>();
  for (const r of runs) byId.set(r.id, (byId.get(r.id) ?? 0) + 1);
  for (const r of runs) if (byId.get(r.id)! > 1) r.id = `${path.basename(path.dirname(r.dir))}/${r.id}`;
  return runs.sort((a, b) => b.modified - a.modified);
}

/** A run's final model: full weights, or a LoRA adapter (written when training finished, not by a stop). */
function hasFinalModel(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.safetensors')) || fs.existsSync(path.join(dir, 'adapter_model.safetensors'));
}

export function runId(dir: string): string {
  return path.basename(dir);
}

export function readRun(dir: string, id = runId(dir)): RunData {
  const text = fs.existsSync(path.join(dir, 'metrics.jsonl')) ? fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8') : '';
  const { records, badLines } = parseMetrics(text);
  // run.json holds what the run was asked to do; a run started elsewhere (the CLI) may only have config.json.
  let config: Record<string, unknown> = {};
  for (const name of ['run.json', 'config.json']) {
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
      break;
    } catch {
      // A run without a readable settings file still has curves worth drawing.
    }
  }
  return { id, dir, config, records, badLines, verdict: readVerdict(dir) };
}

/** RUN/verdict.json, written when a run finishes (src/engine/train/verdict.ts). */
function readVerdict(dir: string): RunVerdict | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, 'verdict.json'), 'utf8')) as RunVerdict;
    return typeof v.learned === 'boolean' && Array.isArray(v.reasons) && Array.isArray(v.advice) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses metrics.jsonl text. A half-written last line (the trainer is appending) is neither a record nor a bad line:
 * the next read has it whole.
 */
export function parseMetrics(text: string): { records: MetricsRecord[]; badLines: number[] } {
  const records: MetricsRecord[] = [];
  const badLines: number[] = [];
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end).split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const r: unknown = JSON.parse(line);
      if (r && typeof r === 'object' && typeof (r as MetricsRecord).step === 'number') records.push(r as MetricsRecord);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  });
  return { records, badLines };
}

/**
 * The newest record the dashboard has of each shown run. The trainer appends a record to metrics.jsonl and then
 * notifies it, so a notification that arrives after the file was read may bring a record the read already had.
 * A run's records come in order: steps grow, and a step's eval line follows its training line.
 */
export class ShownRecords {
  private readonly newest = new Map<string, number>();

  constructor(runs: readonly RunData[]) {
    for (const run of runs) this.newest.set(run.id, Math.max(-1, ...run.records.map(order)));
  }

  /** Whether `record` of run `runId` is new to the dashboard (and now counted as shown); false for a run not shown. */
  take(runId: string, record: MetricsRecord): boolean {
    const newest = this.newest.get(runId);
    if (newest === undefined || order(record) <= newest) return false;
    this.newest.set(runId, order(record));
    return true;
  }
}

/** A record's place in its run: its step, the eval line just after the training line. */
function order(record: MetricsRecord): number {
  return record.step * 2 + (record.eval ? 1 : 0);
}
