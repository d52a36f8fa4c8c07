/**
 * onnxruntime-node sessions for graphs we build. One place decides session options (threads,
 * optimization level, execution provider with fallback to CPU).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph } from '../graph/graph.js';
import { encodeGraph, type EncodedModel } from '../graph/encode.js';
import { add } from '../graph/ops/elementwise.js';
import { chooseDevice, type DeviceChoice, type DeviceDecision, type DeviceEnvironment, type DeviceName, type GraphPurpose } from './devices.js';

/** A device as asked for (`auto` included); see devices.ts. */
export type Device = DeviceChoice;

export interface SessionOptions {
  device?: Device;
  /** What the graph is, for `auto`'s choice (providers differ in what they cover); inference by default. */
  purpose?: GraphPurpose;
  /** Intra-op threads; 0 lets onnxruntime decide. */
  threads?: number;
  /**
   * onnxruntime's CPU memory arena (default on). Training steps turn it off: their largest temporaries are
   * parameter-sized (the embedding table's gradient and optimizer terms, 768 MB each at XLM-R base size) and
   * an arena keeps every such block it ever grew; plain malloc/free returns them.
   */
  memArena?: boolean;
  /**
   * onnxruntime's memory pattern (default on): after the first run it plans one block for every intermediate of the
   * graph and keeps it. Training sessions turn it off: the planned block of a training step held twice what the
   * step needs (XLM-R base LoRA, batch 8 x 128: 1.8 GB over the weights against 0.9 GB without it; the 4-layer
   * bench model: 1.0 GB against 0.78 full, 0.56 against 0.38 LoRA) at the same step time within noise.
   */
  memPattern?: boolean;
  /** Intra-op threads spin while waiting for work (onnxruntime's default); off yields the core, which wins when cores are shared. */
  spin?: boolean;
  /** Called with one line when the graph runs elsewhere than asked (a fallback to CPU). */
  onNotice?: (line: string) => void;
}

export interface GraphSession {
  session: ort.InferenceSession;
  /** The execution provider actually used. */
  device: DeviceName;
  inputNames: readonly string[];
  outputNames: readonly string[];
}

/**
 * Whether onnxruntime-node's CUDA provider library is installed: it is not in the npm package, its postinstall
 * downloads it (skipped offline or with ONNXRUNTIME_NODE_INSTALL=skip). Checked on disk so that `auto` on a
 * machine without it neither tries nor prints onnxruntime's native load error.
 */
function cudaProviderInstalled(): boolean {
  try {
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(root, 'bin', 'napi-v6', process.platform, process.arch, file));
  } catch {
    return false;
  }
}

/** This machine's providers, as onnxruntime-node reports them. */
export function deviceEnvironment(): DeviceEnvironment {
  return {
    backends: ort.listSupportedBackends(),
    cudaInstalled: cudaProviderInstalled(),
    ...(process.platform === 'linux' ? { nvidiaDriver: existsSync('/proc/driver/nvidia/version') } : {}),
  };
}

const probes = new Map<DeviceName, Promise<string | undefined>>();

/** Opens a one-node session on a provider: answers why it cannot run here (no adapter, no driver), once per process. */
function probeProvider(device: DeviceName): Promise<string | undefined> {
  let pending = probes.get(device);
  if (!pending) {
    pending = (async () => {
      const g = new Graph('device_probe');
      g.output(add(g.input('x', 'float32', [1]), 1), 'y');
      try {
        const session = await ort.InferenceSession.create(encodeGraph(g).bytes, { executionProviders: [device] });
        await session.release();
        return undefined;
      } catch (e) {
        return firstLine(e);
      }
    })();
    probes.set(device, pending);
  }
  return pending;
}

const decisions = new Map<string, Promise<DeviceDecision>>();

/** The provider that runs `purpose`'s graphs for a setting, decided once per process (the probes open sessions). */
export function resolveDevice(choice: Device, purpose: GraphPurpose = 'inference'): Promise<DeviceDecision> {
  const key = `${choice}/${purpose}`;
  let pending = decisions.get(key);
  if (!pending) {
    pending = chooseDevice(choice, purpose, deviceEnvironment(), probeProvider);
    decisions.set(key, pending);
  }
  return pending;
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // onnxruntime prefixes its messages with the C++ source location; the reason is after the last "] " or " was false. ".
  return message.split('\n')[0]!.replace(/^.*(?:\] | was false\. )/, '').trim();
}

export async function createSession(model: Graph | EncodedModel, opts: SessionOptions = {}): Promise<GraphSession> {
  const encoded = 'bytes' in model ? model : encodeGraph(model);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads ?? 0,
    enableCpuMemArena: opts.memArena ?? true,
    enableMemPattern: opts.memPattern ?? true,
    extra: {
      session: {
        ...(opts.spin === false ? { 'intra_op.allow_spinning': '0' } : {}),
      },
    },
    externalData: encoded.externalData,
    // XLM_ORT_PROFILE=PREFIX writes onnxruntime's per-node timing (chrome-trace JSON) for every session: a developer's tool.
    ...(process.env.XLM_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.XLM_ORT_PROFILE } : {}),
  };
  const asked = opts.device ?? 'cpu';
  const decision = await resolveDevice(asked, opts.purpose);
  if (decision.notice) opts.onNotice?.(decision.notice);
  try {
    const session = await ort.InferenceSession.create(encoded.bytes, { ...base, executionProviders: [decision.device] });
    return { session, device: decision.device, inputNames: session.inputNames, outputNames: session.outputNames };
  } catch (e) {
    if (decision.device === 'cpu') throw e;
    // The provider started (its probe passed) but refused this graph.
    opts.onNotice?.(`device ${asked}: ${decision.device} cannot run this graph (${firstLine(e)}); running on cpu`);
    const session = await ort.InferenceSession.create(encoded.bytes, { ...base, executionProviders: ['cpu'] });
    return { session, device: 'cpu', inputNames: session.inputNames, outputNames: session.outputNames };
  }
}

export { ort };
