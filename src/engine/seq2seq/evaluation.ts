/**
 * Evaluation during translation training: the current weights are built into optimum's two ONNX graphs (encoder,
 * merged decoder) in memory, as the export would write them, and decoded by the translation code `xlm translate`
 * and the hover use (Translator: greedy, or beam search with --eval-beams), so the figures are the ones the trained
 * model will give there. Only the model's small files (config.json, tokenizer, generation settings) are written,
 * once a run, to a scratch folder the Translator reads them from; the weights never go to disk. The translations are
 * scored with BLEU, chrF and chrF++ (src/engine/metrics/translation.ts) pooled and, when the eval data holds several
 * language pairs, per pair (`bleu/en-de`: the eval-line layout the dashboard draws, as `accuracy/de` for XLM-R
 * tasks), with sacreBLEU's signature of each pooled score.
 */
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { XlmError, field, said } from '../errors.js';
import { BestTracker, type BestTrackerState, type BestVerdict, type MetricForBest } from '../eval/best-tracker.js';
import { pyFixed } from '../metrics/mt-format.js';
import { scoreTranslations, type TranslationScores } from '../metrics/translation.js';
import { Translator, type TranslatorFolder } from '../translate/translator.js';
import type { RunEvaluator } from '../train/train.js';
import type { TranslationPair } from './features.js';
import { encodeGraph } from '../graph/encode.js';
import type { Graph } from '../graph/graph.js';

/** An eval pair; its languages name its language pair in the scores (absent: the run's --source-lang / --target-lang). */
export interface EvalPair extends TranslationPair {
  sourceLang?: string;
  targetLang?: string;
}

export interface TranslationEvalOptions {
  pairs: readonly EvalPair[];
  /** 1: greedy; more: beam search. */
  beams: number;
  /** Longest translation in tokens, the start token included. */
  maxLength: number;
  batchSize: number;
  threads?: number;
  /** The languages the run trains with (models with language tokens). */
  sourceLang?: string;
  targetLang?: string;
  metricForBest?: MetricForBest;
  patience?: number;
  /** Where the first evaluation writes the model's small files to read them (removed at once). */
  scratch: string;
  /** Writes the model folder's config.json, tokenizer and generation files, no weights. */
  writeSettings(dir: string): void;
  /** The folder those files come from (the run's base model): errors about them name it, not the removed scratch copy. */
  settingsFrom: string;
  /** An inference graph of the model with the given trained weights (LoRA merged). */
  buildGraph(kind: 'encoder' | 'decoder-merged', params: ReadonlyMap<string, Float32Array>): Graph;
}

/** The scores of an evaluation as scoreTranslations gives them. */
type Scores = { pairs: TranslationScores[]; all: TranslationScores };

/** The eval key and direction of --metric-for-best for a translation run. */
export function translationMetricKey(metric: MetricForBest): { key: string; greaterIsBetter: boolean } {
  if (metric === 'bleu' || metric === 'chrf') return { key: metric, greaterIsBetter: true };
  throw new XlmError('bad-option', said`${field('metricForBest')} ${metric} has no meaning for the translation task; use bleu or chrf`, { what: 'metricForBest' });
}

export class TranslationEvaluation implements RunEvaluator {
  readonly tracker: BestTracker | undefined;
  /** The last evaluation's scores (the table at the end of a run). */
  lastScores: Scores | undefined;
  /** The last evaluation's translations of the eval sources, in order, with their log-probability scores. */
  lastTranslations: { text: string; score: number }[] | undefined;
  private settingsRead: TranslatorFolder | undefined;

  constructor(private readonly o: TranslationEvalOptions) {
    if (o.pairs.length === 0) throw new XlmError('empty-data', said`no parallel pairs to evaluate on`, { what: 'eval' });
    if (!Number.isInteger(o.beams) || o.beams < 1) throw new XlmError('bad-option', said`${field('evalBeams')} must be a whole number of at least 1, got ${o.beams}`, { what: 'evalBeams' });
    this.tracker = o.metricForBest ? new BestTracker({ ...translationMetricKey(o.metricForBest), patience: o.patience }) : undefined;
  }

