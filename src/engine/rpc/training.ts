/**
 * Training runs behind train/start and train/stop: each run trains on a worker thread of the engine process
 * (training-worker.ts) and reports through notifications. A run is a folder under the requested run folder:
 * run.json (what was asked), metrics.jsonl, checkpoints, the final model.
 *
 * Scheduling, who runs when: onnxruntime-node's session.run blocks the thread that calls it until the graph has
 * run. Inference requests (hover, fill-mask, classify: the editor's) run on the engine's main thread, one
 * session.run at a time in the order they arrive, each cut into small batches; a request cancelled before its
 * turn is dropped before it tokenizes or runs anything (runtime/inputs.ts, cancellableChunks). A training step runs
 * on its run's own thread, so it never holds a request: a hover that arrives while a step is in flight runs at
 * once, beside it, sharing the CPU cores with it (its sessions are the editor's own, sized to the request: batch 1,
 * padded only to the text's own length). What a step costs a hover is cores, not waiting.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { resolveOptions, type TrainOptions } from '../train/options.js';
import { STOP, type TrainingWorkerData, type TrainingWorkerMessage } from './training-worker.js';
import { trainingDefaults } from '../train/defaults.js';
import { loadXlmrConfig } from '../hf/config.js';
import type { TrainTask as EngineTrainTask } from '../train/model-loss.js';
import { EngineErrorData, TrainDefaultsParams, TrainDefaultsResult, TrainEndParams, TrainStartParams, TrainStartResult, TrainTask, trainEnd, trainLog, trainMetrics, trainProgress } from './protocol.js';
import { HandlerContext, errorData } from './server.js';

/** The share of the training rows a run started without an eval file holds out, and the fewest rows for which it does. */
export const AUTO_EVAL_FRACTION = 0.1;
export const AUTO_EVAL_MIN_ROWS = 50;

const TASKS: Record<TrainTask, EngineTrainTask> = {
  'sequence-classification': 'seq-cls',
  'pair-classification': 'seq-cls',
  'token-classification': 'token-cls',
  'masked-lm': 'mlm',
  'question-answering': 'qa',
};

/**
 * What a run started from the editor trains: its train/start parameters (RUN/run.json holds them) as training
 * options. `xlm export-job --run RUN` reads a run folder through this too, so the job is the same run.
 */
export function trainOptionsOfRun(params: TrainStartParams, runDir: string): TrainOptions {
  return {
    model: params.model,
    task: TASKS[params.task],
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
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ runId, started: new Date().toISOString(), ...params }, null, 2) + '\n');

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
            verdict: verdict && { learned: verdict.learned, reasons: verdict.reasons, advice: verdict.advice },
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
    const config = loadXlmrConfig(join(params.model, 'config.json'));
    const heldOut = !params.evalData && params.rows !== undefined && params.rows >= AUTO_EVAL_MIN_ROWS;
    const rows = params.rows === undefined ? undefined : heldOut ? params.rows - Math.round(params.rows * AUTO_EVAL_FRACTION) : params.rows;
    const d = trainingDefaults({ task: TASKS[params.task], method: params.method, hiddenSize: config.hidden_size, rows, batchSize: params.batchSize });
    return { learningRate: d.lr, epochs: d.epochs, batchSize: d.batchSize, warmupRatio: d.warmupRatio, why: d.why };
  }

  stop(runId: string | undefined): string[] {
    const stopped = [...this.running.keys()].filter((id) => runId === undefined || id === runId);
    for (const id of stopped) this.running.get(id)!.postMessage(STOP);
    return stopped;
  }
}
