/**
 * A pre-training recipe: everything that decides the model `xlm pretrain` builds, in one JSON file
 * (recipes/default.json, recipes/tiny.json). Parsing checks every key and names the file and the key
 * path of a wrong value, so a typo in a recipe never silently trains something else.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { HELD_OUT_ARTICLES, LAST_ARTICLE, PREAMBLE, UDHR_LANGUAGE_CODES } from './languages.js';
import { XLMR_SMOOTHING_ALPHA } from './sampling.js';
import { isUdhrLanguageCode } from './corpus.js';
import { SOURCE_NAMES, type SourceName } from './sources.js';

export const OBJECTIVE_NAMES = ['mlm', 'tlm', 'nsp', 'rank'] as const;
export type ObjectiveName = (typeof OBJECTIVE_NAMES)[number];

/**
 * How the weights start: 'hf' is transformers' _init_weights; 'structured' starts layer 0 with heads on the
 * previous and next token and the masked-LM bias at the pieces' log-frequencies (structured-init.ts).
 */
export const PRETRAIN_INITS = ['hf', 'structured'] as const;
export type PretrainInit = (typeof PRETRAIN_INITS)[number];

export interface RecipeModel {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
}

export interface RecipeObjective {
  name: ObjectiveName;
  /** Share of each batch's rows given to this objective (weights are normalised over the objectives). */
  weight: number;
}

export interface PretrainRecipe {
  /** A label for logs and the model card. */
  name: string;
  model: RecipeModel;
  /** Final vocabulary size, XLM-R's five special tokens included. */
  vocabSize: number;
  /** ISO 639-3 codes of the corpus languages (languages.ts). */
  languages: string[];
  /** Articles (0 = preamble) never read by the tokenizer or pre-training: the test set. */
  heldOutArticles: number[];
  /**
   * Articles also never trained on, kept for choices that must not look at the test set (the demo picks its
   * pair-detection threshold on them). Default none.
   */
  validationArticles: number[];
  objectives: RecipeObjective[];
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  weightDecay: number;
  seed: number;
  /** Tokens per row, <s> and </s> included; the position table gets maxLength + 2 rows (XLM-R's pad offset). */
  maxLength: number;
  maskProbability: number;
  /** Language-sampling exponent (XLM-R: 0.3). */
  alpha: number;
  dropout: number;
  init: PretrainInit;
  /** More text than the UDHR (sources.ts); absent: the UDHR alone, as recipes before it. */
  corpus?: RecipeCorpus;
  /** When to measure the model on validation data while it trains (evaluate.ts); absent: never. */
  evaluation?: RecipeEvaluation;
  /** A second stage of training after this one (absent: one stage). */
  secondStage?: RecipeStage;
  /**
   * A third stage after the second, from its last weights (fromStep: where the second stage ends, or one of its
   * steps before that, where the second then stops), rounded to float16 as a shipped model has them, with a fresh
   * optimizer and its own batches and schedule.
   */
  thirdStage?: RecipeStage;
  /** A fourth stage after the third, from its last weights, in the same way. */
  fourthStage?: RecipeStage;
  /** A fifth stage after the fourth, from its last weights, in the same way. */
  fifthStage?: RecipeStage;
  /** A sixth stage after the fifth, from its last weights, in the same way. */
  sixthStage?: RecipeStage;
}

/**
 * The keys of a recipe's later stages, in order: each one starts from the weights of the one before it at its
 * fromStep, which is where the one before it stops (its end, or one of its steps before that: its learning-rate
 * schedule still runs over all its steps, as the first stage's does when the second starts within it).
 */
export const LATER_STAGES = ['secondStage', 'thirdStage', 'fourthStage', 'fifthStage', 'sixthStage'] as const;
export type LaterStageKey = (typeof LATER_STAGES)[number];
const ORDINALS = ['second', 'third', 'fourth', 'fifth', 'sixth'] as const;
const COUNTS = ['one', 'two', 'three', 'four', 'five'] as const;

/**
 * A recipe's later stages in order, each with its key, its place (0: the second stage), its ordinal ("third"), how
 * many stages come before it in words ("two"), and the step it stops at (`end`: the next stage's fromStep, else
 * fromStep + steps).
 */
