/**
 * Runs training steps: owns the sessions of the step graph (and the accumulation graph), and two buffer
 * sets for every trainable parameter and its optimizer state. Each run reads set `cur` and writes set
 * 1 - cur through preallocated output tensors (onnxruntime-node fills the tensors passed as fetches), then
 * the roles swap: no parameter-sized array is allocated per step in JavaScript.
 *
 * The random stream is (seed, counter): the counter advances once per forward pass (micro-batch), so
 * masks never repeat within a run and a resumed run continues the same stream.
 */
import { availableParallelism, loadavg, platform } from 'node:os';
import type { DeviceName } from '../runtime/devices.js';
import { createSession, ort, resolveDevice, type Device, type GraphSession, type SessionOptions } from '../runtime/session.js';
import type { FrozenParam, TrainableParam } from './context.js';
import { ACC, COUNTER_INPUT, SEED_INPUT, STEP_INPUT, buildAccumulateGraph, buildStepGraph, nextName, stateInput, type BuiltStepGraph, type LossBuilder, type StepGraphOptions } from './step-graph.js';

export type Feeds = Record<string, ort.Tensor>;

/** A trainable weight as the runner keeps it. */
export type TrainableWeight = Omit<TrainableParam, 'value'>;

export interface StepResult {
  /** Mean loss over the step's micro-batches. */
  loss: number;
  gradNorm: number;
  lr: number;
}

export interface RunnerOptions extends StepGraphOptions {
  seed: number;
  device?: Device;
  /** onnxruntime intra-op threads (0: its default). */
  threads?: number;
  onNotice?: (line: string) => void;
  /** onnxruntime's CPU arena for the step sessions (default: on unless a trainable tensor exceeds ARENA_LIMIT_BYTES, see SessionOptions.memArena). */
  memArena?: boolean;
  /**
   * onnxruntime's spinning intra-op threads (SessionOptions.spin). Default off: a training step runs for
   * seconds beside an editor and other processes, and spinning threads on shared cores measured up to 2x
   * slower under load. On idle cores spinning is faster (bench/train.ts --quick, small model, 2 cores: LoRA 98 against
   * 84-91 examples/s); `spinWhenIdle` decides for a run started from a terminal.
   */
  spin?: boolean;
  /**
   * Write each step's new weights, moments and accumulated gradients over their inputs instead of into a
   * second buffer set: half the optimizer memory (3.3 GB less for full fine-tuning at base size). Safe because
   * every update is elementwise at the same index and depends, through the global gradient norm, on the whole
   * forward and backward pass, so no read of the old value can come after the write; the ping-pong default
   * does not rely on that reasoning about onnxruntime's execution order. test/train/step.test.ts checks both agree.
   */
  inPlace?: boolean;
}

/** Everything that defines where a run stands, besides the data order: saved with checkpoints. */
export interface RunnerState {
  step: number;
  rngCounter: number;
  params: Map<string, Float32Array>;
  /** Optimizer state by kind ('adam_m', 'adam_v') and parameter name. */
  optimizer: Map<string, Map<string, Float32Array>>;
}

class DoubleBuffer {
  readonly data: [Float32Array, Float32Array];
  readonly tensors: [ort.Tensor, ort.Tensor];
  /**
   * `initial` becomes the first buffer (no copy: at XLM-R base size a copy is another 1.1 GB). `inPlace` makes
   * both sets one buffer: the step then writes its outputs over its inputs (see RunnerOptions.inPlace).
   */
  constructor(initial: Float32Array | undefined, size: number, shape: number[], inPlace: boolean) {
    const first = initial ?? new Float32Array(size);
    const second = inPlace ? first : new Float32Array(size);
    this.data = [first, second];
    const t = new ort.Tensor('float32', first, shape);
    this.tensors = [t, inPlace ? t : new ort.Tensor('float32', second, shape)];
  }
}

/** The frozen weights' feeds: tensors over their arrays, no copy (every session of a run shares them). */
export function frozenFeeds(frozen: readonly FrozenParam[]): Feeds {
  return Object.fromEntries(frozen.map((p) => [p.name, new ort.Tensor('float32', p.data, p.shape)]));
}

/**
 * A session for a training graph (step, accumulation, evaluation) and the feeds of its frozen weights. On the CPU
 * they are inputs fed from the run's one copy of each; on a GPU they are baked into the graph as initializers, so
 * they are uploaded once and stay in the device's memory instead of crossing to it at every step.
 */
export async function createTrainingSession(built: Pick<BuiltStepGraph, 'graph' | 'frozen'>, sessionOpts: SessionOptions): Promise<TrainingSession> {
  // Training sessions spin only when asked (RunnerOptions.spin); onnxruntime's own default is to spin.
  const opts = { ...sessionOpts, spin: sessionOpts.spin ?? false };
  const { device } = await resolveDevice(opts.device ?? 'cpu', opts.purpose);
  if (device === 'cpu') return { ...(await createSession(built.graph, opts)), frozen: frozenFeeds(built.frozen) };
  for (const p of built.frozen) built.graph.bakeInput(p.value, { dtype: 'float32', shape: p.shape, data: p.data });
  return { ...(await createSession(built.graph, opts)), frozen: {} };
}

