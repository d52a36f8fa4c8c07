/**
 * The handler table: which engine function answers which protocol request. A request whose engine function has
 * not been written yet has no entry here, and the server answers it with MethodNotFound naming the method.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { XlmError, render } from '../errors.js';
import { inspectDataset } from '../data/index.js';
import { looksLikeQa, readQaFile } from '../data/qa.js';
import { looksParallel, type ParallelInput } from '../data/parallel.js';
import { inspectParallel } from '../data/parallel-inspect.js';
import { auditRequest } from '../audit/rpc.js';
import { evalRequest } from '../eval/request.js';
import { exportJob } from '../jobs/export.js';
import { importRun } from '../jobs/import.js';
import { runFolderOptions } from '../jobs/source.js';
import { downloadRepo, formatBytes, hubSettings, listCachedModels } from '../hub/index.js';
import { defaultModelHandlers } from './default-model.js';
import { deviceAvailability } from '../runtime/devices.js';
import { CancelledError } from '../runtime/inputs.js';
import { modelCapabilities } from '../model/capabilities.js';
import { ModelCache, type LoadedModel } from '../runtime/model-cache.js';
import { deviceEnvironment, resolveDevice } from '../runtime/session.js';
import { classify } from '../tasks/classify.js';
import { answerSpans } from '../tasks/question-answering.js';
import { findEntities } from '../tasks/entities.js';
import { embed } from '../tasks/embed.js';
import { hasLanguageId, identifyLanguage, languageIdHead, languageName, tooShortForLanguageId } from '../tasks/language-id.js';
import { fillMask } from '../tasks/fill-mask.js';
import { tokenize } from '../tasks/tokenize.js';
import { zeroShot } from '../tasks/zero-shot.js';
import { TranslatorCache } from '../translate/cache.js';
import { SentenceIndex } from '../search/sentence-index.js';
import { THRESHOLD_FILE } from '../search/threshold.js';
import { hubProgress, type NliResult, type DataInspectResult, type DeviceName, type EngineInfo, type InferenceDtype, type ModelInfo } from './protocol.js';
import { taskOfDataKind } from '../tasks/vocabulary.js';
import type { HandlerContext, HandlerTable } from './server.js';
import { TrainingRuns } from './training.js';
import { paramOf } from './option-params.js';

/** What the engine holds between requests: one model cache per device and number format, and the active model. */
class EngineState {
  private readonly caches = new Map<string, ModelCache>();
  active: { dir: string; device: DeviceName; dtype: InferenceDtype } | undefined;
  /** Device lines already given to the extension (one line saying why, not one per model load). */
  readonly said = new Set<string>();

  cache(device: DeviceName, dtype: InferenceDtype = 'fp32', ctx?: HandlerContext): ModelCache {
    const key = `${device}/${dtype}`;
    let cache = this.caches.get(key);
    if (!cache) {
      cache = new ModelCache({ device, dtype, onNotice: (line) => ctx?.log('warn', line) });
      this.caches.set(key, cache);
    }
    return cache;
  }

  /** The active model's cache (the CPU's, fp32, before any model/load). */
  activeCache(ctx?: HandlerContext): ModelCache {
    return this.cache(this.active?.device ?? 'cpu', this.active?.dtype, ctx);
  }

  /** The model a request names, or the active one. */
  async model(dir: string | undefined, ctx: HandlerContext): Promise<LoadedModel> {
    const target = dir ?? this.active?.dir;
    if (!target) throw new XlmError('no-model', 'no model is loaded; send model/load with a model folder first (XLM: Select active model)');
    const model = await this.activeCache(ctx).model(target);
    throwIfCancelled(ctx);
    return model;
  }
}

function throwIfCancelled(ctx: HandlerContext): void {
  if (ctx.token.isCancellationRequested) throw new CancelledError();
}

function describeModel(model: LoadedModel, device: DeviceName): ModelInfo {
  const c = model.config;
  const heads: ModelInfo['heads'] = [];
  if (model.hasHead('mlm')) heads.push('masked-lm');
  if (model.hasHead('seq-cls')) heads.push('sequence-classification');
  if (model.hasHead('token-cls')) heads.push('token-classification');
  if (hasLanguageId(model.dir)) heads.push('language-identification');
  return {
    dir: model.dir,
    modelType: c.model_type,
    heads,
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    layers: c.num_hidden_layers,
    maxPositions: model.maxLength,
    labels: c.id2label.length ? c.id2label : undefined,
    device,
    dtype: model.dtype,
    // A malformed file is the search's to report (in the hover), not a reason to refuse the model.
    findsTranslations: existsSync(join(model.dir, THRESHOLD_FILE)),
  };
}

