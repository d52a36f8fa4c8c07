/**
 * Training runs on disk: a run is a folder holding metrics.jsonl (one JSON line per step, eval lines carry
 * `eval`) and usually config.json. The dashboard is rebuilt from these files alone, so it shows the same thing after
 * a reload, for runs started from the CLI, and for runs of an engine that has since stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MetricsRecord } from '../engine/rpc/protocol.js';
import type { RunData, RunSummary } from './messages.js';

const LIVE_MS = 30_000;

/** Runs (folders with metrics.jsonl or run.json) directly under each root, and the roots themselves, newest first. */
export function listRuns(roots: string[]): RunSummary[] {
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
      runs.push({ id: runId(dir), dir, steps: steps.length, lastLoss: steps.at(-1)?.loss, modified, live: Date.now() - modified < LIVE_MS });
    }
  }
  return runs.sort((a, b) => b.modified - a.modified);
}

export function runId(dir: string): string {
  return path.basename(dir);
}

export function readRun(dir: string): RunData {
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
  return { id: runId(dir), dir, config, records, badLines };
}

/**
 * Parses metrics.jsonl text. A half-written last line (the trainer is appending) is left for the next read:
 * `consumed` is the length of the complete lines.
 */
export function parseMetrics(text: string, firstLine = 1): { records: MetricsRecord[]; badLines: number[]; consumed: number } {
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
      else badLines.push(firstLine + i);
    } catch {
      badLines.push(firstLine + i);
    }
  });
  return { records, badLines, consumed: Buffer.byteLength(text.slice(0, end)) };
}

/** Follows a growing metrics.jsonl: each poll returns the records appended since the last one. */
export class MetricsTail {
  private offset = 0;
  private line = 1;

  constructor(readonly file: string) {}

  poll(): MetricsRecord[] {
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return [];
    }
    if (size < this.offset) {
      this.offset = 0; // truncated or replaced: read again from the start
      this.line = 1;
    }
    if (size === this.offset) return [];
    const fd = fs.openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      const text = buf.toString('utf8');
      const { records, consumed } = parseMetrics(text, this.line);
      this.offset += consumed;
      this.line += text.slice(0, consumed).split('\n').length - 1;
      return records;
    } finally {
      fs.closeSync(fd);
    }
  }
}
