/**
 * Reads a zip archive's table of contents and single entries (a .vsix is a zip). Only what the package tests need:
 * no zip64, no encryption; stored and deflated entries.
 */
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** Bytes in the archive. */
  compressedSize: number;
  /** Bytes once extracted. */
  size: number;
  method: number;
  headerOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

export class Zip {
  readonly entries: ZipEntry[] = [];
  private readonly bytes: Buffer;

  constructor(readonly file: string) {
    this.bytes = readFileSync(file);
    const b = this.bytes;
    let end = -1;
    // The end record sits in the last 22 bytes plus a comment of at most 65535.
    for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
      if (b.readUInt32LE(i) === END_OF_DIRECTORY) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new Error(`${file} is not a zip archive (no end-of-directory record)`);
    const count = b.readUInt16LE(end + 10);
    let at = b.readUInt32LE(end + 16);
    for (let n = 0; n < count; n++) {
      if (b.readUInt32LE(at) !== DIRECTORY_ENTRY) throw new Error(`${file}: directory entry ${n} at byte ${at} is damaged`);
      const nameLength = b.readUInt16LE(at + 28);
      const extraLength = b.readUInt16LE(at + 30);
      const commentLength = b.readUInt16LE(at + 32);
      this.entries.push({
        name: b.toString('utf8', at + 46, at + 46 + nameLength),
        method: b.readUInt16LE(at + 10),
        compressedSize: b.readUInt32LE(at + 20),
        size: b.readUInt32LE(at + 24),
        headerOffset: b.readUInt32LE(at + 42),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
  }

  read(name: string): Buffer {
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw new Error(`${this.file} has no entry ${name}`);
    const b = this.bytes;
    if (b.readUInt32LE(e.headerOffset) !== LOCAL_HEADER) throw new Error(`${this.file}: local header of ${name} is damaged`);
    const start = e.headerOffset + 30 + b.readUInt16LE(e.headerOffset + 26) + b.readUInt16LE(e.headerOffset + 28);
    const data = b.subarray(start, start + e.compressedSize);
    if (e.method === 0) return Buffer.from(data);
    if (e.method === 8) return inflateRawSync(data);
    throw new Error(`${this.file}: ${name} uses compression method ${e.method}; only stored (0) and deflate (8) are read`);
  }
}