  /**
   * Translates the eval sources with the given weights and scores them: the eval line's metrics (bleu, chrf, chrf++
   * pooled; `name/PAIR` per language pair when there are several; 0–100) and the signature of each pooled score; with
   * --metric-for-best, the tracker's verdict.
   */
  async run(step: number, params: ReadonlyMap<string, Float32Array>): Promise<{ eval: Record<string, number>; signatures: Record<string, string>; verdict?: BestVerdict }> {
    const translations = await this.translate(params);
    this.lastTranslations = translations;
    const o = this.o;
    const scores = scoreTranslations(o.pairs.map((p, i) => ({
      hypothesis: translations[i].text, references: [p.target], sourceLang: p.sourceLang ?? o.sourceLang, targetLang: p.targetLang ?? o.targetLang,
    })));
    this.lastScores = scores;
    const metrics = (s: TranslationScores) => ({ bleu: s.bleu.score, chrf: s.chrf.score, 'chrf++': s.chrfPlusPlus.score });
    const flat: Record<string, number> = { ...metrics(scores.all) };
    if (scores.pairs.length > 1) for (const pair of scores.pairs) for (const [name, value] of Object.entries(metrics(pair))) flat[`${name}/${pair.pair}`] = value;
    const signatures = { bleu: scores.all.bleu.signature, chrf: scores.all.chrf.signature, 'chrf++': scores.all.chrfPlusPlus.signature };
    return { eval: flat, signatures, ...(this.tracker ? { verdict: this.tracker.update(step, flat) } : {}) };
  }

  trackerState(): BestTrackerState | undefined {
    return this.tracker?.state();
  }

  /** No onnxruntime session stays open between evaluations: each one opens its graphs and closes them. */
  async release(): Promise<void> {}

  /**
   * The saved folder's settings and tokenizer, read once per run: the first evaluation writes the folder's small files
   * to the scratch folder, parses them and removes them; each evaluation then builds only the two graphs.
   */
  private folder(): TranslatorFolder {
    if (this.settingsRead) return this.settingsRead;
    const scratch = this.o.scratch;
    rmSync(scratch, { recursive: true, force: true });
    try {
      this.o.writeSettings(scratch);
      // Named after the base model's folder (a Marian pair read from its name, errors naming a file there).
      this.settingsRead = { ...Translator.readFolder(scratch, basename(this.o.settingsFrom)), dir: this.o.settingsFrom };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    return this.settingsRead;
  }

  private async translate(params: ReadonlyMap<string, Float32Array>): Promise<{ text: string; score: number }[]> {
    const o = this.o;
    const inMemory = { encoder: encodeGraph(o.buildGraph('encoder', params)), decoder: encodeGraph(o.buildGraph('decoder-merged', params)) };
    const translator = await Translator.open(this.folder(), { threads: o.threads, inMemory });
    try {
      const done = await translator.translate(o.pairs.map((p) => p.source), {
        numBeams: o.beams, maxLength: o.maxLength, batchSize: o.batchSize, from: o.sourceLang, to: o.targetLang,
      });
      return done.map((t) => ({ text: t.text, score: t.score }));
    } finally {
      await translator.close();
    }
  }
}

/**
 * The end-of-run table: BLEU, chrF2 and chrF2++ per language pair (and `all` over them when there are several),
 * then sacreBLEU's signature of each pooled score.
 */
export function formatTranslationScores(scores: Scores): string {
  const rows = scores.pairs.length > 1 ? [...scores.pairs, scores.all] : scores.pairs;
  const cells = rows.map((r) => [r.pair, pyFixed(r.bleu.score, 1), pyFixed(r.chrf.score, 1), pyFixed(r.chrfPlusPlus.score, 1), String(r.segments)]);
  const head = ['pair', 'BLEU', 'chrF2', 'chrF2++', 'segments'];
  const widths = head.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ').trimEnd();
  const { all } = scores;
  return [line(head), ...cells.map(line), `BLEU|${all.bleu.signature}`, `${all.chrf.name}|${all.chrf.signature}`, `${all.chrfPlusPlus.name}|${all.chrfPlusPlus.signature}`].join('\n') + '\n';
}

/** The folder an evaluation writes its model's small files into, inside the run's output folder. */
export function evalScratchDir(out: string): string {
  return join(out, '.eval-model');
}
