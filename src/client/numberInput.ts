/** Why a number typed into the fine-tune wizard's Customize… boxes is refused, in words; undefined when it is fine. */
export function numberProblem(typed: string, what: string, whole: boolean, max: number): string | undefined {
  const n = Number(typed.trim());
  const expected = whole ? `a whole number from 1 to ${max}` : `a number above 0${max < Infinity ? ` and at most ${max}` : ''}, such as 0.001 or 5e-4`;
  if (typed.trim() === '' || !Number.isFinite(n)) return `"${typed}" is not a number; ${what.toLowerCase()} is ${expected}`;
  if (n <= 0 || n > max || (whole && !Number.isInteger(n))) return `${what} is ${expected}, not ${typed.trim()}`;
  return undefined;
}
