/**
 * `xlm hub download|ls|rm`: the hub module behind a terminal. Each command takes its already-parsed flags and
 * a `CliIo` (streams, environment, clock), prints, and resolves to the exit code, so main.ts wires each with
 * one line, e.g. `case 'download': return hubDownload({ repo: positional[0], revision: flags.revision, ... })`.
 * Results go to stdout (a path, or one JSON document with --json); progress and notes go to stderr.
 */
import { describeError, isXlmError } from '../errors.js';
import { listCachedModels, removeCachedModel, type CachedModel } from '../hub/cache-scan.js';
import { downloadRepo } from '../hub/download.js';
import { MODEL_PRESETS, findPreset } from '../hub/presets.js';
import type { DownloadProgress } from '../hub/progress.js';
import { hubSettings } from '../hub/settings.js';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where a command reads and writes; tests pass their own. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  now: () => number;
  /** Cancels the command; without one, Ctrl-C (SIGINT) cancels a download and keeps its partial files. */
  signal?: AbortSignal;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, now: Date.now };
}

/** `xlm hub download REPO [--revision R] [--include P,...] [--exclude P,...] [--token T] [--offline] [--concurrency N] [--json]` */
export interface HubDownloadArgs {
  repo: string;
  revision?: string;
  /** fnmatch patterns (a list, or one comma-separated string); they replace the default file choice. */
  include?: string[] | string;
  exclude?: string[] | string;
  token?: string;
  offline?: boolean;
  concurrency?: number;
  json?: boolean;
}

/** `xlm hub ls [--presets] [--json]` */
export interface HubListArgs {
  /** Also list the preset models, cached or not, with their approximate sizes. */
  presets?: boolean;
  json?: boolean;
}

/** `xlm hub rm REPO [--revision R] [--json]` */
export interface HubRemoveArgs {
  repo: string;
  revision?: string;
  json?: boolean;
}

export const EXIT_OK = 0;
export const EXIT_USER_ERROR = 1;
export const EXIT_CANCELLED = 130;

function patterns(value: string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

/** Decimal units, as the Hub shows sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** Runs a command body, turning user errors into a message and an exit code; bugs keep their stack. */
async function guarded(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (!isXlmError(e)) throw e;
    io.stderr.write(`error: ${describeError(e)}\n`);
    return e.code === 'cancelled' ? EXIT_CANCELLED : EXIT_USER_ERROR;
  }
}

export function hubDownload(args: HubDownloadArgs, io: CliIo = processIo()): Promise<number> {
  return guarded(io, async () => {
    const settings = hubSettings({ token: args.token, offline: args.offline }, io.env);
    const preset = findPreset(args.repo);
    if (preset && !preset.runsAsDownloaded) io.stderr.write(`note: ${preset.note}\n`);
    const printer = new ProgressPrinter(io);
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    if (!io.signal) process.once('SIGINT', onSigint);
    const started = io.now();
    try {
      const result = await downloadRepo(args.repo, {
        settings,
        revision: args.revision,
        include: patterns(args.include),
        exclude: patterns(args.exclude),
        concurrency: args.concurrency,
        signal: io.signal ?? interrupt.signal,
        onProgress: (p) => printer.update(p),
      });
      printer.finish();
      if (args.json) {
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return EXIT_OK;
      }
      const seconds = (io.now() - started) / 1000;
      const what = result.fromCache
        ? `${args.repo} is in the cache (offline mode: nothing was checked online)`
        : `${args.repo}: ${result.files.length} files, ${formatBytes(result.bytesDownloaded)} downloaded in ${formatDuration(seconds)}`;
      io.stderr.write(`${what}; revision ${result.revision} = commit ${result.commit.slice(0, 10)}\n`);
      if (result.skipped.length) io.stderr.write(`skipped (use --include to take them): ${result.skipped.join(', ')}\n`);
      io.stdout.write(`${result.folder}\n`);
      return EXIT_OK;
    } finally {
      printer.finish();
      process.removeListener('SIGINT', onSigint);
    }
  });
}

/** A bar redrawn in place on a terminal; elsewhere (logs, CI) a plain line every few seconds and one per file. */
export class ProgressPrinter {
  private lastDraw = -Infinity;
  private drawn = false;
  private filesDone = 0;

  constructor(
    private readonly io: CliIo,
    private readonly plainEveryMs = 5000,
    private readonly redrawEveryMs = 100,
  ) {}

