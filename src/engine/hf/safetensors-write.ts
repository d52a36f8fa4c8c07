import { LITTLE_ENDIAN_HOST, floatBitsToBF16Bits, floatBitsToHalfBits, floatToBF16Bits, floatToHalfBits } from './dtype.js';
import { withAtomicFile, writeAll } from './atomic.js';
import { elementCount } from './safetensors.js';

/**
 * Writing safetensors files in the layout Hugging Face writes: the header padded with spaces so the
 * data starts at a multiple of 8 bytes, tensors in the order given, data streamed tensor by tensor
 * (converted in chunks), under a temporary name renamed into place when complete.
 */

export type WritableDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

export interface TensorToWrite {
  dtype: WritableDtype;
  shape: readonly number[];
  /** Float dtypes take float values (F16/BF16 are rounded to nearest even); integer dtypes take integers. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | ArrayLike<number>;
}

const BYTES: Record<WritableDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
const CHUNK_ELEMENTS = 1 << 20;

export function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite> | ReadonlyMap<string, TensorToWrite>,
  metadata?: Record<string, string>,
): void {
  const entries: Array<[string, TensorToWrite]> =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, TensorToWrite>).entries()] : Object.entries(tensors as Record<string, TensorToWrite>);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`writeSafetensors(${path}): metadata '${key}' must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (name === '' || name === '__metadata__') throw new Error(`writeSafetensors(${path}): '${name}' is not a usable tensor name`);
    if (!(tensor.dtype in BYTES)) throw new Error(`writeSafetensors(${path}): tensor '${name}' has unsupported dtype ${tensor.dtype}`);
    if (!tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`writeSafetensors(${path}): tensor '${name}' has shape [${tensor.shape.join(', ')}]; dimensions must be non-negative integers`);
    }
    const count = elementCount(tensor.shape);
    if (tensor.data.length !== count) {
      throw new Error(`writeSafetensors(${path}): tensor '${name}' has shape [${tensor.shape.join(', ')}] (${count} elements) but ${tensor.data.length} values`);
    }
    const size = count * BYTES[tensor.dtype];
    header[name] = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  // The 8-byte length field plus the header must end on a multiple of 8, so data can be mapped aligned.
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthField = Buffer.alloc(8);
  lengthField.writeBigUInt64LE(BigInt(headerBytes.length));

  withAtomicFile(path, (fd) => {
    writeAll(fd, lengthField);
    writeAll(fd, headerBytes);
    for (const [, tensor] of entries) writeTensorData(fd, tensor);
  });
}

function writeTensorData(fd: number, tensor: TensorToWrite): void {
  const { dtype, data } = tensor;
  const direct =
    LITTLE_ENDIAN_HOST &&
    ((dtype === 'F32' && data instanceof Float32Array) ||
      (dtype === 'I64' && data instanceof BigInt64Array) ||
      (dtype === 'I32' && data instanceof Int32Array));
  if (direct) {
    const typed = data as Float32Array | BigInt64Array | Int32Array;
    writeAll(fd, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    return;
  }
  const size = BYTES[dtype];
  if (LITTLE_ENDIAN_HOST && (dtype === 'F16' || dtype === 'BF16') && data instanceof Float32Array) {
    // Rounding from the float32 bit patterns straight into 16-bit words: no per-element Buffer calls.
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const toHalf = dtype === 'F16' ? floatBitsToHalfBits : floatBitsToBF16Bits;
    const words = new Uint16Array(Math.min(data.length, CHUNK_ELEMENTS));
    for (let start = 0; start < data.length; start += CHUNK_ELEMENTS) {
      const n = Math.min(CHUNK_ELEMENTS, data.length - start);
      for (let i = 0; i < n; i++) words[i] = toHalf(bits[start + i]);
      writeAll(fd, new Uint8Array(words.buffer, 0, 2 * n));
    }
    return;
  }
  const scratch = Buffer.alloc(Math.min(data.length, CHUNK_ELEMENTS) * size);
  for (let start = 0; start < data.length; start += CHUNK_ELEMENTS) {
    const n = Math.min(CHUNK_ELEMENTS, data.length - start);
    for (let i = 0; i < n; i++) {
      const value = data[start + i];
      switch (dtype) {
        case 'F32': scratch.writeFloatLE(Number(value), 4 * i); break;
        case 'F16': scratch.writeUInt16LE(floatToHalfBits(Number(value)), 2 * i); break;
        case 'BF16': scratch.writeUInt16LE(floatToBF16Bits(Number(value)), 2 * i); break;
        case 'I32': scratch.writeInt32LE(checkedInteger(value, dtype), 4 * i); break;
        case 'I64': scratch.writeBigInt64LE(typeof value === 'bigint' ? value : BigInt(checkedInteger(value, dtype)), 8 * i); break;
      }
    }
    writeAll(fd, scratch.subarray(0, n * size));
  }
}

function checkedInteger(value: number | bigint, dtype: WritableDtype): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`writeSafetensors: ${String(value)} is not an integer, cannot store it as ${dtype}`);
  return n;
}
