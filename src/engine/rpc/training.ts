/**
 * Training runs behind train/start and train/stop: each run trains on a worker thread of the engine process
 * (training-worker.ts) and reports through notifications. A run is a folder under the requested run folder:
 * run.json (what was asked), metrics.jsonl, checkpoints, the final model.
 *
 * Scheduling, who runs when: onnxruntime-node's session.run blocks the thread that calls it until the graph has
 * run. Inference requests (hover, fill-mask, classify: the editor's) run on the engine's main thread, one
 * session.run at a time in the order they arrive, each cut into small batches; a request cancelled before its
 * turn is dropped before it tokenizes or runs anything (runtime/inputs.ts, cancellableChunks), and a request's first
 * batch waits a short grace (firstBatchGrace) so that a cancel sent right behind it lands first. A training step runs
 * on its run's own thread, so it never holds a request: a hover that arrives while a step is in flight runs at
 * once, beside it, sharing the CPU cores with it (its sessions are the editor's own, sized to the request: batch 1,
 * padded only to the text's own length). What a step costs a hover is cores, not waiting.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { XlmError } from '../errors.js';
import { latestCheckpoint, TRAINER_STATE_FILE } from '../train/checkpoint.js';
import { resolveOptions, type TrainOptions } from '../train/options.js';
import { STOP, type TrainingWorkerData, type TrainingWorkerMessage } from './training-worker.js';
import { recommendedMethod, trainingDefaults } from '../train/defaults.js';
import { loadXlmrConfig } from '../hf/config.js';
import { loadSeq2SeqConfig } from '../seq2seq/config.js';
import { languageChoice } from '../seq2seq/features.js';
import { encoderDecoderKind, openEncoderDecoderConfig } from '../seq2seq/xlmr-encoder-decoder.js';
import type { TranslationTrainOptions } from '../seq2seq/train-run.js';
import { checkParams, EngineErrorData, TrainDefaultsParams, TrainDefaultsResult, TrainEndParams, TrainResumeParams, TrainStartParams, TrainStartResult, trainEnd, trainLog, trainMetrics, trainProgress } from './protocol.js';
import { HandlerContext, errorData } from './server.js';

/** The share of the training rows a run started without an eval file holds out, and the fewest rows for which it does. */
export const AUTO_EVAL_FRACTION = 0.1;
export const AUTO_EVAL_MIN_ROWS = 50;

/** What a run started from the editor was asked to do: its train/start params, its id and start time. */
const RUN_SETTINGS_FILE = 'run.json';

/** Training options, with translation's own (the target file, the language pair, label smoothing) for a translation run. */
type RunOptions = TrainOptions & Partial<Pick<TranslationTrainOptions, 'trainTarget' | 'sourceLang' | 'targetLang' | 'labelSmoothing'>>;

/**
 * What a run started from the editor trains: its train/start parameters (RUN/run.json holds them) as training
 * options. `xlm export-job --run RUN` reads a run folder through this too, so the job is the same run.
 */
export function trainOptionsOfRun(params: TrainStartParams, runDir: string): RunOptions {
  const common = {
    model: params.model,
    train: params.data,
    eval: params.evalData,
    // Without an eval file, a tenth of a large enough training file is held out, so the dashboard shows eval curves.
    ...(params.evalData ? {} : { evalFraction: AUTO_EVAL_FRACTION, evalFractionMinRows: AUTO_EVAL_MIN_ROWS }),
    out: runDir,
    method: params.method,
    loraR: params.loraRank,
    lr: params.learningRate,
    epochs: params.epochs,
    batchSize: params.batchSize,
    maxLength: params.maxLength,
    seed: params.seed,
    device: params.device,
    memoryLimitMB: params.memoryLimitMB,
  };
  if (params.task !== 'translation') return { ...common, task: params.task };
  return { ...common, task: 'translation', trainTarget: params.dataTarget, sourceLang: params.sourceLang, targetLang: params.targetLang, labelSmoothing: params.labelSmoothing };
}

/**
 * The worker script: dist/training-worker.js beside the bundled engine, or the TypeScript source when the engine
 * runs from src (tests, through tsx, which a worker does not inherit: it is registered in the worker first).
 */
