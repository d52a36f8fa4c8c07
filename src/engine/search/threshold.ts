/**
 * The similarity above which two sentences of different languages are shown as a possible translation, and how
 * it was obtained. It lives beside a model's weights in `translation-threshold.json`, written by
 * `scripts/calibrate-translation-threshold.ts` (which prints the same figures again):
 *
 *   { "format": "xlm-lab-translation-threshold/1", "score": "margin", "threshold": 1.02, "neighbours": 4,
 *     "centring": "per-language", "shrinkage": 1, "targetPrecision": 0.9,
 *     "calibration": { ...figures on the split it was chosen on }, "heldOut": { ...figures on a split it never saw },
 *     "note": "how it was obtained" }
 *
 * The score compares vectors as the sentence index does (search/sentence-index.ts): `xlm embed --normalize`
 * vectors, centred on their language's mean when `centring` is "per-language", unit length; `score` is their
 * cosine, or ("margin", search/margin.ts) the cosine over the mean closeness of each side to its `neighbours`
 * nearest sentences of other languages.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { XlmError } from '../errors.js';
import { isPlainObject, readJsonFile } from '../hf/json.js';

export const THRESHOLD_FILE = 'translation-threshold.json';
export const THRESHOLD_FORMAT = 'xlm-lab-translation-threshold/1';

/** Precision, recall and counts of "cosine >= threshold means translation" on a set of pairs. */
export interface PairFigures {
  precision: number;
  recall: number;
  /** Translation pairs and other pairs the figures were measured on. */
  pairs: number;
  nonPairs: number;
}

export interface TranslationThreshold {
  score: 'cosine' | 'margin';
  /** The least score shown. */
  threshold: number;
  /** Neighbours of each side a margin averages over. */
  neighbours: number;
  centring: 'per-language' | 'none';
  /** Pseudo-vectors at the overall mean blended into each language's mean (search/centring.ts). */
  shrinkage: number;
  targetPrecision: number;
  calibration: PairFigures;
  heldOut?: PairFigures;
  /**
   * The least cosine (of the vectors as centred) a match must also reach, whatever its margin: a margin divides by
   * the closeness of each side's nearest sentences, which a workspace of a few sentences makes small, so in a small
   * workspace a weak pair's margin passes; the floor is chosen on balanced pairs, where the workspace's size plays no part.
   */
  similarityFloor?: number;
  note: string;
}

const thresholds = new Map<string, { mtimeMs: number; value: TranslationThreshold }>();

/** The model folder's calibrated threshold, or undefined when it has none; a malformed file is an error naming the field. */
export function readTranslationThreshold(dir: string): TranslationThreshold | undefined {
  const file = join(dir, THRESHOLD_FILE);
  if (!existsSync(file)) return undefined;
  const mtimeMs = statSync(file).mtimeMs;
  const cached = thresholds.get(file);
  if (cached?.mtimeMs === mtimeMs) return cached.value;
  const json = readJsonFile(file);
  const bad = (what: string, expected: string): never => {
    throw new XlmError('model/translation-threshold', `"${what}" must be ${expected}`, { file, what });
  };
  if (!isPlainObject(json)) return bad('(file)', `an object with "format": "${THRESHOLD_FORMAT}"`);
  if (json.format !== THRESHOLD_FORMAT) bad('format', `"${THRESHOLD_FORMAT}"`);
  const num = (x: unknown, what: string, min: number, max: number): number => (typeof x === 'number' && x >= min && x <= max ? x : bad(what, `a number in [${min}, ${max}]`));
  const figures = (x: unknown, what: string): PairFigures => {
    if (!isPlainObject(x)) return bad(what, 'an object { precision, recall, pairs, nonPairs }');
    return { precision: num(x.precision, `${what}.precision`, 0, 1), recall: num(x.recall, `${what}.recall`, 0, 1), pairs: num(x.pairs, `${what}.pairs`, 0, Infinity), nonPairs: num(x.nonPairs, `${what}.nonPairs`, 0, Infinity) };
  };
  if (json.centring !== 'per-language' && json.centring !== 'none') bad('centring', '"per-language" or "none"');
  if (json.score !== 'cosine' && json.score !== 'margin') bad('score', '"cosine" or "margin"');
  if (typeof json.note !== 'string') bad('note', 'a string saying how the threshold was obtained');
  const value: TranslationThreshold = {
    score: json.score as TranslationThreshold['score'],
    threshold: num(json.threshold, 'threshold', -1e6, 1e6),
    neighbours: num(json.neighbours, 'neighbours', 1, 1000),
    centring: json.centring as TranslationThreshold['centring'],
    shrinkage: num(json.shrinkage, 'shrinkage', 0, Infinity),
    targetPrecision: num(json.targetPrecision, 'targetPrecision', 0, 1),
    calibration: figures(json.calibration, 'calibration'),
    heldOut: json.heldOut === undefined ? undefined : figures(json.heldOut, 'heldOut'),
    ...(json.similarityFloor === undefined ? {} : { similarityFloor: num(json.similarityFloor, 'similarityFloor', -1, 1) }),
    note: json.note as string,
  };
  thresholds.set(file, { mtimeMs, value });
  return value;
}

/** Precision and recall of "score >= threshold" (a threshold no pair reaches has precision 1 by convention: nothing shown, nothing wrong). */
export function figuresAt(scores: readonly number[], positive: readonly boolean[], threshold: number): PairFigures {
  let tp = 0;
  let fp = 0;
  let pairs = 0;
  for (const [i, s] of scores.entries()) {
    if (positive[i]) pairs++;
    if (s >= threshold) {
      if (positive[i]) tp++;
      else fp++;
    }
  }
  return { precision: tp + fp ? tp / (tp + fp) : 1, recall: pairs ? tp / pairs : 0, pairs, nonPairs: scores.length - pairs };
}

/**
 * The lowest threshold at which "score >= threshold" has at least `targetPrecision` (so the most recall that
 * precision allows), among the scores themselves, with at least `minShown` pairs above it so a handful of lucky
 * pairs cannot set it; undefined when no threshold reaches the target.
 */
export function thresholdForPrecision(scores: readonly number[], positive: readonly boolean[], targetPrecision: number, minShown = 10): { threshold: number; figures: PairFigures } | undefined {
  const order = scores.map((s, i) => ({ s, p: positive[i]! })).sort((a, b) => b.s - a.s);
  let tp = 0;
  let fp = 0;
  let best: number | undefined;
  for (let k = 0; k < order.length; k++) {
    if (order[k]!.p) tp++;
    else fp++;
    // Only where the next score differs: ties are all shown or all hidden.
    if (k + 1 < order.length && order[k + 1]!.s === order[k]!.s) continue;
    if (tp + fp >= minShown && tp / (tp + fp) >= targetPrecision) best = order[k]!.s;
  }
  return best === undefined ? undefined : { threshold: best, figures: figuresAt(scores, positive, best) };
}
