/**
 * `xlm hub download|ls|rm`: the hub module behind a terminal. `hubDownload`, `hubList` and `hubRemove` take
 * parsed options and a CliIo, print, and resolve to the exit code (user errors printed as one `xlm:` line);
 * the CommandSpecs at the end wrap them for the command table in commands.ts. Results go to stdout (the
 * snapshot path, or one JSON document with --json); progress and notes go to stderr.
 */
import { flagOf } from './option-flags.js';
import { XlmError, describeError, isXlmError } from '../errors.js';
import { listCachedModels, removeCachedModel, type CachedModel } from '../hub/cache-scan.js';
import { downloadRepo } from '../hub/download.js';
import { MODEL_PRESETS, findPreset } from '../hub/presets.js';
import { formatBytes, type DownloadProgress } from '../hub/progress.js';
import { hubSettings } from '../hub/settings.js';
import type { CommandSpec } from './command.js';
import { downloadQuestions } from './confirm-download.js';
import { positiveInt, printJson } from './inputs.js';
import { EXIT_CANCELLED, EXIT_OK, EXIT_USER_ERROR, processIo, type CliIo } from './io.js';

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
  /** Download 1 GB or more without asking. */
  yes?: boolean;
  /** Stops the download (Ctrl-C in the CLI); partial files stay for the next time. */
  signal?: AbortSignal;
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

function patterns(value: string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
  return list.length ? list : undefined;
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
    io.stderr.write(`xlm: ${describeError(e, flagOf)}\n`);
    return e.code === 'cancelled' ? EXIT_CANCELLED : EXIT_USER_ERROR;
  }
}

export function hubDownload(args: HubDownloadArgs, io: CliIo = processIo()): Promise<number> {
  return guarded(io, async () => {
    const settings = hubSettings({ token: args.token, offline: args.offline }, io.env);
    const preset = findPreset(args.repo);
    if (preset && !preset.runsAsDownloaded) io.stderr.write(`note: ${preset.note}\n`);
    const printer = new ProgressPrinter(io);
    const started = io.now();
    try {
      const result = await downloadRepo(args.repo, {
        settings,
        revision: args.revision,
        include: patterns(args.include),
        exclude: patterns(args.exclude),
        concurrency: args.concurrency,
        ...(args.signal ?? io.signal ? { signal: args.signal ?? io.signal } : {}),
        onProgress: (p) => printer.update(p),
        ...downloadQuestions(io, args.yes === true),
      });
      printer.finish();
      if (args.json) {
        printJson(io, result);
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
      printJson(io, { cacheDir: settings.cacheDir, models, ...(presets ? { presets } : {}) });
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
    if (args.json) printJson(io, result);
    else io.stdout.write(`Removed ${args.repo}${args.revision ? ` revision ${args.revision}` : ''}: ${formatBytes(result.freedBytes)} freed.\n`);
    return EXIT_OK;
  });
}

// ---------------------------------------------------------------------------------------------- command table entries

function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function onlyRepo(positionals: string[], usage: string): string {
  if (positionals.length !== 1) {
    throw new XlmError('cli-bad-args', `expected one repo id (ORG/NAME), got ${positionals.length ? positionals.join(' ') : 'none'} (usage: ${usage})`);
  }
  return positionals[0];
}

export const hubDownloadCommand: CommandSpec = {
  name: 'hub download',
  summary: 'download a model repo from the Hugging Face Hub into the HF cache (shared with Python)',
  args: 'REPO',
  options: {
    revision: { type: 'string', arg: 'R', help: 'branch, tag or commit (default main)' },
    include: { type: 'string', multiple: true, arg: 'PATTERNS', help: 'only files matching these fnmatch patterns (comma-separated or repeated); replaces the default choice' },
    exclude: { type: 'string', multiple: true, arg: 'PATTERNS', help: 'leave out files matching these patterns' },
    token: { type: 'string', arg: 'TOKEN', help: 'access token for private or gated repos (default: HF_TOKEN, then HF_HOME/token)' },
    offline: { type: 'boolean', help: 'never touch the network: report what the cache has (also HF_HUB_OFFLINE=1)' },
    concurrency: { type: 'string', arg: 'N', help: 'files fetched at once (default 4)' },
    yes: { type: 'boolean', help: 'download 1 GB or more without asking (needed where there is no terminal to ask on)' },
  },
  details: [
    'Default files: configs, tokenizers and one set of weights (safetensors; else fp32 ONNX with the merged decoder; else PyTorch).',
    'The cache is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub; HF_ENDPOINT selects a mirror.',
    'Ctrl-C stops the download; partial files are kept and resumed next time. Prints the snapshot folder.',
    'The size is stated first; 1 GB or more is asked before (--yes skips the question), and a download the free disk space cannot hold is refused.',
  ],
  run: (ctx) =>
    hubDownload(
      {
        repo: onlyRepo(ctx.positionals, 'xlm hub download REPO'),
        revision: ctx.values.revision as string | undefined,
        include: stringList(ctx.values.include),
        exclude: stringList(ctx.values.exclude),
        token: ctx.values.token as string | undefined,
        offline: Boolean(ctx.values.offline),
        concurrency: ctx.values.concurrency === undefined ? undefined : positiveInt(ctx.values.concurrency, '--concurrency', 4),
        json: Boolean(ctx.values.json),
        yes: ctx.values.yes === true,
        signal: ctx.cancelSignal(),
      },
      ctx.io,
    ),
};

export const hubListCommand: CommandSpec = {
  name: 'hub ls',
  summary: 'list the models in the HF cache with their revisions and size on disk',
  options: { presets: { type: 'boolean', help: 'also list the preset models and their approximate sizes' } },
  run: (ctx) => hubList({ presets: Boolean(ctx.values.presets), json: Boolean(ctx.values.json) }, ctx.io),
};

export const hubRemoveCommand: CommandSpec = {
  name: 'hub rm',
  summary: 'remove a model (or one revision of it) from the HF cache',
  args: 'REPO',
  options: { revision: { type: 'string', arg: 'R', help: 'remove only this commit, branch or tag; blobs other revisions use stay' } },
  run: (ctx) =>
    hubRemove({ repo: onlyRepo(ctx.positionals, 'xlm hub rm REPO'), revision: ctx.values.revision as string | undefined, json: Boolean(ctx.values.json) }, ctx.io),
};
