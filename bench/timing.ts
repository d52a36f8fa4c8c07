/** Timing shared by the benchmarks that compare us with a peer in the same run. */

/**
 * Seconds per call of each contender, after one warm-up call each. Runs alternate between contenders so
 * that load from other processes on this shared machine falls on both alike.
 */
export async function interleaved(runs: number, contenders: Record<string, () => Promise<unknown>>): Promise<Record<string, number[]>> {
  const seconds: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(contenders)) {
    await fn();
    seconds[name] = [];
  }
  for (let i = 0; i < runs; i++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const start = performance.now();
      await fn();
      seconds[name].push((performance.now() - start) / 1000);
    }
  }
  return seconds;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median seconds of each contender. */
export async function interleavedMedians(runs: number, contenders: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const seconds = await interleaved(runs, contenders);
  return Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, median(v)]));
}
