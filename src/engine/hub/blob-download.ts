/**
 * One repo file into the cache, the way huggingface_hub does it: a HEAD on the resolve URL gives the etag
 * (X-Linked-Etag for LFS files, else ETag), the commit (X-Repo-Commit), the size and, for LFS files, the CDN
 * link; the GET streams into `blobs/<etag>.incomplete`, resumed with a Range request after a cut or a cancel;
 * every file is checked against its etag (sha256 for LFS files, the git blob id for the others) before it is
 * renamed into place and linked from the snapshot. The etag names a file, so only the Hub's two shapes are taken.
 *
 * Hugging Face's own JS client (@huggingface/hub 2.17) was weighed against this one: its downloadFileToCacheDir
 * writes the same layout but has no resume, progress, cancel or offline mode, checks no hash, and names the blob
 * by whatever etag the server lists; so this client stays, and the hostile-server tests run against it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readlinkSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { basename, dirname } from 'node:path';
import { XlmError } from '../errors.js';
import { ioError } from '../io-errors.js';
import type { RepoCache } from './cache-layout.js';
import { assertHubEtag, etagKind, normalizeEtag } from './cache-layout.js';
import { hubStatusError } from './hub-errors.js';
import {
  classifyNetworkError,
  header,
  isRetryableStatus,
  retryAfterMs,
  sendFollowing,
  TransientError,
  withRetries,
  type RetryPolicy,
} from './http.js';
import type { ProgressTracker } from './progress.js';
import type { RepoFile } from './repo-info.js';
import type { HubSettings } from './settings.js';

export interface FetchContext {
  repoId: string;
  /** The revision the user asked for (for messages); files are fetched at `commit`. */
  revision: string;
  commit: string;
  settings: HubSettings;
  cache: RepoCache;
  progress: ProgressTracker;
  retry: RetryPolicy;
  signal?: AbortSignal;
  idleTimeoutMs?: number;
  /** Downloads in flight by blob path, so two files with the same content fetch it once. */
  inflight: Map<string, Promise<void>>;
}

export interface FetchedFile {
  path: string;
  etag: string;
  size: number;
  /** False when the file was already in the cache. */
  downloaded: boolean;
}

interface FileMetadata {
  etag: string;
  size: number | null;
  /** Where the bytes are: the CDN link of an LFS file, else the (redirected) resolve URL. */
  downloadUrl: string;
}

