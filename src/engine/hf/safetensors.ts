import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { XlmError } from '../errors.js';
import { assertRegularFile, ioError } from '../io-errors.js';
import { hfError } from './hf-error.js';
import {
  DTYPE_BYTES,
  FLOAT_DTYPES,
  INT_DTYPES,
  LITTLE_ENDIAN_HOST,
  decodeBF16,
  decodeF16,
  isSafetensorsDtype,
  type SafetensorsDtype,
} from './dtype.js';
import { describeJsonType, isPlainObject, parseJsonText } from './json.js';

/**
 * Reading safetensors files: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to {dtype, shape, data_offsets} (offsets relative to the end of the header), an
 * optional "__metadata__" map of strings, then the raw little-endian data.
 *
 * Opening a file reads and validates only the header; tensors are read one at a time at their
 * offsets when asked for, so a 1.1 GB checkpoint is never held twice in memory.
 */

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The file holding the data (a shard, for sharded checkpoints). */
  file: string;
  /** Absolute byte position of the data in `file`. */
  byteOffset: number;
  byteLength: number;
}

/** A set of named tensors on disk: one safetensors file, or the shards behind an index. */
export interface TensorSource {
  /** The file errors name: the safetensors file, or the index of a sharded checkpoint. */
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  names(): string[];
  has(name: string): boolean;
  /** Dtype, shape and location; an XlmError naming the file and tensor when there is no such tensor. */
  info(name: string): TensorInfo;
  /** F32, F16, BF16 or F64 data as float32, into `into` when given (it must have the right length). */
  readFloat32(name: string, into?: Float32Array): Float32Array;
  /** Integer or boolean data widened to int64. */
  readInt64(name: string): BigInt64Array;
  /** The stored bytes, unconverted. */
  readBytes(name: string): Uint8Array;
  close(): void;
}

/** HF's own reader refuses headers over 100 MB; a larger "length" means a file that is not safetensors. */
const MAX_HEADER_BYTES = 100_000_000;
/** Conversion happens in chunks of this many elements, so a half-precision tensor needs little scratch. */
const CHUNK_ELEMENTS = 1 << 22;

export function openSafetensors(path: string): TensorSource {
  return SafetensorsFile.open(path);
}

class SafetensorsFile implements TensorSource {
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
    readonly metadata: Readonly<Record<string, string>>,
    private readonly tensors: Map<string, TensorInfo>,
  ) {
    this.fd = fd;
  }

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      // Before opening: a FIFO named model.safetensors would block the open forever.
      assertRegularFile(path, 'a safetensors weights file');
      fd = openSync(path, 'r');
    } catch (e) {
      if (e instanceof XlmError && e.code === 'io/missing') throw hfError('file-missing', path, 'the file does not exist');
      throw ioError(e, path);
    }
    try {
      const fileSize = fstatSync(fd).size;
      if (fileSize < 8) {
        throw hfError(
          'safetensors-header',
          path,
          `the file is ${fileSize} bytes long, too short for safetensors (which starts with an 8-byte header length): it is truncated or not safetensors`,
        );
      }
      const lengthBytes = Buffer.alloc(8);
      readFully(fd, lengthBytes, 0, path, 'the header length');
      const headerLength = lengthBytes.readBigUInt64LE(0);
      if (headerLength > BigInt(MAX_HEADER_BYTES)) {
        throw hfError(
          'safetensors-header',
          path,
          `the first 8 bytes give a header length of ${headerLength} bytes, over the limit of ${MAX_HEADER_BYTES} bytes (100 MB) that safetensors readers, ` +
            "Hugging Face's included, accept: the file is damaged or not safetensors",
        );
      }
      if (headerLength > BigInt(fileSize - 8)) {
        throw hfError(
          'safetensors-header',
          path,
          `the first 8 bytes give a header length of ${headerLength} bytes, but the file holds only ${fileSize - 8} bytes after them: it is truncated or not safetensors`,
        );
      }
      const headerBytes = Buffer.alloc(Number(headerLength));
      readFully(fd, headerBytes, 8, path, 'the header');
      const dataStart = 8 + Number(headerLength);
      const { metadata, tensors } = parseSafetensorsHeader(headerBytes, fileSize - dataStart, dataStart, path);
      return new SafetensorsFile(path, fd, metadata, tensors);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw missingTensor(this.path, name);
    return info;
  }

  readBytes(name: string): Uint8Array {
    const info = this.info(name);
    const bytes = new Uint8Array(info.byteLength);
    readFully(this.openFd(), bytes, info.byteOffset, this.path, `tensor '${name}'`);
    return bytes;
  }

  readFloat32(name: string, into?: Float32Array): Float32Array {
    const info = this.info(name);
    if (!FLOAT_DTYPES.includes(info.dtype)) {
      throw hfError('tensor-dtype', this.path, `tensor '${name}' is ${info.dtype}; expected a floating-point tensor (${FLOAT_DTYPES.join(', ')})`, name);
    }
    const count = elementCount(info.shape);
    const out = into ?? new Float32Array(count);
    if (out.length !== count) {
      throw new Error(`readFloat32('${name}'): the target has ${out.length} elements, the tensor ${count}`);
    }
    const fd = this.openFd();
    const what = `tensor '${name}'`;
    if (info.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
      // Straight into the result's memory: no second copy of the tensor.
      readFully(fd, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), info.byteOffset, this.path, what);
      return out;
    }
    const size = DTYPE_BYTES[info.dtype];
    const scratch = new Uint8Array(Math.min(count, CHUNK_ELEMENTS) * size);
    for (let start = 0; start < count; start += CHUNK_ELEMENTS) {
      const n = Math.min(CHUNK_ELEMENTS, count - start);
      const chunk = scratch.subarray(0, n * size);
      readFully(fd, chunk, info.byteOffset + start * size, this.path, what);
      if (info.dtype === 'F16') decodeF16(chunk, out, start, n);
      else if (info.dtype === 'BF16') decodeBF16(chunk, out, start, n);
      else {
        const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (info.dtype === 'F32') for (let i = 0; i < n; i++) out[start + i] = view.getFloat32(4 * i, true);
        else for (let i = 0; i < n; i++) out[start + i] = view.getFloat64(8 * i, true);
      }
    }
    return out;
  }

  readInt64(name: string): BigInt64Array {
    const info = this.info(name);
    if (!INT_DTYPES.includes(info.dtype)) {
      throw hfError('tensor-dtype', this.path, `tensor '${name}' is ${info.dtype}; expected an integer tensor (${INT_DTYPES.join(', ')})`, name);
    }
    const bytes = this.readBytes(name);
    const count = elementCount(info.shape);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new BigInt64Array(count);
    for (let i = 0; i < count; i++) {
      switch (info.dtype) {
        case 'I64': out[i] = view.getBigInt64(8 * i, true); break;
        case 'I32': out[i] = BigInt(view.getInt32(4 * i, true)); break;
        case 'U32': out[i] = BigInt(view.getUint32(4 * i, true)); break;
        case 'I16': out[i] = BigInt(view.getInt16(2 * i, true)); break;
        case 'U16': out[i] = BigInt(view.getUint16(2 * i, true)); break;
        case 'I8': out[i] = BigInt(view.getInt8(i)); break;
        default: out[i] = BigInt(view.getUint8(i)); break;
      }
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`${this.path} was closed; open it again to read tensors`);
    return this.fd;
  }
}