/** Entailment / neutral / contradiction of a pair, from a classifier whose id2label names them (MNLI, XNLI heads). */
async function nliScores(model: LoadedModel, premise: string, hypothesis: string): Promise<NliResult> {
  const [scores] = await classify(model, [{ text: premise, textPair: hypothesis }]);
  const find = (prefix: string) => scores!.find((s) => s.label.toLowerCase().startsWith(prefix))?.score;
  const entailment = find('entail');
  const contradiction = find('contra');
  if (entailment === undefined || contradiction === undefined) {
    throw new XlmError('not-nli-model', `${model.dir} is not an NLI model: its labels are ${model.config.id2label.join(', ') || 'none'}; an NLI model's id2label names entailment, neutral and contradiction`, { file: `${model.dir}/config.json`, what: 'id2label' });
  }
  return { entailment, neutral: find('neutral') ?? 0, contradiction };
}

export interface HandlerOptions {
  /** What trains a run started by train/start (training.ts): a stand-in in tests. */
  trainingWorker?: string;
}

export function createHandlers(options: HandlerOptions = {}): HandlerTable {
  const state = new EngineState();
  const runs = new TrainingRuns(options.trainingWorker);
  const translators = new TranslatorCache();
  const sentences = new SentenceIndex();
  return {
    ...defaultModelHandlers(),
    trainStart: (params, ctx) => runs.start(params, ctx),
    trainResume: (params, ctx) => runs.resume(params, ctx),
    trainStop: ({ runId }) => ({ stopped: runs.stop(runId) }),
    jobExport: async ({ run, out }, ctx) => {
      const { dir, trainRows, evalRows, totalSteps } = await exportJob(runFolderOptions(run), out, run, { onLog: (line) => ctx.log('info', `export-job: ${line}`) });
      return { dir, trainRows, evalRows, totalSteps };
    },
    jobImport: ({ dir, runFolder }) => {
      const { run, records, evalRecords } = importRun(dir, runFolder);
      return { run, records, evalRecords };
    },
    trainDefaults: (params) => runs.defaults(params),
    modelCapabilities: ({ dirs }) => dirs.map(modelCapabilities),
    deviceResolve: async ({ device, purpose }) => {
      const decision = await resolveDevice(device, purpose);
      // The caller shows this line; model/load need not say it again.
      if (decision.notice) state.said.add(decision.notice);
      return decision;
    },
    modelLoad: async ({ dir, device, dtype }, ctx) => {
      // The cache is the resolved device's, so `auto` is decided (and its line logged) once, not per graph.
      const { device: d, notice } = await resolveDevice(device ?? 'cpu');
      if (notice && !state.said.has(notice)) {
        state.said.add(notice);
        ctx.log('warn', notice);
      }
      const model = await state.cache(d, dtype, ctx).model(dir);
      state.active = { dir: model.dir, device: d, dtype: model.dtype };
      return describeModel(model, d);
    },
    modelInfo: async (_params, ctx) => (state.active ? describeModel(await state.model(undefined, ctx), state.active.device) : null),
    tokenize: ({ text, textPair, maxLength, model }) => {
      const dir = model ?? state.active?.dir;
      if (!dir) throw new XlmError('no-model', 'no model is loaded and none was named; tokenize needs a folder with tokenizer.json');
      return tokenize(state.activeCache().tokenizer(dir), text, textPair, maxLength);
    },
    fillMask: async ({ texts, topK, model }, ctx) => fillMask(await state.model(model, ctx), texts, { topK, cancel: ctx.token }),
    classify: async ({ inputs, model }, ctx) => classify(await state.model(model, ctx), inputs, { cancel: ctx.token }),
    qa: async ({ question, context, topK, maxAnswerLength, model }, ctx) => ({
      answers: await answerSpans(await state.model(model, ctx), question, context, { topK, maxAnswerLength, cancel: ctx.token }),
    }),
    entities: async ({ texts, model }, ctx) => findEntities(await state.model(model, ctx), texts, { cancel: ctx.token }),
    embed: async ({ texts, normalize, model }, ctx) => embed(await state.model(model, ctx), texts, { normalize, cancel: ctx.token }),
    sentencesSimilar: async ({ text, files, topK, model }, ctx) => {
      const r = await sentences.search(await state.model(model, ctx), text, files, { topK, cancel: ctx.token });
      const t = r.threshold;
      return {
        matches: r.matches, ...(r.nearest ? { nearest: r.nearest } : {}), sentences: r.sentences, rows: r.rows, filesRead: r.filesRead, skipped: r.skipped, truncated: r.truncated,
        ...(t ? { threshold: { score: t.score, value: t.threshold, ...(t.similarityFloor === undefined ? {} : { floor: t.similarityFloor }), precision: (t.heldOut ?? t.calibration).precision, recall: (t.heldOut ?? t.calibration).recall, note: t.note } } : {}),
      };
    },
    sentencesIndex: async ({ files, model }, ctx) => sentences.prepare(await state.model(model, ctx), files, { cancel: ctx.token }),
    languageId: async ({ texts, topK, model }, ctx) => {
      const loaded = await state.model(model, ctx);
      const head = languageIdHead(loaded);
      const results = await identifyLanguage(loaded, texts, { topK, cancel: ctx.token });
      return { languages: results.map((scores) => scores.map((s) => ({ ...s, name: languageName(head, s.label) }))), tooShort: texts.map(tooShortForLanguageId) };
    },
    nli: async ({ premise, hypothesis, model }, ctx) => nliScores(await state.model(model, ctx), premise, hypothesis),
    zeroShot: async ({ text, labels, hypothesisTemplate, multiLabel, model }, ctx) => {
      const [result] = await zeroShot(await state.model(model, ctx), [text], { labels, hypothesisTemplate, multiLabel, cancel: ctx.token });
      return result!.scores;
    },
    translate: async ({ texts, targetLang, sourceLang, model }, ctx) => {
      const translator = await translators.translator(model);
      const results = await translator.translate(texts, { to: targetLang, from: sourceLang, cancel: ctx.token });
      return { translations: results.map((r) => r.text) };
    },
    evalRun: (params, ctx) => evalRequest(params, { models: state.activeCache(ctx), activeModel: state.active?.dir, cancel: ctx.token }),
    dataAudit: (params, ctx) => auditRequest(params, ctx, state.active?.dir),
    dataInspect: async ({ file, target }) => {
      // Parallel text (two line-aligned files, TSV headed by two language codes, translation JSON Lines): translation.
      if (target !== undefined || (await looksParallel(file).catch(() => false))) return inspectParallelData(target === undefined ? { file } : { source: file, target });
      // SQuAD JSON or HF QA JSON Lines: one row per question; problems are the questions the reader refuses.
      if (looksLikeQa(file)) {
        const qa = await readQaFile(file, { onError: 'skip' });
        const languages: Record<string, number> = {};
        for (const e of qa.examples) languages[e.language ?? 'unknown'] = (languages[e.language ?? 'unknown'] ?? 0) + 1;
        return {
          format: qa.format,
          rows: qa.examples.length,
          columns: ['context', 'question', 'answers'],
          suggestedTask: 'question-answering' as const,
          languages,
          problems: qa.errors.map((e) => ({ line: e.line, column: e.column, severity: 'error' as const, message: e.reason })),
        };
      }
      const s = await inspectDataset(file);
      if (s.kind === 'parallel') return inspectParallelData({ file });
      const problems: DataInspectResult['problems'] = [
        ...s.errors.map((e) => ({ line: e.line, column: e.column, severity: 'error' as const, message: e.said ? render(e.said, paramOf) : e.reason })),
        ...s.warnings.map((e) => ({ line: e.line, column: e.column, severity: 'warning' as const, message: e.said ? render(e.said, paramOf) : e.reason })),
      ];
      return {
        format: s.format,
        rows: s.rows,
        columns: [...s.fieldNames],
        suggestedTask: taskOfDataKind(s.kind),
        labels: s.labels,
        languages: s.languages.counts,
        problems,
      };
    },
    hubList: () =>
      listCachedModels().flatMap((m) =>
        m.revisions.map((r) => ({ repoId: m.repoId, revision: r.refs[0] ?? r.commit, dir: r.folder, modelType: r.modelType })),
      ),
    hubDownload: async ({ repoId, revision, token, offline, confirmed }, ctx) => {
      const abort = new AbortController();
      const sub = ctx.token.onCancellationRequested(() => abort.abort());
      try {
        const result = await downloadRepo(repoId, {
          revision,
          settings: hubSettings({ token, offline }),
          signal: abort.signal,
          onProgress: (p) => ctx.notify(hubProgress, { repoId, file: p.file, bytes: p.bytes, totalBytes: p.total }),
          confirm: (plan) => {
            if (confirmed) return true;
            throw new XlmError('hub/needs-confirmation', `${repoId} is ${formatBytes(plan.bytesToFetch)} to download (${plan.files} files${plan.freeBytes === undefined ? '' : `; ${formatBytes(plan.freeBytes)} free on the disk`}).`, { what: repoId });
          },
        });
        return { dir: result.folder };
      } finally {
        sub.dispose();
      }
    },
  };
}

