/**
 * BLEU and chrF written the way sacreBLEU's command line writes them, as its text line
 * (`BLEU|nrefs:1|...|version:2.6.0 = 34.5 70.0/45.2/30.1/20.0 (BP = 1.000 ratio = 1.020 hyp_len = 51 ref_len = 50)`)
 * and its JSON object, so output of `xlm score` can be read by what reads sacreBLEU's.
 */
import type { BleuScore } from './bleu.js';
import type { ChrfScore } from './chrf.js';

/**
 * Python's `f'{x:.{digits}f}'` for x ≥ 0: like toFixed, except that an exact tie rounds to the even digit (Python
 * 0.125 → '0.12', JavaScript '0.13'); ties are exact binary values such as a ratio of 17/16.
 */
export function pyFixed(x: number, digits: number): string {
  const rounded = x.toFixed(digits);
  if (!(x >= 0) || !Number.isFinite(x)) return rounded;
  const exact = x.toFixed(100);
  const dot = exact.indexOf('.');
  const kept = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
  if (!/^50*$/.test(exact.slice(dot + 1 + digits))) return rounded;
  const lastDigit = Number(kept[kept.length - 1]);
  return lastDigit % 2 === 0 ? kept : rounded;
}

/** sacreBLEU's part after the score: precisions, brevity penalty, ratio and lengths. */
function bleuVerbose(s: BleuScore): string {
  return `${s.precisions.map((p) => pyFixed(p, 1)).join('/')} (BP = ${pyFixed(s.bp, 3)} ratio = ${pyFixed(s.ratio, 3)} hyp_len = ${s.hypLength} ref_len = ${s.refLength})`;
}

/** The line `sacrebleu -f text` prints; width is its `-w` (digits after the point, default 1). */
export function bleuLine(s: BleuScore, width = 1): string {
  return `BLEU|${s.signature} = ${pyFixed(s.score, width)} ${bleuVerbose(s)}`;
}

export function chrfLine(s: ChrfScore, width = 1): string {
  return `${s.name}|${s.signature} = ${pyFixed(s.score, width)}`;
}

/** The JSON object sacreBLEU prints by default: name, rounded score, signature, its parts, and BLEU's verbose part. */
export function sacrebleuJson(name: string, score: number, signature: string, width = 1, verbose?: string): Record<string, string | number> {
  const out: Record<string, string | number> = { name, score: Number(pyFixed(score, width)), signature };
  if (verbose !== undefined) out.verbose_score = verbose;
  for (const part of signature.split('|')) {
    const colon = part.indexOf(':');
    out[part.slice(0, colon)] = part.slice(colon + 1);
  }
  return out;
}

export function bleuJson(s: BleuScore, width = 1): Record<string, string | number> {
  return sacrebleuJson('BLEU', s.score, s.signature, width, bleuVerbose(s));
}

export function chrfJson(s: ChrfScore, width = 1): Record<string, string | number> {
  return sacrebleuJson(s.name, s.score, s.signature, width);
}