  update(p: DownloadProgress): void {
    const now = this.io.now();
    // The tracker counts a file done in the event for that file, so a rise in the count names it.
    const fileDone = p.filesDone > this.filesDone;
    this.filesDone = p.filesDone;
    if (this.io.stderr.isTTY) {
      if (now - this.lastDraw < this.redrawEveryMs && p.overallBytes < p.overallTotal) return;
      this.lastDraw = now;
      this.drawn = true;
      const width = Math.max(40, (this.io.stderr.columns ?? 100) - 1);
      this.io.stderr.write(`\r\x1b[K${barLine(p, width)}`);
      return;
    }
    if (fileDone) this.io.stderr.write(`${p.repoId}: ${p.file} done (${formatBytes(p.total ?? p.bytes)}), ${p.filesDone}/${p.filesTotal} files\n`);
    else if (now - this.lastDraw >= this.plainEveryMs) {
      this.lastDraw = now;
      this.io.stderr.write(`${p.repoId}: ${plainSummary(p)}\n`);
    }
  }

  finish(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

function percent(p: DownloadProgress): number {
  return p.overallTotal > 0 ? Math.floor((100 * p.overallBytes) / p.overallTotal) : 100;
}

function plainSummary(p: DownloadProgress): string {
  const eta = p.etaSeconds === null ? 'ETA unknown' : `ETA ${formatDuration(p.etaSeconds)}`;
  return `${percent(p)}% (${formatBytes(p.overallBytes)} of ${formatBytes(p.overallTotal)}), ${formatBytes(p.bytesPerSecond)}/s, ${eta}, now ${p.file}`;
}

function barLine(p: DownloadProgress, width: number): string {
  const cells = 20;
  const filled = Math.round((cells * percent(p)) / 100);
  const eta = p.etaSeconds === null ? '--:--' : formatDuration(p.etaSeconds);
  const line =
    `${p.repoId} [${'#'.repeat(filled)}${'-'.repeat(cells - filled)}] ${percent(p)}% ` +
    `${formatBytes(p.overallBytes)}/${formatBytes(p.overallTotal)} ${formatBytes(p.bytesPerSecond)}/s ETA ${eta} ${p.file}`;
  return line.length > width ? line.slice(0, width) : line;
}

function refsOrCommit(model: CachedModel): string {
  return model.revisions.map((r) => (r.refs.length ? `${r.refs.join(',')} (${r.commit.slice(0, 7)})` : r.commit.slice(0, 7))).join(' ');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd()).join('\n') + '\n';
}

export function hubList(args: HubListArgs, io: CliIo = processIo()): Promise<number> {
  return guarded(io, async () => {
    const settings = hubSettings({}, io.env);
    const models = listCachedModels(settings);
    const presets = args.presets
      ? MODEL_PRESETS.map((p) => ({ ...p, cachedBytes: models.find((m) => m.repoId === p.id)?.sizeOnDisk ?? null }))
      : undefined;
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ cacheDir: settings.cacheDir, models, ...(presets ? { presets } : {}) }, null, 2)}\n`);
      return EXIT_OK;
    }
    if (models.length === 0) io.stdout.write(`No models in the Hugging Face cache at ${settings.cacheDir}.\n`);
    else {
      const rows = [['REPO', 'REVISIONS', 'SIZE', 'MODIFIED', 'PATH']];
      for (const m of models) {
        const modified = m.lastModified ? new Date(m.lastModified).toISOString().slice(0, 16).replace('T', ' ') : '-';
        const partial = m.incompleteBytes ? ` (+${formatBytes(m.incompleteBytes)} partial)` : '';
        rows.push([m.repoId, refsOrCommit(m), formatBytes(m.sizeOnDisk) + partial, modified, m.folder]);
      }
      io.stdout.write(table(rows));
      const total = models.reduce((sum, m) => sum + m.sizeOnDisk, 0);
      io.stdout.write(`${models.length} models, ${formatBytes(total)} in ${settings.cacheDir}\n`);
    }
    if (presets) {
      const rows = [['PRESET', 'TASK', 'SIZE (approx.)', 'CACHED', 'NOTE']];
      for (const p of presets) rows.push([p.id, p.task, `~${formatBytes(p.approxBytes)}`, p.cachedBytes === null ? 'no' : formatBytes(p.cachedBytes), p.note]);
      io.stdout.write(`\n${table(rows)}`);
    }
    return EXIT_OK;
  });
}

export function hubRemove(args: HubRemoveArgs, io: CliIo = processIo()): Promise<number> {
  return guarded(io, async () => {
    const result = removeCachedModel(args.repo, { revision: args.revision, settings: hubSettings({}, io.env) });
    if (args.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout.write(`Removed ${args.repo}${args.revision ? ` revision ${args.revision}` : ''}: ${formatBytes(result.freedBytes)} freed.\n`);
    return EXIT_OK;
  });
}
