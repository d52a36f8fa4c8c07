/**
 * A repo at a revision into the HF cache (huggingface_hub's snapshot_download): list the files at the
 * revision, pin the commit, choose the files, fetch a few at once, record `refs/<revision>` once every file is
 * in, and hand back the snapshot folder. Cancelling keeps partial files for the next run to resume.
 */
import { existsSync, readdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { XlmError, field, said } from '../errors.js';
import { fetchRepoFile, type FetchContext, type FetchedFile } from './blob-download.js';
import { assertRepoId, etagKind, RepoCache } from './cache-layout.js';
import { selectFiles, type FileSelection } from './file-selection.js';
import { cancelledError, offlineMissError } from './hub-errors.js';
import { DEFAULT_RETRY, type RetryPolicy } from './http.js';
import { formatBytes, ProgressTracker, type DownloadProgress } from './progress.js';
import { fetchRepoInfo, type RepoFile } from './repo-info.js';
import { DEFAULT_REVISION, hubSettings, type HubSettings } from './settings.js';

export interface DownloadOptions extends FileSelection {
  /** Branch, tag or commit hash; `main` by default. */
  revision?: string;
  /** From `hubSettings()` (environment) when absent. */
  settings?: HubSettings;
  /** Files fetched at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  retry?: Partial<RetryPolicy>;
  /** Milliseconds without bytes after which a connection is dropped and retried (default 30 s). */
  idleTimeoutMs?: number;
  /** Told the size of the download before any byte of it is fetched. */
  onPlan?: (plan: DownloadPlan) => void;
  /**
   * Asked before a download of `CONFIRM_BYTES` or more; false (or a throw) stops it before any byte is fetched.
   * Without it a large download goes ahead (library use); the CLI and the extension always pass one.
   */
  confirm?: (plan: DownloadPlan) => boolean | Promise<boolean>;
}

/** What a download will fetch, known once the repo is listed: stated first, checked against the free disk space. */
export interface DownloadPlan {
  repoId: string;
  revision: string;
  commit: string;
  files: number;
  /** Bytes of the chosen files. */
  totalBytes: number;
  /** Bytes not in the cache yet (what will come over the network). */
  bytesToFetch: number;
  /** Free bytes on the cache's disk, when the platform says. */
  freeBytes?: number;
  cacheDir: string;
}

/** Downloads from this size on are confirmed first (the CLI's --yes, the extension's dialog). */
export const CONFIRM_BYTES = 1e9;
/** Left free on the disk after a download, so the cache never fills it to the last byte. */
const DISK_MARGIN_BYTES = 100e6;

export interface DownloadResult {
  repoId: string;
  revision: string;
  commit: string;
  /** `snapshots/<commit>`: a model folder for the loaders. */
  folder: string;
  files: FetchedFile[];
  /** Bytes that came over the network in this run. */
  bytesDownloaded: number;
  /** Repo files the selection left out (other weight formats, quantized ONNX variants, ...). */
  skipped: string[];
  /** True when offline mode served the snapshot from the cache without any request. */
  fromCache: boolean;
}

export const DEFAULT_CONCURRENCY = 4;

export async function downloadRepo(repoId: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  assertRepoId(repoId);
  const settings = options.settings ?? hubSettings();
  const revision = options.revision ?? DEFAULT_REVISION;
  const cache = new RepoCache(settings.cacheDir, repoId);
  if (settings.offline) return fromCacheOffline(repoId, revision, settings, cache);

  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const { signal } = options;
  const info = await cancellable(repoId, signal, () =>
    fetchRepoInfo(repoId, revision, settings, { signal, retry, idleTimeoutMs: options.idleTimeoutMs }),
  );
  const chosen = selectFiles(
    info.files.map((f) => f.path),
    options,
  );
  if (chosen.length === 0) {
    throw new XlmError(
      'hub/no-files-selected',
      said`None of the ${info.files.length} files of ${repoId} at ${revision} matched ${
        options.include?.length ? said`${field('include')} ${options.include.join(',')}` : 'the default choice (configs, tokenizers, safetensors, ONNX)'
      }${options.exclude?.length ? said` minus ${field('exclude')} ${options.exclude.join(',')}` : ''}. Files: ${info.files.map((f) => f.path).join(', ') || 'none'}.`,
    );
  }
  const files = info.files.filter((f) => chosen.includes(f.path));
  const plan = planDownload(repoId, revision, info.commit, files, cache, settings.cacheDir);
  checkDiskSpace(plan);
  options.onPlan?.(plan);
  if (plan.bytesToFetch >= CONFIRM_BYTES && options.confirm && !(await options.confirm(plan))) {
    throw new XlmError('cancelled', `Download of ${repoId} (${formatBytes(plan.bytesToFetch)}) not confirmed; nothing was downloaded.`);
  }
  const progress = new ProgressTracker(repoId, files, options.onProgress);

  // One failure stops the other transfers (their partial files stay for a resume), and is the error reported.
  const stop = new AbortController();
  const onUserAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onUserAbort, { once: true });
  const ctx: FetchContext = {
    repoId, revision, commit: info.commit, settings, cache, progress, retry,
    signal: stop.signal, idleTimeoutMs: options.idleTimeoutMs, inflight: new Map(),
  };
  try {
    const results = await runPool(files, options.concurrency ?? DEFAULT_CONCURRENCY, (file) => fetchRepoFile(ctx, file), stop);
    cache.writeRef(revision, info.commit);
    const folder = cache.snapshotFolder(info.commit);
    return { repoId, revision, commit: info.commit, folder, files: results, bytesDownloaded: progress.transferredBytes,
      skipped: info.files.map((f) => f.path).filter((p) => !chosen.includes(p)), fromCache: false };
  } catch (e) {
    if (signal?.aborted) throw cancelledError(repoId);
    throw e;
  } finally {
    signal?.removeEventListener('abort', onUserAbort);
  }
}

