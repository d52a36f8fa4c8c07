/**
 * One training run on a thread of its own (a worker_threads Worker that TrainingRuns starts): onnxruntime-node's
 * session.run is synchronous on the thread that calls it, so a training step run on the engine's main thread held
 * every hover, fill-mask and classify request until it ended. Here the step blocks this thread only; the main
 * thread keeps reading requests and running inference. Speaks the messages below with training.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { train } from '../train/train-task.js';
import type { TrainOptions, TrainHooks, TrainResult } from '../train/options.js';
import type { EngineErrorData } from './protocol.js';
import { errorData } from './server.js';
import { paramOf } from './option-params.js';
import { exportSeq2SeqOnnx } from '../seq2seq/export.js';

type Reported<K extends 'onProgress' | 'onMetrics'> = Parameters<NonNullable<TrainHooks[K]>>[0];

/** What the worker is started with. */
export interface TrainingWorkerData {
  options: TrainOptions;
}

/** The worker's reports, in the order train() makes them; 'end' or 'failed' comes last. */
export type TrainingWorkerMessage =
  | { kind: 'progress'; progress: Reported<'onProgress'> }
  | { kind: 'metrics'; record: Reported<'onMetrics'> }
  | { kind: 'log'; line: string }
  | { kind: 'end'; result: Pick<TrainResult, 'cancelled' | 'out' | 'verdict'> }
  | { kind: 'failed'; error: EngineErrorData; stack: string };

/** The one message the worker takes: stop at the next step boundary (train()'s abort signal). */
export const STOP = 'stop';

function runWorker(port: NonNullable<typeof parentPort>, data: TrainingWorkerData): void {
  const post = (m: TrainingWorkerMessage) => port.postMessage(m);
  const abort = new AbortController();
  port.on('message', (m) => {
    if (m === STOP) abort.abort();
  });
  train(data.options, {
    signal: abort.signal,
    onProgress: (progress) => post({ kind: 'progress', progress }),
    onMetrics: (record) => post({ kind: 'metrics', record }),
    onLog: (line) => post({ kind: 'log', line }),
    nameOption: paramOf,
  }).then(
    ({ cancelled, out, verdict }) => {
      // A translator serves Translate selection and the hover from optimum's ONNX files: written beside the weights, so "Use for translation" can fill the slot.
      if (data.options.task === 'translation' && !cancelled) {
        post({ kind: 'log', line: `exporting the translator to ONNX in ${out}/onnx` });
        exportSeq2SeqOnnx(out, out);
      }
      post({ kind: 'end', result: { cancelled, out, verdict } });
    },
  ).catch(
    (e: unknown) => post({ kind: 'failed', error: errorData(e), stack: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  ).finally(() => port.close());
}

if (parentPort) runWorker(parentPort, workerData as TrainingWorkerData);