export function laterStages(recipe: PretrainRecipe): { key: LaterStageKey; index: number; ordinal: string; before: string; stage: RecipeStage; end: number }[] {
  const found = LATER_STAGES.flatMap((key, index) => {
    const stage = recipe[key];
    return stage ? [{ key, index, ordinal: ORDINALS[index], before: COUNTS[index], stage }] : [];
  });
  return found.map((l, i) => ({ ...l, end: found[i + 1]?.stage.fromStep ?? l.stage.fromStep + l.stage.steps }));
}

/**
 * A second stage: it starts from the first stage's weights at `fromStep`, rounded to float16 as a shipped mark's
 * weights are (so a shipped first-stage model is a valid start: `xlm pretrain --start-from DIR`), with a fresh
 * optimizer, its own batches (mixture, size, length, seed), schedule and ranking-loss weight. The tokenizer, corpus
 * and model shape are the first stage's.
 */
export interface RecipeStage {
  name: string;
  fromStep: number;
  objectives: RecipeObjective[];
  steps: number;
  batchSize: number;
  /** Tokens per row, at most the first stage's maxLength (the position table is the first stage's). */
  maxLength: number;
  learningRate: number;
  warmupSteps: number;
  seed: number;
  /** Weight of the translation-ranking loss beside masked-LM (the first stage's is RANK_WEIGHT, 0.4). */
  rankWeight: number;
  /**
   * Harder negatives: a RANK batch's translation pairs come from this many consecutive units of one source
   * (neighbouring verses, not verses from anywhere in the book); absent: from all of the source's units.
   */
  rankWindow?: number;
  evaluation?: RecipeEvaluation;
}

export interface RecipeCorpus {
  /** quran-json: chapters held out as validation and as test; absent: no Quran text. */
  quran?: { validationChapters: number[]; testChapters: number[] };
  /** cldr-localenames-full: shares of the name keys (by hash) held out as validation and as test; absent: not used. */
  cldrLocalenames?: { validationShare: number; testShare: number };
  /** A source never trained on (not even its characters): the "another kind of text" of validation. */
  heldOutSource?: SourceName;
  /**
   * Which source a TLM or RANK row's translation pair comes from, as shares (normalised); a source left out
   * gives none. Languages within a source are drawn with the recipe's smoothing.
   */
  parallelMix: Partial<Record<SourceName, number>>;
}

export interface RecipeEvaluation {
  /** Marks in minutes of training time (evaluation time not counted). */
  minutes: number[];
  /** Marks in optimizer steps. */
  steps: number[];
  /** Keep a model folder at every mark (the run folder's marks/), to ship the best one. Default true. */
  keepCheckpoints: boolean;
}

/** Every article pre-training must not read: the test set and the validation set. */
export function unseenArticles(recipe: Pick<PretrainRecipe, 'heldOutArticles' | 'validationArticles'>): number[] {
  return [...recipe.heldOutArticles, ...recipe.validationArticles].sort((a, b) => a - b);
}

const DEFAULTS = {
  heldOutArticles: [...HELD_OUT_ARTICLES],
  validationArticles: [] as number[],
  warmupSteps: 0,
  weightDecay: 0.01,
  seed: 0,
  maskProbability: 0.15,
  alpha: XLMR_SMOOTHING_ALPHA,
  dropout: 0.1,
  init: 'hf' as PretrainInit,
};

const KEYS = ['name', 'model', 'vocabSize', 'languages', 'heldOutArticles', 'validationArticles', 'objectives', 'steps', 'batchSize', 'learningRate', 'warmupSteps', 'weightDecay', 'seed', 'maxLength', 'maskProbability', 'alpha', 'dropout', 'init', 'corpus', 'evaluation', ...LATER_STAGES];
const STAGE_KEYS = ['name', 'fromStep', 'objectives', 'steps', 'batchSize', 'maxLength', 'learningRate', 'warmupSteps', 'seed', 'rankWeight', 'rankWindow', 'evaluation'];
const CORPUS_KEYS = ['quran', 'cldrLocalenames', 'heldOutSource', 'parallelMix'];
const EVALUATION_KEYS = ['minutes', 'steps', 'keepCheckpoints'];
const MODEL_KEYS = ['layers', 'hidden', 'heads', 'intermediate'];

class RecipeReader {
  constructor(readonly file: string) {}

  fail(key: string, message: string): never {
    throw new XlmError('recipe-invalid', `"${key}" ${message}`, { file: this.file, what: key });
  }

