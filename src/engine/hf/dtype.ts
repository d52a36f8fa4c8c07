/**
 * safetensors dtypes: their byte sizes, and conversion of the half-precision formats to and from
 * float32. Checkpoints arrive in F32, F16 or BF16; the engine computes in float32.
 */

/** Every dtype the safetensors format names, with its size in bytes (sizes let us validate any file). */
export const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

/** Dtypes read as float32 (floats widen or narrow to float32). */
export const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];
/** Dtypes read as int64 (integers widen). */
export const INT_DTYPES: readonly SafetensorsDtype[] = ['I64', 'I32', 'I16', 'I8', 'U8', 'U16', 'U32', 'BOOL'];

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | null = null;

/** All 65536 half-precision values as float32: one lookup per element beats bit fiddling. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  halfTable = table;
  return table;
}

/** 16-bit little-endian words of `bytes`: a direct view when possible, else decoded. */
function words(bytes: Uint8Array, count: number): Uint16Array {
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return out;
}

/** Decodes `count` little-endian F16 values from `bytes` into `out` starting at `outOffset`. */
export function decodeF16(bytes: Uint8Array, out: Float32Array, outOffset: number, count: number): void {
  const table = halfToFloatTable();
  const half = words(bytes, count);
  for (let i = 0; i < count; i++) out[outOffset + i] = table[half[i]];
}

/** BF16 is the upper half of a float32: shifting the 16 bits up is exact. */
export function decodeBF16(bytes: Uint8Array, out: Float32Array, outOffset: number, count: number): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset + 4 * outOffset, count);
  const half = words(bytes, count);
  for (let i = 0; i < count; i++) bits[i] = half[i] << 16;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → F16 bits, rounding to nearest even as numpy and PyTorch do (overflow gives ±inf). */
export function floatToHalfBits(value: number): number {
  f32[0] = value;
  return floatBitsToHalfBits(u32[0]);
}

/** The same from the float32's bit pattern (a Uint32Array view of a Float32Array gives it without a copy). */
export function floatBitsToHalfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 31) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the mantissa, with its implicit 1, into place and round.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** float32 → BF16 bits, rounding to nearest even (PyTorch's rule); NaN stays a quiet NaN. */
export function floatToBF16Bits(value: number): number {
  f32[0] = value;
  return floatBitsToBF16Bits(u32[0]);
}

export function floatBitsToBF16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
