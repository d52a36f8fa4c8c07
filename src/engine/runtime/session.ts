/**
 * onnxruntime-node sessions for graphs we build. One place decides session options (threads,
 * optimization level, execution provider with fallback to CPU).
 */
import * as ort from 'onnxruntime-node';
import type { Graph } from '../graph/graph.js';
import { encodeGraph, type EncodedModel } from '../graph/encode.js';

export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads; 0 lets onnxruntime decide. */
  threads?: number;
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

function providersFor(device: Device): ('cpu' | 'cuda' | 'webgpu')[] {
  if (device === 'cpu') return ['cpu'];
  if (device === 'auto') {
    const available = new Set(ort.listSupportedBackends().filter((b) => b.bundled || b.name === 'cpu').map((b) => b.name));
    return (['cuda', 'cpu'] as const).filter((p) => available.has(p));
  }
  return [device, 'cpu'];
}

export async function createSession(model: Graph | EncodedModel, opts: SessionOptions = {}): Promise<GraphSession> {
  const encoded = 'bytes' in model ? model : encodeGraph(model);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: opts.threads ?? 0,
    externalData: encoded.externalData,
  };
  const tried: string[] = [];
  for (const ep of providersFor(opts.device ?? 'cpu')) {
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
