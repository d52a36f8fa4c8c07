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
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
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

/** The two shapes a Hub etag has: a git blob id (sha1, regular files) or a sha256 (LFS and Xet files). */
const GIT_BLOB_ETAG = /^[0-9a-f]{40}$/;
const SHA256_ETAG = /^[0-9a-f]{64}$/;

export function etagKind(etag: string): 'git-sha1' | 'sha256' | undefined {
  return GIT_BLOB_ETAG.test(etag) ? 'git-sha1' : SHA256_ETAG.test(etag) ? 'sha256' : undefined;
}

/**
 * The etag names the blob file and says how its bytes are checked, so it must be one of the Hub's two shapes:
 * anything else (`../../.bashrc`, an absolute path, a server's own version string) is refused, never used as a name.
 */
export function assertHubEtag(etag: string, where: { repoId: string; file: string; server: string }): void {
  if (etagKind(etag) !== undefined) return;
  const shown = etag.length > 80 ? `${etag.slice(0, 80)}...` : etag;
  throw new XlmError(
    'hub/bad-etag',
    `The server ${where.server} sent the ETag ${JSON.stringify(shown)} for ${where.repoId}/${where.file}, which is neither a git blob id ` +
      '(40 hex digits) nor a sha256 (64 hex digits) as the Hugging Face Hub sends. Nothing was written. ' +
      'Check HF_ENDPOINT (or xlm.hub.endpoint): it should be the Hub or a faithful mirror of it, reached over https.',
    { what: where.file },
  );
}

/**
 * Whether a repo file name (as the listing gives it) is a plain relative path: '/'-separated, no empty, '.'
 * or '..' segment, no absolute or drive path, no backslash or NUL. Anything else could land outside the
 * snapshot folder, or mean a different file on another system.
 */
export function isSafeRepoFileName(name: string): boolean {
  if (name === '' || name.length > 1024 || /[\\\0]/.test(name) || /^[A-Za-z]:/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export function assertSafeRepoFileName(name: string, where: { repoId: string; server: string }): void {
  if (isSafeRepoFileName(name)) return;
  throw new XlmError(
    'hub/bad-file-name',
    `The server ${where.server} listed a file named ${JSON.stringify(name)} in ${where.repoId}, which is not a plain relative path ` +
      "(it is empty, absolute, or has a '..', '.', empty or backslash part) and could land outside the cache. Nothing was written. " +
      'Check HF_ENDPOINT (or xlm.hub.endpoint): the Hugging Face Hub never lists such names.',
    { what: name },
  );
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
    if (etagKind(etag) === undefined) throw new XlmError('hub/bad-etag', `"${etag}" is not a Hub etag (40 or 64 hex digits); it cannot name a blob.`);
    return inside(join(this.folder, 'blobs'), join(this.folder, 'blobs', etag), etag);
  }

  incompletePath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  snapshotFolder(commit: string): string {
    if (!isCommitHash(commit)) throw new XlmError('hub/bad-commit', `"${commit}" is not a 40-character commit hash; it cannot name a snapshot folder.`);
    return join(this.folder, 'snapshots', commit);
  }

  /** The snapshot path of a repo file; names use '/' on the Hub and the platform separator on disk. */
  snapshotFile(commit: string, file: string): string {
    if (!isSafeRepoFileName(file)) {
      throw new XlmError('hub/bad-file-name', `The repo file name ${JSON.stringify(file)} is not a plain relative path; it would land outside the snapshot folder.`, { what: file });
    }
    return inside(this.snapshotFolder(commit), join(this.snapshotFolder(commit), ...file.split('/')), file);
  }

  refPath(revision: string): string {
    return inside(join(this.folder, 'refs'), join(this.folder, 'refs', ...revision.split('/')), revision);
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
    const target = relative(dirname(link), blob);
    // The link's target, read back from where the link sits, must be the blob: nothing else in or out of the cache.
    inside(join(this.folder, 'blobs'), resolve(dirname(link), target), etag);
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    try {
      symlinkSync(target, link);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'EACCES' && code !== 'ENOTSUP') throw e;
      copyFileSync(blob, link);
    }
    return link;
  }
}

/** Every path the cache writes is checked to stay strictly under its folder (blobs, refs, snapshots, link targets). */
function inside(folder: string, path: string, name: string): string {
  const rel = relative(resolve(folder), resolve(path));
  if (rel === '' || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new XlmError('hub/outside-cache', `The name ${JSON.stringify(name)} would put a file at ${resolve(path)}, outside ${folder}; it is refused.`, { what: name });
  }
  return path;
}