/** A training graph's session and what its runs are fed of the frozen weights (nothing where the graph holds them). */
export type TrainingSession = GraphSession & { frozen: Feeds };

/** Largest trainable tensor for which the step sessions use onnxruntime's arena by default. */
export const ARENA_LIMIT_BYTES = 64 * 2 ** 20;

const scalar = (type: 'float32' | 'uint32', v: number) => new ort.Tensor(type, type === 'float32' ? Float32Array.of(v) : Uint32Array.of(v >>> 0), []);

export class StepRunner {
  private cur = 0;
  private accCur = 0;
  stepCount = 0;
  rngCounter = 0;
  private readonly params = new Map<string, DoubleBuffer>();
  private readonly state = new Map<string, Map<string, DoubleBuffer>>();
  private readonly acc = new Map<string, DoubleBuffer>();
  private readonly results = { loss: scalar('float32', 0), grad_norm: scalar('float32', 0), lr: scalar('float32', 0), accLoss: scalar('float32', 0) };

  private constructor(
    readonly trainable: TrainableWeight[],
    private readonly stepSession: TrainingSession,
    private readonly accumulateSession: TrainingSession | undefined,
    private readonly stateKinds: string[],
    private readonly opts: RunnerOptions,
  ) {
    for (const p of trainable) {
      const size = p.initial.length;
      this.params.set(p.name, new DoubleBuffer(p.initial, size, p.shape, !!opts.inPlace));
      for (const kind of stateKinds.filter((k) => k !== ACC)) {
        if (!this.state.has(kind)) this.state.set(kind, new Map());
        this.state.get(kind)!.set(p.name, new DoubleBuffer(undefined, size, p.shape, !!opts.inPlace));
      }
      if (opts.gradAccum > 1) this.acc.set(p.name, new DoubleBuffer(undefined, size, p.shape, !!opts.inPlace));
    }
  }

  static async create(build: LossBuilder, opts: RunnerOptions): Promise<StepRunner> {
    if (!Number.isInteger(opts.gradAccum) || opts.gradAccum < 1) throw new Error(`gradient accumulation must be a positive integer, got ${opts.gradAccum}`);
    const made = await StepRunner.createSessions(build, opts);
    return new StepRunner(made.trainable, made.step, made.accumulate, made.stateKinds, opts);
  }

  private static async createSessions(build: LossBuilder, opts: RunnerOptions) {
    const stepGraph = buildStepGraph(build, opts);
    // The arena keeps temporaries' pages between steps instead of faulting them in afresh every step (half the time
    // of a small step's elementwise kernels); it stays off when a trainable tensor is large (XLM-R base's 768 MB
    // embedding), whose parameter-sized temporaries it would keep for the whole run.
    const largestTrainable = Math.max(0, ...stepGraph.trainable.map((p) => p.initial.length * 4));
    const memArena = opts.memArena ?? largestTrainable <= ARENA_LIMIT_BYTES;
    const sessionOpts = { device: opts.device, purpose: 'training' as const, threads: opts.threads, onNotice: opts.onNotice, memArena, memPattern: false, spin: opts.spin ?? false };
    const step = await createTrainingSession(stepGraph, sessionOpts);
    let accumulate: TrainingSession | undefined;
    if (opts.gradAccum > 1) {
      try {
        accumulate = await createTrainingSession(buildAccumulateGraph(build, opts.gradAccum), { ...sessionOpts, device: step.device });
      } catch (e) {
        // No runner exists yet to release it: the step session would outlive the failed create.
        await step.session.release();
        throw e;
      }
    }
    // Keep what the run needs of each weight, not its graph Value: that would keep the graphs alive for the whole run.
    const trainable = stepGraph.trainable.map(({ name, shape, initial, decay }) => ({ name, shape, initial, decay }));
    return { trainable, step, accumulate, stateKinds: stepGraph.stateKinds };
  }

  get device(): DeviceName {
    return this.stepSession.device;
  }

  private commonFeeds(batch: Feeds, session: TrainingSession): Feeds {
    const feeds: Feeds = { ...batch, ...session.frozen, [SEED_INPUT]: scalar('uint32', this.opts.seed), [COUNTER_INPUT]: scalar('uint32', this.rngCounter) };
    for (const [name, buf] of this.params) feeds[name] = buf.tensors[this.cur];
    return feeds;
  }

