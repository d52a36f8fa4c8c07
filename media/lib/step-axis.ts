/**
 * The step axis of the dashboard's charts. Steps are whole numbers: uPlot's own tick spacing (1, 2, 2.5, 5 × 10^k)
 * put ticks at step 2.5 and 7.5 on a short run, so the spacing here is whole: 1, 2, 5 × 10^k, never below 1.
 * Pure (no DOM), so the unit tests run it under Node.
 */

/** Ticks at multiples of the smallest whole spacing (1, 2, 5, 10, 20, 50, …) that keeps at most `maxTicks` within [min, max]. */
export function stepTicks(min: number, max: number, maxTicks: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  const most = Math.max(2, Math.floor(maxTicks));
  let spacing = 1;
  for (let k = 0; ; k++) {
    spacing = [1, 2, 5][k % 3]! * 10 ** Math.floor(k / 3);
    if (Math.floor(max / spacing) - Math.ceil(min / spacing) + 1 <= most) break;
  }
  const ticks: number[] = [];
  for (let t = Math.ceil(min / spacing) * spacing; t <= max; t += spacing) ticks.push(t);
  return ticks;
}

/** The step scale's range: from the first to the last step drawn; one point gets a step either side. */
export function stepRange(min: number, max: number): [number, number] {
  return min === max ? [min - 1, max + 1] : [min, max];
}
