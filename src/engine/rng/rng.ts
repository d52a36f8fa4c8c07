/**
 * A small seeded random generator for everything that must repeat bit for bit: tiny test models,
 * weight initialisation, data shuffling, masking. Math.random cannot be seeded, so runs that must be
 * reproducible draw from here instead.
 *
 * The uniform source is mulberry32 (32-bit state, period 2^32): fast, tiny, and good enough for
 * initialisation and shuffling, which need no cryptographic quality. Normals come from Box-Muller;
 * the second value of each pair is kept for the next call so no draw is wasted.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (mean 0, std 1), or mean + std * that when given. */
  normal(mean?: number, std?: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** The generator's state, so a run can save it and continue the same sequence later. */
  state(): RngState;
}

export interface RngState {
  seed: number;
  spareNormal: number | null;
}

export function createRng(seed: number, spareNormal: number | null = null): Rng {
  if (!Number.isFinite(seed)) throw new Error(`createRng: seed must be a finite number, got ${seed}`);
  let s = seed >>> 0;
  let spare = spareNormal;

  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const standardNormal = (): number => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };

  return {
    next,
    normal: (mean = 0, std = 1) => mean + std * standardNormal(),
    int: (n: number) => {
      if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    state: () => ({ seed: s, spareNormal: spare }),
  };
}

/** A Float32Array of `count` normal draws with the given std (mean 0): random weights in one call. */
export function normalArray(rng: Rng, count: number, std: number, mean = 0): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal(mean, std);
  return out;
}