  /** One optimizer step over `microBatches` (exactly gradAccum of them). */
  async step(microBatches: Feeds[]): Promise<StepResult> {
    const k = this.opts.gradAccum;
    if (microBatches.length !== k) throw new Error(`a step takes ${k} micro-batches, got ${microBatches.length}`);
    let lossSum = 0;
    if (k > 1) for (const buf of this.acc.values()) buf.data[this.accCur].fill(0);
    for (let i = 0; i < k - 1; i++) {
      const feeds = this.commonFeeds(microBatches[i], this.accumulateSession!);
      const fetches: Record<string, ort.Tensor> = { loss: this.results.accLoss };
      for (const [name, buf] of this.acc) {
        feeds[stateInput(ACC, name)] = buf.tensors[this.accCur];
        fetches[nextName(ACC, name)] = buf.tensors[1 - this.accCur];
      }
      await this.accumulateSession!.session.run(feeds, fetches);
      lossSum += (this.results.accLoss.data as Float32Array)[0];
      this.accCur = 1 - this.accCur;
      this.rngCounter++;
    }
    const feeds = this.commonFeeds(microBatches[k - 1], this.stepSession);
    feeds[STEP_INPUT] = scalar('float32', this.stepCount + 1);
    const fetches: Record<string, ort.Tensor> = { loss: this.results.loss, grad_norm: this.results.grad_norm, lr: this.results.lr };
    for (const [name, buf] of this.params) fetches[nextName('param', name)] = buf.tensors[1 - this.cur];
    for (const [kind, bufs] of this.state) {
      for (const [name, buf] of bufs) {
        feeds[stateInput(kind, name)] = buf.tensors[this.cur];
        fetches[nextName(kind, name)] = buf.tensors[1 - this.cur];
      }
    }
    for (const [name, buf] of this.acc) feeds[stateInput(ACC, name)] = buf.tensors[this.accCur];
    await this.stepSession.session.run(feeds, fetches);
    this.cur = 1 - this.cur;
    this.stepCount++;
    this.rngCounter++;
    lossSum += (this.results.loss.data as Float32Array)[0];
    return { loss: lossSum / k, gradNorm: (this.results.grad_norm.data as Float32Array)[0], lr: (this.results.lr.data as Float32Array)[0] };
  }

  /** The current value of every trainable parameter (views of the live buffers: copy to keep). */
  currentParams(): Map<string, Float32Array> {
    return new Map([...this.params].map(([name, buf]) => [name, buf.data[this.cur]]));
  }

  snapshot(): RunnerState {
    const optimizer = new Map<string, Map<string, Float32Array>>();
    for (const [kind, bufs] of this.state) optimizer.set(kind, new Map([...bufs].map(([name, buf]) => [name, buf.data[this.cur]])));
    return { step: this.stepCount, rngCounter: this.rngCounter, params: this.currentParams(), optimizer };
  }

  /** Puts a saved state back (resume): parameters, optimizer moments, step and random counter. */
  restore(state: RunnerState): void {
    for (const [name, buf] of this.params) {
      const saved = state.params.get(name);
      if (!saved || saved.length !== buf.data[this.cur].length) throw new Error(`the saved state has no parameter ${name} of ${buf.data[this.cur].length} values`);
      buf.data[this.cur].set(saved);
    }
    for (const [kind, bufs] of this.state) {
      for (const [name, buf] of bufs) {
        const saved = state.optimizer.get(kind)?.get(name);
        if (!saved || saved.length !== buf.data[this.cur].length) throw new Error(`the saved optimizer state has no ${kind} for ${name}`);
        buf.data[this.cur].set(saved);
      }
    }
    this.stepCount = state.step;
    this.rngCounter = state.rngCounter;
  }

  async release(): Promise<void> {
    await this.stepSession.session.release();
    await this.accumulateSession?.session.release();
  }
}

/** Whether a run's threads spin, and why in words (for the run's log). */
export interface SpinDecision {
  spin: boolean;
  why: string;
}

/**
 * Whether a run's intra-op threads should spin: when the machine is idle as the command starts (the 1-minute load
 * average under a quarter of the cores), since spinning keeps both cores on the step's products (a 2-thread 1024³
 * MatMul: 222 GFLOP/s spinning against 161-185 not, bench/matmul.ts) but costs up to 2x when other work shares the
 * cores. Read it before the run's own loading adds to the load. Windows reports no load average (always 0): there
 * the threads do not spin.
 */
export function spinWhenIdle(load = loadavg()[0]!, cores = availableParallelism(), os: NodeJS.Platform = platform()): SpinDecision {
  if (os === 'win32') return { spin: false, why: "onnxruntime's threads do not spin between operations: Windows reports no load average, so whether other work shares the cores is unknown" };
  const idle = load < cores / 4;
  return {
    spin: idle,
    why: idle
      ? `onnxruntime's threads spin between operations: the machine was idle as the run started (load ${load.toFixed(2)} over the last minute on ${cores} cores)`
      : `onnxruntime's threads do not spin between operations: other work is running (load ${load.toFixed(2)} over the last minute on ${cores} cores), and spinning on shared cores slows everyone`,
  };
}

/** A run's `spin` option (TrainOptions.spin) as the sessions take it: a decision is logged; absent is off. */
export function resolveSpin(option: boolean | SpinDecision | undefined, log: (line: string) => void): boolean {
  if (typeof option !== 'object') return option ?? false;
  log(option.why);
  return option.spin;
}
