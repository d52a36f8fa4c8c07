import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ioError } from '../io-errors.js';

/**
 * Files that appear whole or not at all. A file is written under a temporary name beside its final
 * one (same folder, so the same file system), flushed to disk, and renamed over the final name:
 * rename is atomic on POSIX and on NTFS, so a reader or a crash sees the old file or the new one,
 * never half of either. The folder is flushed too so the rename itself survives a power cut.
 */

/** The temporary name a file is written under before it is renamed into place. */
export function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** Writes through `write(fd)` into a temporary file, then renames it to `path`. */
export function withAtomicFile(path: string, write: (fd: number) => void): void {
  const temporary = temporaryName(path);
  let fd: number | null;
  try {
    fd = openSync(temporary, 'w');
  } catch (e) {
    throw ioError(e, path);
  }
  try {
    write(fd);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temporary, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(temporary, { force: true });
    // A write that fails for lack of space names the file being written, not the fd's temporary.
    throw ioError(e, path);
  }
  fsyncFolder(dirname(path));
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  withAtomicFile(path, (fd) => writeAll(fd, bytes));
}

/** writeSync may write less than asked (large buffers, pipes): loop until every byte is out. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/** Flushes a folder's entry list; some platforms (Windows) cannot open folders, which is harmless. */
export function fsyncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Durability of the rename is best effort where the platform offers no folder flush.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