  object(value: unknown, key: string, allowed: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(key, `must be an object, got ${JSON.stringify(value)}`);
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) {
      if (!allowed.includes(k)) this.fail(key ? `${key}.${k}` : k, `is not a recipe key; expected one of ${allowed.join(', ')}`);
    }
    return record;
  }

  integer(value: unknown, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(key, `is ${JSON.stringify(value)}; expected a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
    }
    return value;
  }

  number(value: unknown, key: string, min: number, max: number, minOpen = false): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || (minOpen ? value <= min : value < min) || value > max) {
      this.fail(key, `is ${JSON.stringify(value)}; expected a number ${minOpen ? 'above' : 'from'} ${min} ${minOpen ? 'and at most' : 'to'} ${max}`);
    }
    return value;
  }

  required(record: Record<string, unknown>, key: string, path = key): unknown {
    if (record[key] === undefined) this.fail(path, 'is missing');
    return record[key];
  }
}

/** Validates a parsed recipe; `file` is named in every error. */
export function parseRecipe(json: unknown, file: string): PretrainRecipe {
  const r = new RecipeReader(file);
  const top = r.object(json, '', KEYS);
  const need = (key: string) => r.required(top, key);
  const opt = <T>(key: keyof typeof DEFAULTS, fallback: T): unknown => (top[key] === undefined ? fallback : top[key]);

  const name = need('name');
  if (typeof name !== 'string' || !name.trim()) r.fail('name', `is ${JSON.stringify(name)}; expected a non-empty string`);
  const m = r.object(need('model'), 'model', MODEL_KEYS);
  const model: RecipeModel = {
    layers: r.integer(r.required(m, 'layers', 'model.layers'), 'model.layers', 1, 48),
    hidden: r.integer(r.required(m, 'hidden', 'model.hidden'), 'model.hidden', 8, 4096),
    heads: r.integer(r.required(m, 'heads', 'model.heads'), 'model.heads', 1, 64),
    intermediate: r.integer(r.required(m, 'intermediate', 'model.intermediate'), 'model.intermediate', 8, 16384),
  };
  if (model.hidden % model.heads !== 0) r.fail('model.heads', `is ${model.heads}, which does not divide model.hidden (${model.hidden})`);

  const languagesRaw = need('languages');
  if (!Array.isArray(languagesRaw) || languagesRaw.length < 2) r.fail('languages', `must list at least two ISO 639-3 codes, got ${JSON.stringify(languagesRaw)}`);
  const languages = languagesRaw as unknown[];
  languages.forEach((code, i) => {
    if (typeof code !== 'string' || !isUdhrLanguageCode(code)) r.fail(`languages[${i}]`, `is ${JSON.stringify(code)}; expected an ISO 639-3 code the udhr package has a declaration for, such as ${UDHR_LANGUAGE_CODES.slice(0, 8).join(', ')}`);
    if (languages.indexOf(code) !== i) r.fail(`languages[${i}]`, `repeats "${code}"`);
  });

  const heldOutRaw = opt('heldOutArticles', DEFAULTS.heldOutArticles);
  if (!Array.isArray(heldOutRaw)) r.fail('heldOutArticles', `must be a list of article numbers, got ${JSON.stringify(heldOutRaw)}`);
  const heldOut = heldOutRaw as unknown[];
  heldOut.forEach((n, i) => r.integer(n, `heldOutArticles[${i}]`, PREAMBLE, LAST_ARTICLE));
  heldOut.forEach((n, i) => heldOut.indexOf(n) !== i && r.fail(`heldOutArticles[${i}]`, `repeats ${String(n)}`));
  const validationRaw = opt('validationArticles', DEFAULTS.validationArticles);
  if (!Array.isArray(validationRaw)) r.fail('validationArticles', `must be a list of article numbers, got ${JSON.stringify(validationRaw)}`);
  const validation = validationRaw as unknown[];
  validation.forEach((n, i) => {
    r.integer(n, `validationArticles[${i}]`, PREAMBLE, LAST_ARTICLE);
    if (validation.indexOf(n) !== i) r.fail(`validationArticles[${i}]`, `repeats ${String(n)}`);
    if (heldOut.includes(n)) r.fail(`validationArticles[${i}]`, `is ${String(n)}, which heldOutArticles already holds out; the validation and test articles must differ`);
  });
  const unseen = heldOut.length + validation.length;
  if (unseen > LAST_ARTICLE - 1) r.fail('heldOutArticles', `with validationArticles holds out ${unseen} of ${LAST_ARTICLE + 1} parts; at least two must remain for training`);

  const objectives = parseObjectives(r, need('objectives'), 'objectives');
  const steps = r.integer(need('steps'), 'steps', 1);
  const batchSize = r.integer(need('batchSize'), 'batchSize', 1, 4096);
  const active = objectives.filter((o) => o.weight > 0).length;
  if (batchSize < active) r.fail('batchSize', `is ${batchSize}; each batch needs a row for every objective with a weight (${active})`);
  const recipe: PretrainRecipe = {
    name: (name as string).trim(),
    model,
    vocabSize: r.integer(need('vocabSize'), 'vocabSize', 64, 1_000_000),
    languages: languages as string[],
    heldOutArticles: [...(heldOut as number[])].sort((a, b) => a - b),
    validationArticles: [...(validation as number[])].sort((a, b) => a - b),
    objectives,
    steps,
    batchSize,
    learningRate: r.number(need('learningRate'), 'learningRate', 0, 1, true),
    warmupSteps: r.integer(opt('warmupSteps', DEFAULTS.warmupSteps), 'warmupSteps', 0, steps),
    weightDecay: r.number(opt('weightDecay', DEFAULTS.weightDecay), 'weightDecay', 0, 1),
    seed: r.integer(opt('seed', DEFAULTS.seed), 'seed', 0, 2 ** 31 - 1),
    maxLength: r.integer(need('maxLength'), 'maxLength', 16, 4096),
    maskProbability: r.number(opt('maskProbability', DEFAULTS.maskProbability), 'maskProbability', 0, 1, true),
    alpha: r.number(opt('alpha', DEFAULTS.alpha), 'alpha', 0, 1, true),
    dropout: r.number(opt('dropout', DEFAULTS.dropout), 'dropout', 0, 0.9),
    init: DEFAULTS.init,
  };
  const init = opt('init', DEFAULTS.init);
  if (!(PRETRAIN_INITS as readonly unknown[]).includes(init)) r.fail('init', `is ${JSON.stringify(init)}; expected one of ${PRETRAIN_INITS.join(', ')}`);
  recipe.init = init as PretrainInit;
  if (top.corpus !== undefined) recipe.corpus = parseCorpus(r, top.corpus);
  if (top.evaluation !== undefined) recipe.evaluation = parseEvaluation(r, top.evaluation);
  // Each later stage starts within the steps of the one before it (after its first step, at most at its end).
  let end: number | undefined;
  let from = 0;
  LATER_STAGES.forEach((key, i) => {
    if (top[key] === undefined) {
      end = undefined;
      return;
    }
    if (i > 0 && end === undefined) r.fail(key, `needs a ${LATER_STAGES[i - 1]} to follow`);
    const stage = parseStage(r, top[key], key, from + 1, i === 0 ? recipe.steps : end!, recipe.maxLength);
    recipe[key] = stage;
    from = stage.fromStep;
    end = stage.fromStep + stage.steps;
  });
  if (recipe.init === 'structured' && model.hidden / model.heads < 4) r.fail('init', `"structured" needs heads of at least 4 dimensions; model.hidden / model.heads is ${model.hidden / model.heads}`);
  return recipe;
}

function parseObjectives(r: RecipeReader, objectivesRaw: unknown, at: string): RecipeObjective[] {
  if (!Array.isArray(objectivesRaw) || objectivesRaw.length === 0) r.fail(at, `must be a non-empty list of { "name": "mlm" | "tlm" | "nsp" | "rank", "weight": number }`);
  const objectives: RecipeObjective[] = (objectivesRaw as unknown[]).map((o, i) => {
    const key = `${at}[${i}]`;
    const rec = r.object(o, key, ['name', 'weight']);
    const oname = r.required(rec, 'name', `${key}.name`);
    if (!(OBJECTIVE_NAMES as readonly unknown[]).includes(oname)) r.fail(`${key}.name`, `is ${JSON.stringify(oname)}; expected one of ${OBJECTIVE_NAMES.join(', ')}`);
    return { name: oname as ObjectiveName, weight: r.number(r.required(rec, 'weight', `${key}.weight`), `${key}.weight`, 0, 1000) };
  });
  objectives.forEach((o, i) => {
    if (objectives.findIndex((p) => p.name === o.name) !== i) r.fail(`${at}[${i}].name`, `repeats "${o.name}"`);
  });
  if (!objectives.some((o) => (o.name === 'mlm' || o.name === 'tlm') && o.weight > 0)) r.fail(at, 'needs "mlm" or "tlm" with a weight above 0 (the saved model is a masked-LM)');
  return objectives;
}

/**
 * A later stage at `at`; its fromStep must lie in [minFrom, maxFrom] (each later stage's after the first step of the
 * one before and at most at its end), its rows no longer than the first stage's (the position table is the first stage's).
 */
function parseStage(r: RecipeReader, value: unknown, at: LaterStageKey, minFrom: number, maxFrom: number, maxLengthOf: number): RecipeStage {
  const t = r.object(value, at, STAGE_KEYS);
  const need = (key: string) => r.required(t, key, `${at}.${key}`);
  const name = need('name');
  if (typeof name !== 'string' || !name.trim()) r.fail(`${at}.name`, `is ${JSON.stringify(name)}; expected a non-empty string`);
  const objectives = parseObjectives(r, need('objectives'), `${at}.objectives`);
  if (objectives.some((o) => o.name === 'nsp' && o.weight > 0)) r.fail(`${at}.objectives`, 'cannot hold "nsp" (a later stage starts from weights without an NSP head)');
  const steps = r.integer(need('steps'), `${at}.steps`, 1);
  const batchSize = r.integer(need('batchSize'), `${at}.batchSize`, 1, 4096);
  const active = objectives.filter((o) => o.weight > 0).length;
  if (batchSize < active) r.fail(`${at}.batchSize`, `is ${batchSize}; each batch needs a row for every objective with a weight (${active})`);
  const stage: RecipeStage = {
    name: (name as string).trim(),
    fromStep: r.integer(need('fromStep'), `${at}.fromStep`, minFrom, maxFrom),
    objectives,
    steps,
    batchSize,
    maxLength: r.integer(need('maxLength'), `${at}.maxLength`, 16, maxLengthOf),
    learningRate: r.number(need('learningRate'), `${at}.learningRate`, 0, 1, true),
    warmupSteps: r.integer(t.warmupSteps ?? 0, `${at}.warmupSteps`, 0, steps),
    seed: r.integer(t.seed ?? 0, `${at}.seed`, 0, 2 ** 31 - 1),
    rankWeight: r.number(need('rankWeight'), `${at}.rankWeight`, 0, 100),
  };
  if (t.rankWindow !== undefined) {
    stage.rankWindow = r.integer(t.rankWindow, `${at}.rankWindow`, 2, 1_000_000);
    if (!objectives.some((o) => o.name === 'rank' && o.weight > 0)) r.fail(`${at}.rankWindow`, 'needs a "rank" objective with a weight above 0');
  }
  if (t.evaluation !== undefined) stage.evaluation = parseEvaluation(r, t.evaluation, `${at}.evaluation`);
  return stage;
}

/** The first stage alone: what a model shipped at the second stage's fromStep was made by. */
export function firstStage(recipe: PretrainRecipe): PretrainRecipe {
  return stagesUpTo(recipe, 0);
}

/**
 * The first stage and the first `later` later stages: what a model shipped where the next one starts was made by
 * (0: the first stage alone; 1: the first two stages).
 */
export function stagesUpTo(recipe: PretrainRecipe, later: number): PretrainRecipe {
  const out = { ...recipe };
  for (const key of LATER_STAGES.slice(later)) delete out[key];
  return out;
}

function numberList(r: RecipeReader, value: unknown, key: string, read: (v: unknown, k: string) => number): number[] {
  if (!Array.isArray(value)) r.fail(key, `must be a list of numbers, got ${JSON.stringify(value)}`);
  const list = (value as unknown[]).map((v, i) => read(v, `${key}[${i}]`));
  list.forEach((v, i) => list.indexOf(v) !== i && r.fail(`${key}[${i}]`, `repeats ${v}`));
  return [...list].sort((a, b) => a - b);
}

function parseCorpus(r: RecipeReader, value: unknown): RecipeCorpus {
  const c = r.object(value, 'corpus', CORPUS_KEYS);
  const corpus: RecipeCorpus = { parallelMix: {} };
  if (c.quran !== undefined) {
    const q = r.object(c.quran, 'corpus.quran', ['validationChapters', 'testChapters']);
    const chapter = (v: unknown, k: string) => r.integer(v, k, 1, 114);
    const validationChapters = numberList(r, r.required(q, 'validationChapters', 'corpus.quran.validationChapters'), 'corpus.quran.validationChapters', chapter);
    const testChapters = numberList(r, r.required(q, 'testChapters', 'corpus.quran.testChapters'), 'corpus.quran.testChapters', chapter);
    testChapters.forEach((n, i) => validationChapters.includes(n) && r.fail(`corpus.quran.testChapters[${i}]`, `is ${n}, which validationChapters holds too; the splits must differ`));
    corpus.quran = { validationChapters, testChapters };
  }
  if (c.cldrLocalenames !== undefined) {
    const l = r.object(c.cldrLocalenames, 'corpus.cldrLocalenames', ['validationShare', 'testShare']);
    const share = (k: string) => r.number(r.required(l, k, `corpus.cldrLocalenames.${k}`), `corpus.cldrLocalenames.${k}`, 0, 0.5);
    corpus.cldrLocalenames = { validationShare: share('validationShare'), testShare: share('testShare') };
  }
  if (c.heldOutSource !== undefined) {
    if (!(SOURCE_NAMES as readonly unknown[]).includes(c.heldOutSource)) r.fail('corpus.heldOutSource', `is ${JSON.stringify(c.heldOutSource)}; expected one of ${SOURCE_NAMES.join(', ')}`);
    corpus.heldOutSource = c.heldOutSource as SourceName;
  }
  const mix = r.object(r.required(c, 'parallelMix', 'corpus.parallelMix'), 'corpus.parallelMix', SOURCE_NAMES);
  for (const [name, w] of Object.entries(mix)) {
    const source = name as SourceName;
    corpus.parallelMix[source] = r.number(w, `corpus.parallelMix.${name}`, 0, 1000);
    if (source === corpus.heldOutSource && corpus.parallelMix[source]! > 0) r.fail(`corpus.parallelMix.${name}`, 'is above 0, but this source is the heldOutSource, which training never reads');
    const present = source === 'udhr' || (source === 'quran' && corpus.quran) || (source === 'cldr-localenames' && corpus.cldrLocalenames);
    if (!present && corpus.parallelMix[source]! > 0) r.fail(`corpus.parallelMix.${name}`, `is above 0, but the corpus has no "${name === 'cldr-localenames' ? 'cldrLocalenames' : name}" entry`);
  }
  if (!Object.values(corpus.parallelMix).some((w) => w! > 0)) r.fail('corpus.parallelMix', 'needs a source with a weight above 0');
  return corpus;
}

function parseEvaluation(r: RecipeReader, value: unknown, at = 'evaluation'): RecipeEvaluation {
  const e = r.object(value, at, EVALUATION_KEYS);
  const keep = e.keepCheckpoints ?? true;
  if (typeof keep !== 'boolean') r.fail(`${at}.keepCheckpoints`, `is ${JSON.stringify(keep)}; expected true or false`);
  return {
    minutes: numberList(r, e.minutes ?? [], `${at}.minutes`, (v, k) => r.number(v, k, 0, 100_000, true)),
    steps: numberList(r, e.steps ?? [], `${at}.steps`, (v, k) => r.integer(v, k, 1)),
    keepCheckpoints: keep as boolean,
  };
}

/** Reads and validates a recipe file; JSON syntax errors name the file too. */
export function loadRecipe(path: string): PretrainRecipe {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new XlmError('recipe-missing', 'cannot read this recipe file; a recipe is a JSON file such as recipes/default.json', { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new XlmError('recipe-invalid', `is not valid JSON: ${(e as Error).message}`, { file });
  }
  return parseRecipe(json, file);
}

/** The recipe with every default filled in, keys in a fixed order: what the reuse hash is taken over. */
export function canonicalRecipe(recipe: PretrainRecipe): string {
  return JSON.stringify(recipe, [...new Set(KEYS.concat(MODEL_KEYS, ['weight'], CORPUS_KEYS, EVALUATION_KEYS, STAGE_KEYS, ['validationChapters', 'testChapters', 'validationShare', 'testShare'], SOURCE_NAMES))].sort());
}