export function resolveUrl(settings: HubSettings, repoId: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${settings.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${path}`;
}

export async function fetchRepoFile(ctx: FetchContext, file: RepoFile): Promise<FetchedFile> {
  const { cache, commit, progress } = ctx;
  if (cache.hasSnapshotFile(commit, file.path)) {
    const size = statSync(cache.snapshotFile(commit, file.path)).size;
    progress.finished(file.path, size);
    return { path: file.path, etag: etagOfSnapshotFile(cache.snapshotFile(commit, file.path)), size, downloaded: false };
  }
  const meta = await fetchMetadata(ctx, file);
  progress.setTotal(file.path, meta.size);
  const blob = cache.blobPath(meta.etag);
  let downloaded = false;
  if (!blobIsComplete(blob, meta.size)) {
    let pending = ctx.inflight.get(blob);
    if (!pending) {
      pending = downloadBlob(ctx, file.path, meta).finally(() => ctx.inflight.delete(blob));
      ctx.inflight.set(blob, pending);
      downloaded = true;
    }
    await pending;
  }
  cache.linkSnapshotFile(commit, file.path, meta.etag);
  const size = statSync(blob).size;
  progress.finished(file.path, size);
  return { path: file.path, etag: meta.etag, size, downloaded };
}

function etagOfSnapshotFile(path: string): string {
  try {
    return basename(readlinkSync(path));
  } catch {
    return '';
  }
}

function blobIsComplete(blob: string, size: number | null): boolean {
  if (!existsSync(blob)) return false;
  if (size === null || statSync(blob).size === size) return true;
  rmSync(blob, { force: true });
  return false;
}

async function fetchMetadata(ctx: FetchContext, file: RepoFile): Promise<FileMetadata> {
  const { settings, repoId } = ctx;
  const url = resolveUrl(settings, repoId, ctx.commit, file.path);
  return withRetries(
    async () => {
      const hop = await sendFollowing(url, { method: 'HEAD', settings, signal: ctx.signal, idleTimeoutMs: ctx.idleTimeoutMs, sameOriginOnly: true });
      const { response } = hop;
      response.resume();
      const status = response.statusCode ?? 0;
      if (isRetryableStatus(status)) throw new TransientError(`HTTP ${status}`, status, retryAfterMs(response.headers));
      if (status >= 400) throw hubStatusError(status, response.headers, { repoId, revision: ctx.revision, file: file.path, url: hop.url, settings, tokenSent: hop.tokenSent });
      const last = response.headers;
      const rawEtag = header(last, 'x-linked-etag') ?? header(last, 'etag');
      if (!rawEtag) {
        throw new XlmError('hub/no-etag', `The Hub sent no ETag for ${repoId}/${file.path}, so its blob cannot be named or checked.`, { what: hop.url });
      }
      const etag = normalizeEtag(rawEtag);
      assertHubEtag(etag, { repoId, file: file.path, server: new URL(hop.url).origin });
      const sizeHeader = header(last, 'x-linked-size') ?? (status < 300 ? header(last, 'content-length') : undefined);
      const location = status >= 300 ? header(last, 'location') : undefined;
      return {
        etag,
        size: sizeHeader !== undefined && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : (file.size ?? null),
        downloadUrl: location ? new URL(location, hop.url).toString() : hop.url,
      };
    },
    ctx.retry,
    (last, tries) => serverError(ctx, file.path, last, tries),
    ctx.signal,
  );
}

function serverError(ctx: FetchContext, file: string, last: TransientError, tries: number): XlmError {
  return new XlmError(
    'hub/server',
    `Downloading ${ctx.repoId}/${file} failed ${tries} times (last: ${last.message}). The partial file is kept and resumed by the next download; ` +
      'try again later.',
  );
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Streams the blob into its .incomplete file (resuming what is there), checks it, renames it into place. */
async function downloadBlob(ctx: FetchContext, file: string, meta: FileMetadata): Promise<void> {
  const incomplete = ctx.cache.incompletePath(meta.etag);
  mkdirSync(dirname(incomplete), { recursive: true });
  await withRetries(() => transferOnce(ctx, file, meta, incomplete), ctx.retry, (last, tries) => serverError(ctx, file, last, tries), ctx.signal);
  await verifyBlob(ctx, file, meta, incomplete);
  renameSync(incomplete, ctx.cache.blobPath(meta.etag));
}

async function transferOnce(ctx: FetchContext, file: string, meta: FileMetadata, incomplete: string): Promise<void> {
  let have = sizeOf(incomplete);
  if (meta.size !== null && have > meta.size) {
    truncateSync(incomplete, 0);
    have = 0;
  }
  ctx.progress.resumedAt(file, have);
  if (meta.size !== null && have === meta.size && have > 0) return;

  const { settings } = ctx;
  const hop = await sendFollowing(meta.downloadUrl, {
    method: 'GET',
    headers: have > 0 ? { range: `bytes=${have}-` } : {},
    settings,
    signal: ctx.signal,
    idleTimeoutMs: ctx.idleTimeoutMs,
  });
  const { response } = hop;
  const status = response.statusCode ?? 0;
  let append = have > 0;
  if (status === 200 && have > 0) {
    // The server ignored the Range header: start over rather than append the whole file again.
    append = false;
    have = 0;
    ctx.progress.resumedAt(file, 0);
  } else if (status === 206) {
    const start = /^bytes (\d+)-/.exec(header(response.headers, 'content-range') ?? '')?.[1];
    if (start === undefined || Number(start) !== have) {
      response.destroy();
      truncateSync(incomplete, 0);
      throw new TransientError(`the server resumed at byte ${start ?? '?'} instead of ${have}`);
    }
  } else if (status === 416) {
    response.resume();
    truncateSync(incomplete, 0);
    throw new TransientError('the server refused to resume the partial file (416)');
  } else if (status < 200 || status >= 300) {
    response.resume();
    if (isRetryableStatus(status)) throw new TransientError(`HTTP ${status}`, status, retryAfterMs(response.headers));
    throw hubStatusError(status, response.headers, { repoId: ctx.repoId, revision: ctx.revision, file, url: hop.url, settings, tokenSent: hop.tokenSent });
  }

  const lengthHeader = header(response.headers, 'content-length');
  const expected = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  let received = 0;
  // A write stream batches chunks that arrive while a write is in flight (writev); ending it flushes every
  // chunk it accepted, so after a cancel or a cut the file holds exactly the bytes reported as received.
  const out = createWriteStream(incomplete, { flags: append ? 'a' : 'w' });
  let failure: unknown;
  try {
    for await (const chunk of response) {
      if (!out.write(chunk as Buffer)) await once(out, 'drain');
      received += (chunk as Buffer).length;
      ctx.progress.received(file, (chunk as Buffer).length);
    }
  } catch (e) {
    failure = e;
  }
  out.end();
  await finished(out).catch((e: unknown) => {
    throw diskError(e, incomplete);
  });
  if (failure !== undefined) throw (failure as NodeJS.ErrnoException).syscall === 'write' ? diskError(failure, incomplete) : classifyNetworkError(failure, hop.url, settings, ctx.signal);
  if (!response.complete || (expected !== null && received < expected)) {
    throw new TransientError(`the body of ${file} was cut short after ${received} of ${expected ?? '?'} bytes`);
  }
}

/** A full or read-only cache disk: the shared helper names the file; the hint says how to move the cache. */
function diskError(e: unknown, path: string): unknown {
  return ioError(e, path, 'The cache folder is HF_HUB_CACHE (or HF_HOME/hub); point it at another disk if needed. The partial file is resumed next time.');
}

async function verifyBlob(ctx: FetchContext, file: string, meta: FileMetadata, incomplete: string): Promise<void> {
  const size = sizeOf(incomplete);
  if (meta.size !== null && size !== meta.size) {
    rmSync(incomplete, { force: true });
    throw new XlmError(
      'hub/size-mismatch',
      `${ctx.repoId}/${file}: downloaded ${size} bytes but the Hub announced ${meta.size}. The bad download was deleted; download again.`,
      { what: file },
    );
  }
  // Every blob is checked against its name: LFS and Xet files by sha256, regular files by their git blob id.
  const kind = etagKind(meta.etag);
  const actual = kind === 'sha256' ? await sha256OfFile(incomplete) : await gitBlobIdOfFile(incomplete, size);
  if (actual !== meta.etag) {
    rmSync(incomplete, { force: true });
    const what = kind === 'sha256' ? 'sha256' : 'git blob id (sha1 of "blob <size>\\0" and the bytes)';
    throw new XlmError(
      'hub/checksum-mismatch',
      `${ctx.repoId}/${file}: the ${what} of the downloaded bytes is ${actual}, but the Hub's etag says ${meta.etag}. ` +
        'The bad download was deleted; download again (a proxy or disk may be corrupting data if this repeats).',
      { what: file },
    );
  }
}

export function sha256OfFile(path: string): Promise<string> {
  return hashFile(path, 'sha256');
}

/** Git's blob id: sha1 over the header `blob <size>\0` and then the content. */
export function gitBlobIdOfFile(path: string, size: number): Promise<string> {
  return hashFile(path, 'sha1', `blob ${size}\0`);
}

function hashFile(path: string, algorithm: 'sha1' | 'sha256', prefix = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash(algorithm).update(prefix);
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