function defaultWorkerScript(): string {
  const found = ['training-worker.js', 'training-worker.ts'].map((name) => join(__dirname, name)).find((file) => existsSync(file));
  if (!found) throw new Error(`training-worker.js is missing beside ${__dirname}'s engine: rebuild it with npm run build`);
  return found;
}

function startWorker(script: string, data: TrainingWorkerData): Worker {
  if (!script.endsWith('.ts')) return new Worker(script, { workerData: data });
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(script)});`;
  return new Worker(code, { eval: true, workerData: data });
}

export class TrainingRuns {
  private readonly running = new Map<string, Worker>();

  /** `workerScript`: what trains a run (tests give a stand-in that speaks training-worker.ts's messages). */
  constructor(private readonly workerScript?: string) {}

  start(params: TrainStartParams, ctx: HandlerContext): TrainStartResult {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
    // Two runs started in the same second must not share an id (their notifications) or a folder.
    let runId = `${stamp}-${params.method}`;
    for (let k = 2; this.running.has(runId) || existsSync(join(params.runFolder, runId)); k++) runId = `${stamp}-${params.method}-${k}`;
    const runDir = join(params.runFolder, runId);
    const options = trainOptionsOfRun(params, runDir);
    resolveOptions(options); // bad options fail train/start itself, before a folder exists
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, RUN_SETTINGS_FILE), JSON.stringify({ runId, started: new Date().toISOString(), ...params }, null, 2) + '\n');
    return this.launch(runId, runDir, options, ctx);
  }

  /**
   * train/resume: the run of RUN/run.json again, from its latest checkpoint, in its folder and under its id. What
   * cannot resume fails here, in words, before anything trains: no run.json, no checkpoint, a finished run, or one
   * that is training.
   */
  resume({ runDir }: TrainResumeParams, ctx: HandlerContext): TrainStartResult {
    const runId = basename(runDir);
    const settingsFile = join(runDir, RUN_SETTINGS_FILE);
    if (!existsSync(settingsFile)) {
      throw new XlmError('not-an-editor-run', `no ${RUN_SETTINGS_FILE}: only a run started from the editor resumes here; a run of the command line resumes with xlm train --resume and its own options`, { file: runDir });
    }
    if (this.running.has(runId)) throw new XlmError('run-training', 'this run is training now; stop it before resuming it', { file: runDir });
    if (existsSync(join(runDir, TRAINER_STATE_FILE))) throw new XlmError('run-finished', 'this run finished (its final model is here); start a new run to train more', { file: runDir });
    const checkpoint = latestCheckpoint(runDir);
    if (!checkpoint) throw new XlmError('no-checkpoint', 'no complete checkpoint-N folder: a run resumes from the checkpoint its stop wrote, and this one has none (it was cut off before one was saved); start it again', { file: runDir });
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(settingsFile, 'utf8'));
    } catch (e) {
      throw new XlmError('bad-json', `not JSON: ${(e as Error).message}`, { file: settingsFile });
    }
    // run.json is train/start's params plus the run's id and start time.
    const { runId: _id, started: _started, ...asked } = (saved && typeof saved === 'object' ? saved : {}) as Record<string, unknown>;
    const checked = checkParams('trainStart', asked);
    if (!checked.ok) throw new XlmError('bad-run-settings', `${checked.message}; this file must hold the run's train/start settings`, { file: settingsFile, what: checked.field });
    const options = { ...trainOptionsOfRun(checked.params, runDir), resume: true };
    resolveOptions(options);
    ctx.log('info', `resuming run ${runId} from ${checkpoint}`);
    return this.launch(runId, runDir, options, ctx);
  }

  /** Trains `options` on a worker thread (training-worker.ts), reporting as run `runId` until train/end. */
  private launch(runId: string, runDir: string, options: TrainOptions, ctx: HandlerContext): TrainStartResult {
    const worker = startWorker(this.workerScript ?? defaultWorkerScript(), { options });
    this.running.set(runId, worker);
    let firstStep: { step: number; at: number } | undefined;
    let ended = false;
    const notify = ctx.notify;
    const end = (params: Omit<TrainEndParams, 'runId'>) => {
      if (ended) return;
      ended = true;
      this.running.delete(runId);
      notify(trainEnd, { runId, ...params });
    };
    const failed = (error: EngineErrorData, stack: string) => {
      if (ended) return;
      if (error.code === 'internal') ctx.log('error', `training run ${runId} failed with an engine bug: ${stack}`);
      end({ status: 'failed', error });
    };
    worker.on('message', (m: TrainingWorkerMessage) => {
      switch (m.kind) {
        case 'progress': {
          const p = m.progress;
          if (p.phase !== 'training' && p.phase !== 'evaluating') return;
          const now = Date.now();
          if (!firstStep && p.step > 0) firstStep = { step: p.step, at: now };
          const perStep = firstStep && p.step > firstStep.step ? (now - firstStep.at) / (p.step - firstStep.step) : null;
          notify(trainProgress, { runId, step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, etaSeconds: perStep === null ? null : ((p.totalSteps - p.step) * perStep) / 1000 });
          return;
        }
        case 'metrics':
          return notify(trainMetrics, { runId, record: m.record });
        case 'log':
          return notify(trainLog, { runId, level: 'info', message: m.line });
        case 'end': {
          const { cancelled, out, verdict } = m.result;
          return end({
            status: cancelled ? 'stopped' : 'completed',
            outputDir: cancelled ? undefined : out,
            verdict,
          });
        }
        case 'failed':
          return failed(m.error, m.stack);
      }
    });
    // A worker that dies without its last message (out of memory, a crash in native code) still ends its run.
    worker.on('error', (e) => failed(errorData(e), e.stack ?? e.message));
    worker.on('exit', (code) => failed(errorData(new Error(`the training thread exited with code ${code} before the run ended`)), `exit code ${code}`));
    return { runId, runDir };
  }

  /** The defaults table's row for a run the wizard is about to start (what train/start would choose itself). */
  defaults(params: TrainDefaultsParams): TrainDefaultsResult {
    const hiddenSize = params.task === 'translation' ? translationHiddenSize(params.model) : loadXlmrConfig(join(params.model, 'config.json')).hidden_size;
    const heldOut = !params.evalData && params.rows !== undefined && params.rows >= AUTO_EVAL_MIN_ROWS;
    const rows = params.rows === undefined ? undefined : heldOut ? params.rows - Math.round(params.rows * AUTO_EVAL_FRACTION) : params.rows;
    const d = trainingDefaults({ task: params.task, method: params.method, hiddenSize, rows, batchSize: params.batchSize });
    const languages = params.task === 'translation' ? translationLanguages(params.model) : undefined;
    // The file's row count less the held-out tenth is what the table saw: said, so "1200 rows" then "1080 rows" adds up.
    const why = heldOut && rows !== undefined ? d.why.replace(`on ${rows} rows`, `on ${rows} training rows (${params.rows} less ${params.rows! - rows} held out for evaluation)`) : d.why;
    const chosenFor = `${rows === undefined ? '' : `${rows}${heldOut ? ' training' : ''} rows and `}${d.modelInWords}`;
    return { learningRate: d.lr, epochs: d.epochs, batchSize: d.batchSize, warmupRatio: d.warmupRatio, why, chosenFor, recommendedMethod: recommendedMethod(hiddenSize), ...(languages ? { languages } : {}) };
  }

  stop(runId: string | undefined): string[] {
    const stopped = [...this.running.keys()].filter((id) => runId === undefined || id === runId);
    for (const id of stopped) this.running.get(id)!.postMessage(STOP);
    return stopped;
  }
}

/** The width that picks a translation run's defaults row: a seq2seq model's d_model, or an XLM-R checkpoint's hidden size (the encoder-decoder warm start). */
function translationHiddenSize(model: string): number {
  return encoderDecoderKind(model) ? openEncoderDecoderConfig(model).hidden_size : loadSeq2SeqConfig(model).dModel;
}

/** The language tokens a seq2seq model's tokenizer has (none for an XLM-R checkpoint warm-starting an encoder-decoder). */
function translationLanguages(model: string): { takes: 'none' | 'target' | 'both'; codes: string[] } {
  const file = join(model, 'tokenizer.json');
  return existsSync(file) ? languageChoice(JSON.parse(readFileSync(file, 'utf8'))) : { takes: 'none', codes: [] };
}
