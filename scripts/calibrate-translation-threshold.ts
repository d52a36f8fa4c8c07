/**
 * Calibrates (and reprints) the similarity above which the hover shows a workspace sentence as a possible
 * translation: `translation-threshold.json` in a model folder (format in src/engine/search/threshold.ts).
 *
 * Data: the Quran's aligned verses in the 11 languages of the npm package quran-json (the Arabic and ten
 * translations), the model recipe's validation chapters to choose the threshold and its test chapters to measure
 * it (both held out of pre-training). Each verse is embedded as `xlm embed --normalize` does and, with centring,
 * centred on the mean of its language over the split's verses, as the sentence index centres a data file's rows.
 *
 * Scores: the cosine, or the margin (search/margin.ts: the cosine over how close each side is to its nearest
 * verses of other languages), of raw or centred vectors; all four are printed.
 *
 * Settings: "balanced" pairs every verse, for every two languages, with its translation and with one other verse;
 * "workspace" scores every verse against every verse of every other language of the split (--units non-pairs per
 * pair), which is what a hover over a workspace of that many aligned sentences sees. Each threshold is the lowest
 * score at which at least --target (default 0.9) of the pairs at or above it are translations on the validation
 * verses; precision and recall are then measured on the test verses. The hover's is the workspace setting's
 * threshold on centred margins.
 *
 *   npx tsx scripts/calibrate-translation-threshold.ts [--model models/default] [--units 120] [--target 0.9] [--write] [--threads N]
 *
 * --write stores the hover's threshold in the model folder (and, for the shipped folder, seals it into
 * manifest.json); without it the figures are printed only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../src/engine/errors.js';
import { PRETRAIN_INFO_FILE } from '../src/engine/pretrain/pretrain.js';
import type { PretrainRecipe } from '../src/engine/pretrain/recipe.js';
import { loadQuran, packageVersion, QURAN_LANGUAGES, type CorpusSegment } from '../src/engine/pretrain/sources.js';
import { ModelCache } from '../src/engine/runtime/model-cache.js';
import type { LoadedModel } from '../src/engine/runtime/model-cache.js';
import { centred, DEFAULT_SHRINKAGE, dot as cosine, languageMeans, meanFor } from '../src/engine/search/centring.js';
import { margin, MARGIN_NEIGHBOURS, neighbourhoods } from '../src/engine/search/margin.js';
import { figuresAt, THRESHOLD_FILE, THRESHOLD_FORMAT, thresholdForPrecision, type PairFigures, type TranslationThreshold } from '../src/engine/search/threshold.js';
import { embed } from '../src/engine/tasks/embed.js';
import { readManifest, sealShippedModel } from '../src/engine/pretrain/shipped-model.js';

const { values: flags } = parseArgs({ options: { model: { type: 'string' }, units: { type: 'string' }, target: { type: 'string' }, write: { type: 'boolean' }, threads: { type: 'string' } } });
const dir = resolve(flags.model ?? join(__dirname, '..', 'models', 'default'));
const units = Number(flags.units ?? 120);
const target = Number(flags.target ?? 0.9);
const say = (line = '') => process.stdout.write(`${line}\n`);
const f3 = (x: number) => x.toFixed(3);

interface Split {
  langs: string[];
  /** texts[l][k]: verse k in language l. */
  texts: string[][];
}

/** The first `units` verses of a split that every language has, in chapter and verse order. */
function split(segments: readonly CorpusSegment[], which: 'validation' | 'test'): Split {
  const byUnit = new Map<string, Map<string, string>>();
  for (const s of segments) {
    if (s.split !== which) continue;
    let m = byUnit.get(s.unit);
    if (!m) byUnit.set(s.unit, (m = new Map()));
    m.set(s.lang, s.text);
  }
  const langs = Object.values(QURAN_LANGUAGES).sort();
  const kept = [...byUnit.values()].filter((m) => langs.every((l) => m.has(l))).slice(0, units);
  return { langs, texts: langs.map((l) => kept.map((m) => m.get(l)!)) };
}

const embedded = new Map<Split, Float32Array[]>();

interface Scored {
  balanced: { scores: number[]; positive: boolean[] };
  workspace: { scores: number[]; positive: boolean[] };
}

