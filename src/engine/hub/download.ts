/**
 * A repo at a revision into the HF cache (huggingface_hub's snapshot_download): list the files at the
 * revision, pin the commit, choose the files, fetch a few at once, record `refs/<revision>` once every file is
 * in, and hand back the snapshot folder. Cancelling keeps partial files for the next run to resume.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { XlmError } from '../errors.js';
import { fetchRepoFile, type FetchContext, type FetchedFile } from './blob-download.js';
import { assertRepoId, RepoCache } from './cache-layout.js';
import { selectFiles, type FileSelection } from './file-selection.js';
import { cancelledError, offlineMissError } from './hub-errors.js';
import { DEFAULT_RETRY, type RetryPolicy } from './http.js';
import { ProgressTracker, type DownloadProgress } from './progress.js';
import { fetchRepoInfo } from './repo-info.js';
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
}

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
      `None of the ${info.files.length} files of ${repoId} at ${revision} matched ` +
        `${options.include?.length ? `--include ${options.include.join(',')}` : 'the default choice (configs, tokenizers, safetensors, ONNX)'}` +
        `${options.exclude?.length ? ` minus --exclude ${options.exclude.join(',')}` : ''}. Files: ${info.files.map((f) => f.path).join(', ') || 'none'}.`,
    );
  }
  const files = info.files.filter((f) => chosen.includes(f.path));
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
