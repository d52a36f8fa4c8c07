/**
 * Disk and file-system failures are the user's to fix (a full disk, a read-only folder, a folder where a file
 * should be), not bugs: this is the one place that turns Node's errno errors into an XlmError naming the file
 * and saying what to do. The CLI, the RPC server and the training notifications pass every error through
 * `ioError`; code that knows more (the Hub cache) adds its own hint.
 */
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { XlmError } from './errors.js';

/** What the failed call was doing, in words (Node records the system call, not whether a file was opened to write). */
const DOING: Record<string, string> = {
  write: 'writing', writev: 'writing', fsync: 'writing', ftruncate: 'writing', truncate: 'writing', copyfile: 'writing',
  open: 'opening', read: 'reading', mkdir: 'creating', rename: 'renaming', symlink: 'creating', link: 'creating', unlink: 'removing', rmdir: 'removing', rm: 'removing',
};

/** Whether `e` is an error Node's fs raised (it carries an errno code). */
export function isErrnoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * The XlmError for a file-system failure at `path` (or the path Node recorded), with `hint` (one sentence,
 * e.g. an environment variable that moves the folder) after the standard advice; anything else is returned as is.
 */
export function ioError(e: unknown, path?: string, hint?: string): unknown {
  if (e instanceof XlmError || !isErrnoError(e)) return e;
  const file = path ?? e.path ?? (e as { dest?: string }).dest;
  const extra = hint ? ` ${hint}` : '';
  const advice = ADVICE[e.code ?? ''];
  if (!advice) return e;
  const doing = DOING[e.syscall ?? ''] ?? 'using';
  return new XlmError(`io/${advice.code}`, `${advice.what(doing)} (${e.code}). ${advice.fix}${extra}`, file ? { file } : {});
}

const ADVICE: Record<string, { code: string; what: (doing: string) => string; fix: string }> = {
  ENOSPC: { code: 'disk-full', what: (d) => `no space left on the disk while ${d} this file`, fix: 'Free disk space, or choose a folder on a disk with room.' },
  EDQUOT: { code: 'disk-full', what: (d) => `the disk quota is used up while ${d} this file`, fix: 'Free space in your quota, or choose a folder on another disk.' },
  EROFS: { code: 'read-only', what: () => 'this file is on a read-only file system', fix: 'Choose a folder on a writable disk.' },
  EACCES: { code: 'permission', what: (d) => `permission denied while ${d} this file`, fix: 'Change its permissions, or choose another path.' },
  EPERM: { code: 'permission', what: (d) => `the operating system refused ${d} this file`, fix: 'Change its permissions, or choose another folder.' },
  ENOTDIR: { code: 'not-a-folder', what: () => 'a part of this path is a file, not a folder', fix: 'Remove or rename that file, or choose another path.' },
  EISDIR: { code: 'is-a-folder', what: () => 'this is a folder where a file was expected', fix: 'Remove or rename the folder, or choose another path.' },
  ENOENT: { code: 'missing', what: () => 'no such file or folder', fix: 'Check the path.' },
  EEXIST: { code: 'exists', what: () => 'something already exists at this path', fix: 'Remove it, or choose another path.' },
  ENAMETOOLONG: { code: 'name-too-long', what: () => 'this path is longer than the file system allows', fix: 'Choose a shorter path.' },
  ELOOP: { code: 'link-loop', what: () => 'this path goes through a loop of symbolic links', fix: 'Fix the links.' },
  EMFILE: { code: 'too-many-open-files', what: () => 'too many files are open to open this one', fix: 'Close other programs, or raise the open-file limit (ulimit -n).' },
  ENFILE: { code: 'too-many-open-files', what: () => 'the system has too many open files to open this one', fix: 'Close other programs and try again.' },
  EIO: { code: 'disk-error', what: (d) => `the disk reported an error while ${d} this file`, fix: 'Check the disk (it may be failing or disconnected).' },
  EBUSY: { code: 'busy', what: () => 'this file is in use by another program', fix: 'Close the other program and try again.' },
};

/** A FIFO, socket or device can block forever on open or read; a folder cannot be read as a file. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Refuses anything but a regular file (links are followed) before it is opened: opening a FIFO with no writer
 * hangs, and a device or folder gives nonsense or a crash. `what` says what the file was meant to be.
 */
export function assertRegularFile(path: string, what = 'a file'): void {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (e) {
    throw ioError(e, path);
  }
  if (!stats.isFile()) {
    throw new XlmError('io/not-a-regular-file', `this is ${kindOf(stats)}, not a regular file; expected ${what}. Replace it with the real file.`, { file: path });
  }
}

/**
 * Refuses, before any work, a path a command is to write a file to when it cannot be one: an existing folder, or a
 * path under an existing file. `flag` names where the path came from (`--predictions`), `example` a file name to
 * suggest inside a folder given instead. A path that does not exist
 * yet is fine (its folders are made when the file is written).
 */
export function assertWritableFilePath(path: string, flag: string, example: string): void {
  let at = path;
  for (;;) {
    let stats: Stats | undefined;
    try {
      stats = statSync(at);
    } catch {
      stats = undefined;
    }
    if (stats) {
      if (at === path && stats.isDirectory()) throw new XlmError('io/is-a-folder', `this is a folder, where ${flag} would write a file; give a file name (for example ${join(path, example)})`, { file: path, what: flag });
      if (at !== path && !stats.isDirectory()) throw new XlmError('io/not-a-folder', `${flag}: ${at} is a file, not a folder, so nothing can be written under it`, { file: path, what: flag });
      return;
    }
    const up = dirname(at);
    if (up === at) return;
    at = up;
  }
}

/**
 * `text` to `path` through a temporary file beside it, renamed over the path once whole: a reader never sees half a
 * file, and a failed write leaves neither the temporary nor a changed file behind (the error names `path`).
 */
export function writeWhole(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (e) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // A folder of that name is not ours to remove.
    }
    throw ioError(e, path);
  }
}
