/**
 * The HF cache layout, byte for byte as huggingface_hub writes it:
 *
 *   <cacheDir>/models--ORG--NAME/
 *     blobs/<etag>                 file contents, named by the Hub's etag (git sha1, or sha256 for LFS files)
 *     blobs/<etag>.incomplete      a download in progress, resumed with a Range request
 *     refs/<revision>              the commit hash a branch or tag pointed to when last resolved
 *     snapshots/<commit>/<file>    relative symlinks into blobs (copies where symlinks are not allowed)
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { XlmError } from '../errors.js';

const REPO_ID_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;
const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT_PATTERN.test(revision);
}

/** Whether a string is a Hub repo id (`NAME` or `ORG/NAME`) rather than a path. */
export function isRepoId(id: string): boolean {
  return REPO_ID_PATTERN.test(id) && !id.includes('--') && !id.includes('..') && !id.endsWith('.');
}

export function assertRepoId(id: string): void {
  if (!isRepoId(id)) {
    throw new XlmError(
      'hub/bad-repo-id',
      `"${id}" is not a Hugging Face repo id: expected NAME or ORG/NAME (letters, digits, '-', '_', '.'; no '--' or '..'), ` +
        'for example xlm-roberta-base or joeddav/xlm-roberta-large-xnli, or the path of an existing model folder.',
    );
  }
}

/** `models--ORG--NAME`: the repo id with its slashes replaced, as huggingface_hub's repo_folder_name. */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

/** The repo id a cache folder name stands for, or undefined for folders that are not model repos. */
export function repoIdFromFolderName(name: string): string | undefined {
  if (!name.startsWith('models--')) return undefined;
  const parts = name.slice('models--'.length).split('--');
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '')) return undefined;
  return parts.join('/');
}

/** The Hub etag as a file name: quotes and the weak marker stripped (the Hub sends the strong form). */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

export class RepoCache {
  readonly folder: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    this.folder = join(cacheDir, repoFolderName(repoId));
  }

  blobPath(etag: string): string {
    return join(this.folder, 'blobs', etag);
  }

  incompletePath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  snapshotFolder(commit: string): string {
    return join(this.folder, 'snapshots', commit);
  }

  /** The snapshot path of a repo file; names use '/' on the Hub and the platform separator on disk. */
  snapshotFile(commit: string, file: string): string {
    return join(this.snapshotFolder(commit), ...file.split('/'));
  }

  refPath(revision: string): string {
    return join(this.folder, 'refs', ...revision.split('/'));
  }

  /** The commit a branch or tag last resolved to, or the revision itself when it is a commit hash. */
  readRef(revision: string): string | undefined {
    if (isCommitHash(revision)) return revision;
    try {
      const commit = readFileSync(this.refPath(revision), 'utf8').trim();
      return isCommitHash(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records `revision → commit`; skipped when unchanged so a read-only cache still serves a resolved ref. */
  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    const path = this.refPath(revision);
    if (existsSync(path) && readFileSync(path, 'utf8').trim() === commit) return;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, commit);
  }

  /** The snapshot folder of a revision if the cache has it, with no network. */
  cachedSnapshot(revision: string): { commit: string; folder: string } | undefined {
    const commit = this.readRef(revision);
    if (!commit) return undefined;
    const folder = this.snapshotFolder(commit);
    return existsSync(folder) && statSync(folder).isDirectory() ? { commit, folder } : undefined;
  }

  /** Whether the snapshot already holds a file that resolves to real bytes (not a dangling link). */
  hasSnapshotFile(commit: string, file: string): boolean {
    return existsSync(this.snapshotFile(commit, file));
  }

  /**
   * Points `snapshots/<commit>/<file>` at its blob with a relative link (a moved cache keeps working),
   * as huggingface_hub does; where the file system refuses symlinks (Windows without developer mode) the blob
   * is copied instead, which costs disk space but keeps the layout readable by both sides.
   */
  linkSnapshotFile(commit: string, file: string, etag: string): string {
    const link = this.snapshotFile(commit, file);
    const blob = this.blobPath(etag);
    assertInside(this.snapshotFolder(commit), link, file);
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    try {
      symlinkSync(relative(dirname(link), blob), link);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP') throw e;
      copyFileSync(blob, link);
    }
    return link;
  }
}

/** A repo file name like `../../x` must not escape its snapshot folder. */
function assertInside(folder: string, path: string, file: string): void {
  const rel = relative(resolve(folder), resolve(path));
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) {
    throw new XlmError('hub/bad-file-name', `The Hub listed a file named "${file}", which would land outside the snapshot folder ${folder}.`);
  }
}
