/**
 * onnxruntime-node sessions for graphs we build. One place decides session options (threads,
 * optimization level, execution provider with fallback to CPU).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Graph } from '../graph/graph.js';
import { encodeGraph, type EncodedModel } from '../graph/encode.js';

export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads; 0 lets onnxruntime decide. */
  threads?: number;
  /**
   * onnxruntime's CPU memory arena (default on). Training steps turn it off: their largest temporaries are
   * parameter-sized (the embedding table's gradient and optimizer terms, 768 MB each at XLM-R base size) and
   * an arena keeps every such block it ever grew; plain malloc/free returns them.
   */
  memArena?: boolean;
  /**
   * Let onnxruntime pre-pack constant matrix operands (default on). Training sessions with frozen weights turn
   * it off: a frozen weight feeds a forward Gemm and a backward MatMul, and each pre-packs its own copy beside
   * the original, three copies of the model where one suffices.
   */
  prepack?: boolean;
  /** Intra-op threads spin while waiting for work (onnxruntime's default); off yields the core, which wins when cores are shared. */
  spin?: boolean;
  /** Called once with a line explaining a fallback to CPU. */
  onNotice?: (line: string) => void;
}

export interface GraphSession {
  session: ort.InferenceSession;
  /** The execution provider actually used. */
  device: 'cpu' | 'cuda' | 'webgpu';
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

let autoNoticeGiven = false;

/** `auto` tries CUDA when its provider is installed; WebGPU only when asked for (it lacks kernels training graphs use). */
function providersFor(device: Device, onNotice?: (line: string) => void): ('cpu' | 'cuda' | 'webgpu')[] {
  if (device === 'cpu') return ['cpu'];
  if (device === 'auto') {
    if (cudaProviderInstalled()) return ['cuda', 'cpu'];
    if (!autoNoticeGiven) {
      autoNoticeGiven = true;
      onNotice?.('device auto: running on cpu, because onnxruntime-node\'s CUDA provider is not installed (its install script downloads it unless ONNXRUNTIME_NODE_INSTALL=skip; it needs CUDA 12 and cuDNN 9); pass --device webgpu to try WebGPU');
    }
    return ['cpu'];
  }
  return [device, 'cpu'];
}

export async function createSession(model: Graph | EncodedModel, opts: SessionOptions = {}): Promise<GraphSession> {
  const encoded = 'bytes' in model ? model : encodeGraph(model);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads ?? 0,
    enableCpuMemArena: opts.memArena ?? true,
    extra: {
      session: {
        ...(opts.prepack === false ? { disable_prepacking: '1' } : {}),
        ...(opts.spin === false ? { 'intra_op.allow_spinning': '0' } : {}),
      },
    },
    externalData: encoded.externalData,
    // XLM_ORT_PROFILE=PREFIX writes onnxruntime's per-node timing (chrome-trace JSON) for every session: a developer's tool.
    ...(process.env.XLM_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.XLM_ORT_PROFILE } : {}),
  };
  const tried: string[] = [];
  for (const ep of providersFor(opts.device ?? 'cpu', opts.onNotice)) {
    try {
      const session = await ort.InferenceSession.create(encoded.bytes, { ...base, executionProviders: [ep] });
      if (tried.length) opts.onNotice?.(`device ${opts.device}: ${tried.join('; ')}; running on ${ep}`);
      return { session, device: ep, inputNames: session.inputNames, outputNames: session.outputNames };
    } catch (e) {
      if (ep === 'cpu') throw e;
      tried.push(`${ep} is not available (${(e as Error).message.split('\n')[0]})`);
    }
  }
  throw new Error('no execution provider could be used');
}

export { ort };
