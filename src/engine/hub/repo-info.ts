/**
 * The file listing of a repo at a revision: `GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true`,
 * whose `sha` pins the commit every file is then fetched at (so a push during the download cannot mix two
 * commits) and whose `siblings` give each file's name, size and, for LFS files, the sha256.
 */
import { XlmError } from '../errors.js';
import { assertSafeRepoFileName } from './cache-layout.js';
import { hubStatusError } from './hub-errors.js';
import { DEFAULT_RETRY, readBody, retryAfterMs, sendFollowing, TransientError, withRetries, isRetryableStatus, classifyNetworkError, type RetryPolicy } from './http.js';
import type { HubSettings } from './settings.js';

export interface RepoFile {
  /** The path inside the repo, '/'-separated (`onnx/encoder_model.onnx`). */
  path: string;
  /** Bytes of the real content (the LFS object's size for LFS files); undefined if the Hub did not say. */
  size?: number;
  /** The content's sha256 for LFS files: the etag their blob is named by. */
  lfsSha256?: string;
}

export interface RepoInfo {
  repoId: string;
  /** The commit the revision resolved to. */
  commit: string;
  files: RepoFile[];
}

interface SiblingJson {
  rfilename?: unknown;
  size?: unknown;
  lfs?: { sha256?: unknown; size?: unknown } | null;
}

export function revisionApiUrl(settings: HubSettings, repoId: string, revision: string): string {
  return `${settings.endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}?blobs=true`;
}

export async function fetchRepoInfo(
  repoId: string,
  revision: string,
  settings: HubSettings,
  options: { signal?: AbortSignal; retry?: RetryPolicy; idleTimeoutMs?: number } = {},
): Promise<RepoInfo> {
  const url = revisionApiUrl(settings, repoId, revision);
  const body = await withRetries(
    async () => {
      const hop = await sendFollowing(url, { method: 'GET', settings, signal: options.signal, idleTimeoutMs: options.idleTimeoutMs });
      const status = hop.response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        try {
          return await readBody(hop.response);
        } catch (e) {
          throw classifyNetworkError(e, url, settings, options.signal);
        }
      }
      hop.response.resume();
      if (isRetryableStatus(status)) throw new TransientError(`HTTP ${status}`, status, retryAfterMs(hop.response.headers));
      throw hubStatusError(status, hop.response.headers, { repoId, revision, url: hop.url, settings, tokenSent: hop.tokenSent });
    },
    options.retry ?? DEFAULT_RETRY,
    (last, tries) =>
      new XlmError('hub/server', `Listing ${repoId} at ${revision} failed ${tries} times (last: ${last.message}). The Hub may be down; try again later.`, { what: url }),
    options.signal,
  );
  return parseRepoInfo(repoId, body, url);
}

function parseRepoInfo(repoId: string, body: Buffer, url: string): RepoInfo {
  let json: { sha?: unknown; siblings?: unknown };
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new XlmError('hub/bad-listing', `The Hub's listing of ${repoId} is not JSON.`, { what: url });
  }
  if (typeof json.sha !== 'string' || !/^[0-9a-f]{40}$/.test(json.sha) || !Array.isArray(json.siblings)) {
    throw new XlmError('hub/bad-listing', `The Hub's listing of ${repoId} lacks a 40-character "sha" or a "siblings" list.`, { what: url });
  }
  const files: RepoFile[] = [];
  for (const sibling of json.siblings as SiblingJson[]) {
    if (typeof sibling?.rfilename !== 'string') continue;
    assertSafeRepoFileName(sibling.rfilename, { repoId, server: new URL(url).origin });
    const lfs = sibling.lfs && typeof sibling.lfs.sha256 === 'string' ? sibling.lfs : undefined;
    const size = typeof lfs?.size === 'number' ? lfs.size : typeof sibling.size === 'number' ? sibling.size : undefined;
    files.push({ path: sibling.rfilename, size, lfsSha256: lfs?.sha256 as string | undefined });
  }
  return { repoId, commit: json.sha, files };
}
