/**
 * "A model" as a user names it, turned into a local folder: an existing folder as it is; a repo id that the
 * HF cache holds, with no network at all (Python's downloads included); else a download, unless offline.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { assertRepoId, RepoCache } from './cache-layout.js';
import { downloadRepo, type DownloadOptions } from './download.js';
import { offlineMissError } from './hub-errors.js';
import { DEFAULT_REVISION, hubSettings } from './settings.js';

export interface ResolveOptions extends DownloadOptions {
  /** Repo files the caller cannot do without (`onnx/encoder_model.onnx`): a cached snapshot lacking one is completed online. */
  requiredFiles?: string[];
}

export interface ResolvedModel {
  folder: string;
  /** `folder`: a path given by the user; `cache`: found in the HF cache; `download`: fetched now. */
  source: 'folder' | 'cache' | 'download';
  repoId?: string;
  revision?: string;
  commit?: string;
}

/** Whether a string is meant as a path (so a missing folder is reported as such, not looked up on the Hub). */
function looksLikePath(value: string): boolean {
  return /^(\.{1,2}([\\/]|$)|[\\/]|~([\\/]|$)|[A-Za-z]:[\\/])/.test(value) || value.includes('\\') || value.split('/').length > 2;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

export async function resolveModel(idOrPath: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const asPath = resolve(expandHome(idOrPath));
  if (existsSync(asPath) && (looksLikePath(idOrPath) || statSync(asPath).isDirectory())) {
    if (!statSync(asPath).isDirectory()) {
      throw new XlmError('model/not-a-folder', `this is a file; give the model's folder (the one holding config.json) or a Hub repo id.`, { file: asPath });
    }
    return { folder: asPath, source: 'folder' };
  }
  if (looksLikePath(idOrPath)) {
    throw new XlmError('model/folder-not-found', 'no such folder; give an existing model folder, or a Hub repo id such as xlm-roberta-base.', { file: asPath });
  }
  assertRepoId(idOrPath);

  const settings = options.settings ?? hubSettings();
  const revision = options.revision ?? DEFAULT_REVISION;
  const required = options.requiredFiles ?? [];
  const cache = new RepoCache(settings.cacheDir, idOrPath);
  const cached = cache.cachedSnapshot(revision);
  if (cached) {
    const missing = required.filter((f) => !cache.hasSnapshotFile(cached.commit, f));
    if (missing.length === 0) return { folder: cached.folder, source: 'cache', repoId: idOrPath, revision, commit: cached.commit };
    if (settings.offline) throw offlineMissError(idOrPath, revision, settings, missing);
  } else if (settings.offline) {
    throw offlineMissError(idOrPath, revision, settings);
  }

  const result = await downloadRepo(idOrPath, { ...options, settings, revision });
  const stillMissing = required.filter((f) => !cache.hasSnapshotFile(result.commit, f));
  if (stillMissing.length > 0) {
    // The default choice leaves some files out (quantized ONNX variants, PyTorch weights): fetch those named.
    await downloadRepo(idOrPath, { ...options, settings, revision: result.commit, include: stillMissing, exclude: [] });
  }
  return { folder: result.folder, source: 'download', repoId: idOrPath, revision, commit: result.commit };
}