function planDownload(repoId: string, revision: string, commit: string, files: RepoFile[], cache: RepoCache, cacheDir: string): DownloadPlan {
  let totalBytes = 0;
  let bytesToFetch = 0;
  for (const file of files) {
    const size = file.size ?? 0;
    totalBytes += size;
    const cached = cache.hasSnapshotFile(commit, file.path) || (file.lfsSha256 !== undefined && etagKind(file.lfsSha256) === 'sha256' && existsSync(cache.blobPath(file.lfsSha256)));
    if (!cached) bytesToFetch += size;
  }
  return { repoId, revision, commit, files: files.length, totalBytes, bytesToFetch, freeBytes: freeDiskBytes(cacheDir), cacheDir };
}

/** Free bytes on the disk that holds (or will hold) `folder`: statfs of its nearest existing ancestor. */
export function freeDiskBytes(folder: string): number | undefined {
  let at = resolve(folder);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    const stats = statfsSync(at);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

function checkDiskSpace(plan: DownloadPlan): void {
  if (plan.freeBytes === undefined || plan.bytesToFetch + DISK_MARGIN_BYTES <= plan.freeBytes) return;
  throw new XlmError(
    'hub/disk-space',
    `${plan.repoId} needs ${formatBytes(plan.bytesToFetch)} more in the cache, but only ${formatBytes(plan.freeBytes)} is free on its disk. ` +
      'Free disk space (xlm hub ls shows what the cache holds, xlm hub rm removes a model), or point HF_HUB_CACHE at a larger disk. Nothing was downloaded.',
    { file: plan.cacheDir },
  );
}

async function cancellable<T>(repoId: string, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
  if (signal?.aborted) throw cancelledError(repoId);
  try {
    return await run();
  } catch (e) {
    if (signal?.aborted) throw cancelledError(repoId);
    throw e;
  }
}

/** Runs `task` over `items` with at most `limit` at once; the first failure aborts `stop` and is rethrown. */
async function runPool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>, stop: AbortController): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && !stop.signal.aborted && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index]);
      } catch (e) {
        failure ??= { error: e };
        stop.abort(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  if (stop.signal.aborted) throw stop.signal.reason;
  return results;
}

/** Offline: the cached snapshot of the revision as it is, or a message saying how to get it. */
function fromCacheOffline(repoId: string, revision: string, settings: HubSettings, cache: RepoCache): DownloadResult {
  const snapshot = cache.cachedSnapshot(revision);
  if (!snapshot) throw offlineMissError(repoId, revision, settings);
  const files = listSnapshotFiles(snapshot.folder).map((path) => ({
    path,
    etag: '',
    size: statSync(join(snapshot.folder, ...path.split('/'))).size,
    downloaded: false,
  }));
  return { repoId, revision, commit: snapshot.commit, folder: snapshot.folder, files, bytesDownloaded: 0, skipped: [], fromCache: true };
}

/** Repo-relative '/' paths of the files under a snapshot folder (links followed, dangling ones skipped). */
export function listSnapshotFiles(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        try {
          if (statSync(path).isFile()) found.push(relative(folder, path).split(sep).join('/'));
        } catch {
          // A link whose blob was removed: not part of the usable snapshot.
        }
      }
    }
  };
  walk(folder);
  return found.sort();
}