/** Execution providers onnxruntime-node can reach here, with the fix for each missing one (engine/info). */
export async function probeDevices(): Promise<EngineInfo['devices']> {
  try {
    return deviceAvailability(deviceEnvironment());
  } catch (e) {
    return [{ name: 'cpu', available: false, note: `onnxruntime-node failed to load: ${e instanceof Error ? e.message : String(e)}` }];
  }
}

/** data/inspect of parallel text: pairs, the language pair it names, and the reader's refused lines and odd pairs (length-ratio outliers) as problems. */
async function inspectParallelData(input: ParallelInput): Promise<DataInspectResult> {
  const p = await inspectParallel(input);
  return {
    format: p.format,
    rows: p.pairs,
    columns: ['source', 'target'],
    suggestedTask: 'translation',
    languages: p.languages.byPair,
    ...(p.languages.source !== undefined ? { sourceLang: p.languages.source } : {}),
    ...(p.languages.target !== undefined ? { targetLang: p.languages.target } : {}),
    problems: [
      ...p.errors.map((e) => ({ line: e.line, column: e.column, severity: 'error' as const, message: e.reason })),
      ...p.ratio.examples.map((o) => ({ line: o.line, severity: 'warning' as const, message: `the target is ${o.ratio.toFixed(2)}× the source's length, far from this pair's usual ${o.median.toFixed(2)}× (a misaligned line?)` })),
    ],
  };
}
