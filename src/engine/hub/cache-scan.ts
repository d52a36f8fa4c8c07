/**
 * What the HF cache holds (huggingface_hub's scan_cache_dir for model repos): each repo with its snapshots,
 * the refs pointing at them, its size on disk with every blob counted once however many snapshots link it,
 * and removal of a repo or of one revision (blobs no other snapshot uses go with it).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { XlmError } from '../errors.js';
import { assertRepoId, isCommitHash, RepoCache, repoIdFromFolderName } from './cache-layout.js';
import { listSnapshotFiles } from './download.js';
import { hubSettings, type HubSettings } from './settings.js';

export interface CachedRevision {
  commit: string;
  /** Branches and tags whose ref names this commit (`main`, `v1.0`). */
  refs: string[];
  folder: string;
  files: string[];
  /** `model_type` from the snapshot's config.json, when it has one. */
  modelType?: string;
  /** Bytes of the blobs this snapshot links (shared blobs counted in each revision). */
  sizeOnDisk: number;
}

export interface CachedModel {
  repoId: string;
  folder: string;
  revisions: CachedRevision[];
  /** Bytes of the repo's files on disk, each blob once. */
  sizeOnDisk: number;
  /** Bytes of unfinished downloads (`.incomplete` blobs), not part of sizeOnDisk. */
  incompleteBytes: number;
  /** Newest modification time of its blobs (ms since epoch). */
  lastModified: number;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** `refs/` files, nested names included (`refs/pr/1`), mapped to the commit they hold. */
function readRefs(repoFolder: string): Map<string, string[]> {
  const byCommit = new Map<string, string[]>();
  const root = join(repoFolder, 'refs');
  const walk = (dir: string): void => {
    for (const entry of safeReaddir(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const commit = readFileSync(path, 'utf8').trim();
        const name = relative(root, path).split(sep).join('/');
        byCommit.set(commit, [...(byCommit.get(commit) ?? []), name]);
      }
    }
  };
  if (existsSync(root)) walk(root);
  return byCommit;
}

function readModelType(snapshot: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(snapshot, 'config.json'), 'utf8')) as { model_type?: unknown };
    return typeof config.model_type === 'string' ? config.model_type : undefined;
  } catch {
    return undefined;
  }
}

function scanRepo(repoId: string, folder: string): CachedModel {
  const refs = readRefs(folder);
  const counted = new Set<string>();
  let sizeOnDisk = 0;
  let lastModified = 0;
  const revisions: CachedRevision[] = [];
  for (const commit of safeReaddir(join(folder, 'snapshots')).sort()) {
    const snapshot = join(folder, 'snapshots', commit);
    if (!statSync(snapshot).isDirectory()) continue;
    const files = listSnapshotFiles(snapshot);
    let revisionSize = 0;
    for (const file of files) {
      // The link's target is the blob; without symlinks the snapshot file is its own blob.
      const target = realpathSync(join(snapshot, ...file.split('/')));
      const stats = statSync(target);
      revisionSize += stats.size;
      lastModified = Math.max(lastModified, stats.mtimeMs);
      if (!counted.has(target)) {
        counted.add(target);
        sizeOnDisk += stats.size;
      }
    }
    revisions.push({ commit, refs: (refs.get(commit) ?? []).sort(), folder: snapshot, files, modelType: readModelType(snapshot), sizeOnDisk: revisionSize });
  }
  let incompleteBytes = 0;
  for (const blob of safeReaddir(join(folder, 'blobs'))) {
    const stats = lstatSync(join(folder, 'blobs', blob));
    if (blob.endsWith('.incomplete')) incompleteBytes += stats.size;
    else if (!counted.has(realpathSync(join(folder, 'blobs', blob)))) {
      // A blob no snapshot links still takes disk space (huggingface_hub counts it too).
      sizeOnDisk += stats.size;
      lastModified = Math.max(lastModified, stats.mtimeMs);
    }
  }
  return { repoId, folder, revisions, sizeOnDisk, incompleteBytes, lastModified };
}

/** Every model repo in the cache, largest first. */
export function listCachedModels(settings: HubSettings = hubSettings()): CachedModel[] {
  const models: CachedModel[] = [];
  for (const name of safeReaddir(settings.cacheDir)) {
    const repoId = repoIdFromFolderName(name);
    const folder = join(settings.cacheDir, name);
    if (repoId && statSync(folder).isDirectory()) models.push(scanRepo(repoId, folder));
  }
  return models.sort((a, b) => b.sizeOnDisk - a.sizeOnDisk || a.repoId.localeCompare(b.repoId));
}

export function findCachedModel(repoId: string, settings: HubSettings = hubSettings()): CachedModel | undefined {
  assertRepoId(repoId);
  const cache = new RepoCache(settings.cacheDir, repoId);
  return existsSync(cache.folder) ? scanRepo(repoId, cache.folder) : undefined;
}

export interface RemoveResult {
  repoId: string;
  /** Bytes freed on disk. */
  freedBytes: number;
  removedRevisions: string[];
}

/**
 * Deletes a repo from the cache, or with `revision` (commit, branch or tag) only that snapshot, the refs
 * naming it and the blobs no remaining snapshot links.
 */
export function removeCachedModel(repoId: string, options: { revision?: string; settings?: HubSettings } = {}): RemoveResult {
  const settings = options.settings ?? hubSettings();
  const before = findCachedModel(repoId, settings);
  if (!before) throw new XlmError('hub/not-cached', `${repoId} is not in the Hugging Face cache at ${settings.cacheDir}; nothing to remove.`);
  if (options.revision === undefined) {
    rmSync(before.folder, { recursive: true, force: true });
    return { repoId, freedBytes: before.sizeOnDisk + before.incompleteBytes, removedRevisions: before.revisions.map((r) => r.commit) };
  }
  const cache = new RepoCache(settings.cacheDir, repoId);
  const commit = isCommitHash(options.revision) ? options.revision : cache.readRef(options.revision);
  const revision = before.revisions.find((r) => r.commit === commit);
  if (!revision) {
    const known = before.revisions.map((r) => [r.commit, ...r.refs].join(' ')).join('; ');
    throw new XlmError('hub/revision-not-cached', `${repoId} has no cached revision "${options.revision}". Cached: ${known || 'none'}.`);
  }
  const keep = new Set<string>();
  for (const other of before.revisions) {
    if (other.commit === revision.commit) continue;
    for (const file of other.files) keep.add(realpathSync(join(other.folder, ...file.split('/'))));
  }
  const blobs = new Set(revision.files.map((file) => realpathSync(join(revision.folder, ...file.split('/')))));
  rmSync(revision.folder, { recursive: true, force: true });
  for (const blob of blobs) if (!keep.has(blob)) rmSync(blob, { force: true });
  for (const ref of revision.refs) rmSync(cache.refPath(ref), { force: true });
  const after = findCachedModel(repoId, settings);
  return { repoId, freedBytes: before.sizeOnDisk - (after?.sizeOnDisk ?? 0), removedRevisions: [revision.commit] };
}