/**
 * Validates a header the way Hugging Face's reader does: known dtypes, integer shapes, byte ranges
 * that match shape × dtype size, tile the data section without overlaps or holes, and end inside the
 * file. A file cut short fails here, at open, naming the first tensor whose bytes are missing.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  dataSize: number,
  dataStart: number,
  path: string,
): { metadata: Record<string, string>; tensors: Map<string, TensorInfo> } {
  const text = Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('utf8');
  let header: unknown;
  try {
    header = parseJsonText(text, path);
  } catch (e) {
    throw hfError('safetensors-header', path, `the JSON header is ${(e as Error).message}: the file is corrupt or not safetensors`);
  }
  if (!isPlainObject(header)) {
    throw hfError('safetensors-header', path, `the JSON header is ${describeJsonType(header)}; expected an object of tensors`);
  }
  const bad = (name: string, message: string) =>
    hfError('safetensors-header', path, `tensor '${name}' ${message}`, name);

  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) {
        throw hfError('safetensors-header', path, `"__metadata__" is ${describeJsonType(entry)}; expected an object of strings`, name);
      }
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') {
          throw hfError('safetensors-header', path, `"__metadata__.${key}" is ${describeJsonType(value)}; metadata values must be strings`, key);
        }
        metadata[key] = value;
      }
      continue;
    }
    if (!isPlainObject(entry)) throw bad(name, `is described by ${describeJsonType(entry)}; expected {dtype, shape, data_offsets}`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isSafetensorsDtype(dtype)) {
      throw bad(name, `has dtype ${describeJsonType(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(name, `has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      throw bad(name, `has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = elementCount(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw bad(name, `has shape [${shape.join(', ')}] of ${dtype}, which needs ${expected} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin} bytes`);
    }
    ranges.push({ name, begin, end });
    tensors.set(name, { name, dtype, shape: [...shape], file: path, byteOffset: dataStart + begin, byteLength: end - begin });
  }

  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const { name, begin, end } of ranges) {
    if (begin < covered) throw bad(name, `has data_offsets [${begin}, ${end}] that overlap tensor '${previous}' (which ends at ${covered})`);
    if (begin > covered) throw bad(name, `starts at byte ${begin} of the data, but the tensors before it end at ${covered}: bytes ${covered}..${begin} belong to no tensor`);
    if (end > dataSize) {
      throw hfError(
        'safetensors-truncated',
        path,
        `the file is truncated: tensor '${name}' needs data bytes ${begin}..${end}, but the file holds only ${dataSize} bytes of data (${dataStart + dataSize} bytes in all). Copy or download it again`,
        name,
      );
    }
    covered = end;
    previous = name;
  }
  if (covered !== dataSize) {
    throw hfError(
      'safetensors-header',
      path,
      `the tensors end at data byte ${covered}, but the file has ${dataSize - covered} more bytes after them: the header does not describe this file`,
    );
  }
  return { metadata, tensors };
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const d of shape) count *= d;
  return count;
}

export function missingTensor(path: string, name: string): XlmError {
  return hfError('tensor-missing', path, `no tensor '${name}' in this file`, name);
}

/** readSync may return fewer bytes than asked: loop, and call a short read what it is (a truncated file). */
function readFully(fd: number, target: Uint8Array, position: number, path: string, what: string): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (n === 0) {
      throw hfError('safetensors-truncated', path, `the file is truncated: it ended while reading ${what} (at byte ${position + done})`);
    }
    done += n;
  }
}