/** Every cosine of the split, with per-language centring on the split's own language means or without. */
async function score(model: LoadedModel, s: Split, centre: boolean, kind: 'cosine' | 'margin'): Promise<Scored> {
  const all = s.texts.flat();
  let raw = embedded.get(s);
  if (!raw) embedded.set(s, (raw = (await embed(model, all, { normalize: true })).vectors.map((v) => Float32Array.from(v))));
  // Each verse's language as its file gives it, as the index takes a data row's language.
  const groups = s.langs.flatMap((l) => s.texts[0]!.map(() => l));
  const means = languageMeans(raw, groups, DEFAULT_SHRINKAGE);
  const vectors = centre ? raw.map((v, i) => centred(v, meanFor(means, groups[i]))) : raw;
  const around = kind === 'margin' ? neighbourhoods(vectors, groups, MARGIN_NEIGHBOURS) : undefined;
  const n = s.texts[0]!.length;
  const at = (l: number, k: number) => l * n + k;
  const dot = (x: number, y: number) => {
    const c = cosine(vectors[x]!, vectors[y]!);
    return around ? margin(c, around[x]!, around[y]!) : c;
  };
  const out: Scored = { balanced: { scores: [], positive: [] }, workspace: { scores: [], positive: [] } };
  for (let a = 0; a < s.langs.length; a++) {
    for (let b = a + 1; b < s.langs.length; b++) {
      const shift = 1 + ((a * 7 + b * 3) % (n - 1));
      for (let k = 0; k < n; k++) {
        out.balanced.scores.push(dot(at(a, k), at(b, k)));
        out.balanced.positive.push(true);
        out.balanced.scores.push(dot(at(a, k), at(b, (k + shift) % n)));
        out.balanced.positive.push(false);
        for (let j = 0; j < n; j++) {
          out.workspace.scores.push(dot(at(a, k), at(b, j)));
          out.workspace.positive.push(j === k);
        }
      }
    }
  }
  return out;
}

const line = (f: PairFigures) => `precision ${f3(f.precision)}, recall ${f3(f.recall)} (${f.pairs} pairs, ${f.nonPairs} non-pairs)`;

