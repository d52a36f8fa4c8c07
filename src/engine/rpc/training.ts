/**
 * Training runs behind train/start and train/stop: each run trains in the background of the engine process (the
 * event loop keeps answering inference requests between steps) and reports through notifications. A run is a
 * folder under the requested run folder: run.json (what was asked), metrics.jsonl, checkpoints, the final model.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOptions, type TrainOptions } from '../train/options.js';
import { train } from '../train/train-task.js';
import { trainingDefaults } from '../train/defaults.js';
import { loadXlmrConfig } from '../hf/config.js';
import { TrainDefaultsParams, TrainDefaultsResult, TrainStartParams, TrainStartResult, trainEnd, trainLog, trainMetrics, trainProgress } from './protocol.js';
import { HandlerContext, errorData } from './server.js';
import { paramOf } from './option-params.js';

/** The share of the training rows a run started without an eval file holds out, and the fewest rows for which it does. */
export const AUTO_EVAL_FRACTION = 0.1;
export const AUTO_EVAL_MIN_ROWS = 50;

/**
 * What a run started from the editor trains: its train/start parameters (RUN/run.json holds them) as training
 * options. `xlm export-job --run RUN` reads a run folder through this too, so the job is the same run.
 */
export function trainOptionsOfRun(params: TrainStartParams, runDir: string): TrainOptions {
  return {
    model: params.model,
    task: params.task,
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

export class TrainingRuns {
  private readonly running = new Map<string, AbortController>();

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

    const abort = new AbortController();
    this.running.set(runId, abort);
    let firstStep: { step: number; at: number } | undefined;
    const notify = ctx.notify;
    void train(options, {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.phase !== 'training' && p.phase !== 'evaluating') return;
        const now = Date.now();
        if (!firstStep && p.step > 0) firstStep = { step: p.step, at: now };
        const perStep = firstStep && p.step > firstStep.step ? (now - firstStep.at) / (p.step - firstStep.step) : null;
        notify(trainProgress, { runId, step: p.step, totalSteps: p.totalSteps, epoch: p.epoch, etaSeconds: perStep === null ? null : ((p.totalSteps - p.step) * perStep) / 1000 });
      },
      onMetrics: (record) => notify(trainMetrics, { runId, record }),
      onLog: (message) => notify(trainLog, { runId, level: 'info', message }),
      nameOption: paramOf,
    }).then(
      (result) =>
        notify(trainEnd, {
          runId,
          status: result.cancelled ? 'stopped' : 'completed',
          outputDir: result.cancelled ? undefined : result.out,
          verdict: result.verdict && { learned: result.verdict.learned, reasons: result.verdict.reasons, advice: result.verdict.advice },
        }),
      (e: unknown) => {
        const error = errorData(e);
        if (error.code === 'internal') ctx.log('error', `training run ${runId} failed with an engine bug: ${e instanceof Error ? e.stack : String(e)}`);
        notify(trainEnd, { runId, status: 'failed', error });
      },
    ).finally(() => this.running.delete(runId));
    return { runId, runDir };
  }

  /** The defaults table's row for a run the wizard is about to start (what train/start would choose itself). */
  defaults(params: TrainDefaultsParams): TrainDefaultsResult {
    const config = loadXlmrConfig(join(params.model, 'config.json'));
    const heldOut = !params.evalData && params.rows !== undefined && params.rows >= AUTO_EVAL_MIN_ROWS;
    const rows = params.rows === undefined ? undefined : heldOut ? params.rows - Math.round(params.rows * AUTO_EVAL_FRACTION) : params.rows;
    const d = trainingDefaults({ task: params.task, method: params.method, hiddenSize: config.hidden_size, rows, batchSize: params.batchSize });
    return { learningRate: d.lr, epochs: d.epochs, batchSize: d.batchSize, warmupRatio: d.warmupRatio, why: d.why };
  }

  stop(runId: string | undefined): string[] {
    const stopped = [...this.running.keys()].filter((id) => runId === undefined || id === runId);
    for (const id of stopped) this.running.get(id)!.abort();
    return stopped;
  }
}