(async () => {
  const info = existsSync(join(dir, PRETRAIN_INFO_FILE)) ? (JSON.parse(readFileSync(join(dir, PRETRAIN_INFO_FILE), 'utf8')) as { recipe: PretrainRecipe }) : undefined;
  const chapters = info?.recipe.corpus?.quran ?? { validationChapters: [21, 22, 23], testChapters: [18, 19, 20] };
  const segments = loadQuran(new Set(Object.values(QURAN_LANGUAGES)), chapters);
  const validation = split(segments, 'validation');
  const test = split(segments, 'test');
  const quran = packageVersion('quran-json');
  say(`model ${dir}`);
  say(`${quran.name} ${quran.version}: ${validation.langs.length} languages, ${validation.texts[0]!.length} validation verses (chapters ${chapters.validationChapters.join(', ')}), ${test.texts[0]!.length} test verses (chapters ${chapters.testChapters.join(', ')})`);
  say(`target precision ${target}; threshold chosen on the validation verses, measured on the test verses`);
  const cache = new ModelCache({ threads: flags.threads === undefined ? 0 : Number(flags.threads) });
  let chosen: TranslationThreshold | undefined;
  // The floor under the margin: the centred cosine for --target precision with every verse a candidate (else on balanced pairs).
  let floor: { threshold: number; setting: 'workspace' | 'balanced'; validation: PairFigures; test: PairFigures } | undefined;
  try {
    const model = await cache.model(dir);
    for (const centre of [false, true]) {
      for (const kind of ['cosine', 'margin'] as const) {
        const v = await score(model, validation, centre, kind);
        const t = await score(model, test, centre, kind);
        say(`\n${kind === 'margin' ? `margin over ${MARGIN_NEIGHBOURS} neighbours` : 'cosine'} of ${centre ? 'vectors centred per language' : 'raw vectors (not centred)'}:`);
        for (const setting of ['balanced', 'workspace'] as const) {
          const pick = thresholdForPrecision(v[setting].scores, v[setting].positive, target);
          const label = setting === 'balanced' ? 'pairs vs non-pairs, one of each per verse' : `workspace: each verse against all ${test.texts[0]!.length} verses of each other language`;
          if (!pick) {
            say(`  ${label}: no threshold reaches precision ${target} on the validation verses`);
            continue;
          }
          const held = figuresAt(t[setting].scores, t[setting].positive, pick.threshold);
          const other = setting === 'balanced' ? 'workspace' : 'balanced';
          const there = figuresAt(t[other].scores, t[other].positive, pick.threshold);
          say(`  ${label}: threshold ${f3(pick.threshold)}`);
          say(`    validation ${line(pick.figures)}`);
          say(`    test       ${line(held)}`);
          say(`    test, in the ${other} setting: ${line(there)}`);
        }
        if (centre && kind === 'cosine') {
          // Where the hover works every workspace sentence is a candidate: the floor is the centred cosine for
          // --target precision there when reachable (a floor chosen on balanced pairs let short unrelated sentences
          // through in a small workspace once the model's vectors improved), else on balanced pairs.
          const inWorkspace = thresholdForPrecision(v.workspace.scores, v.workspace.positive, target);
          const setting = inWorkspace ? ('workspace' as const) : ('balanced' as const);
          const pick = inWorkspace ?? thresholdForPrecision(v.balanced.scores, v.balanced.positive, target);
          if (pick) floor = { threshold: pick.threshold, setting, validation: pick.figures, test: figuresAt(t[setting].scores, t[setting].positive, pick.threshold) };
          if (floor) say(`  the hover's cosine floor: ${f3(floor.threshold)} (${floor.setting === 'workspace' ? 'every verse a candidate' : 'balanced pairs'}, precision ${target} on validation; test ${line(floor.test)})`);
        }
        // The hover's threshold: centred margins, chosen where the hover works (every sentence of the workspace is
        // a candidate); when --target is out of reach there, the highest precision in steps of 0.1 that is not.
        if (centre && kind === 'margin') {
          const goals = [target, ...[0.8, 0.7, 0.6, 0.5, 0.4, 0.3].filter((g) => g < target)];
          for (const goal of goals) {
            // At least 1% of the translation pairs above it, so a few lucky verses cannot set it.
            const pick = thresholdForPrecision(v.workspace.scores, v.workspace.positive, goal, Math.max(10, Math.round(v.workspace.positive.filter(Boolean).length / 100)));
            if (!pick) continue;
            const held = figuresAt(t.workspace.scores, t.workspace.positive, pick.threshold);
            const balanced = figuresAt(t.balanced.scores, t.balanced.positive, pick.threshold);
            say(`  the hover's threshold: ${f3(pick.threshold)}, for precision ${goal} in the workspace setting${goal < target ? ` (${target} is out of reach for this model)` : ''}`);
            say(`    validation ${line(pick.figures)}`);
            say(`    test       ${line(held)}`);
            say(`    test, balanced pairs: ${line(balanced)}`);
            chosen = {
              score: 'margin',
              threshold: pick.threshold,
              neighbours: MARGIN_NEIGHBOURS,
              centring: 'per-language',
              shrinkage: DEFAULT_SHRINKAGE,
              targetPrecision: goal,
              calibration: pick.figures,
              heldOut: held,
              ...(floor ? { similarityFloor: floor.threshold } : {}),
              note:
                `Chosen by scripts/calibrate-translation-threshold.ts on ${quran.name} ${quran.version}: the lowest margin with precision >= ${goal}` +
                (goal < target ? ` (the highest precision in steps of 0.1 this model reaches; ${target} is out of its reach)` : '') +
                ` when each of ${validation.texts[0]!.length} validation verses (chapters ${chapters.validationChapters.join(', ')}) is scored against every verse of the ${validation.langs.length - 1} other languages, ` +
                `vectors centred per language, margin over ${MARGIN_NEIGHBOURS} neighbours. On the test chapters (${chapters.testChapters.join(', ')}) the same setting gives precision ${f3(held.precision)}, recall ${f3(held.recall)}; ` +
                `on balanced pairs (each verse with its translation and one other verse) precision ${f3(balanced.precision)}, recall ${f3(balanced.recall)}.` +
                (floor
                  ? ` A match must also reach a centred cosine of ${f3(floor.threshold)} (its margin alone passes weak pairs in a workspace of a few sentences, whose nearest sentences are far): the cosine for precision ${target} on the validation verses ${floor.setting === 'workspace' ? 'with every verse a candidate' : 'in balanced pairs'} (${line(floor.validation)}); on the test verses ${line(floor.test)}.`
                  : ''),
            };
            break;
          }
        }
      }
    }
  } finally {
    await cache.closeAll();
  }
  if (flags.write) {
    if (!chosen) throw new Error('no threshold on centred margins reached the target precision; nothing written');
    writeFileSync(join(dir, THRESHOLD_FILE), `${JSON.stringify({ format: THRESHOLD_FORMAT, ...chosen }, null, 2)}\n`);
    say(`\nwrote ${join(dir, THRESHOLD_FILE)}`);
    if (existsSync(join(dir, 'manifest.json'))) {
      const { files: _files, ...base } = readManifest(dir);
      sealShippedModel(dir, { ...base, translationThreshold: chosen });
      say('sealed it into manifest.json (sha256 of every file)');
    }
  }
})().catch((e: unknown) => {
  console.error(`calibrate-translation-threshold: ${describeError(e)}`);
  process.exit(1);
});
