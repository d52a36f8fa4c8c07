/**
 * onnxruntime sessions of a sequence-to-sequence model in optimum's layout, and a decoder that keeps the
 * key/value cache between steps.
 *
 * Names are optimum's: the encoder takes input_ids/attention_mask and gives last_hidden_state; decoders
 * take input_ids, encoder_attention_mask, encoder_hidden_states (when they list it), past_key_values.N.
 * {decoder,encoder}.{key,value} ([rows, heads, length, head_dim]) and use_cache_branch (merged only), and
 * give logits and present.N.... The cross-attention (encoder) cache is computed once, at the first step;
 * later steps' encoder outputs are constants in optimum's merged graph (or absent), so the first ones are kept.
 * Beam search reorders only the decoder cache: beams of one sentence share the same encoder cache rows.
 */
import * as ort from 'onnxruntime-node';
import { XlmError } from '../errors.js';
import type { EncodedModel } from '../graph/encode.js';
import type { DeviceName } from '../rpc/protocol.js';
import { findSeq2SeqFiles, type FileChoice, type Seq2SeqFiles } from './files.js';
import { LogSumExp } from './log-sum-exp.js';
import type { GenerationSettings } from './settings.js';
import type { DecoderStep, StepResult } from './search.js';

export type Seq2SeqDevice = DeviceName;

export interface Seq2SeqLoadOptions extends FileChoice {
  threads?: number;
  device?: Seq2SeqDevice;
  onNotice?: (line: string) => void;
  /**
   * The encoder and merged decoder already encoded in memory (an evaluation during training decodes with the current
   * weights without writing them to disk); the folder's onnx/ files are then not read.
   */
  inMemory?: { encoder: EncodedModel; decoder: EncodedModel };
}

/** What the messages name for graphs that never were files. */
const IN_MEMORY_FILES: Seq2SeqFiles = { layout: 'merged', encoder: 'encoder_model.onnx (in memory)', decoder: 'decoder_model_merged.onnx (in memory)' };

/** The encoder's output for a batch of source sentences. */
export interface EncodedSources {
  hidden: ort.Tensor;
  mask: ort.Tensor;
  rows: number;
}

type TypedData = Float32Array | Uint16Array;

export class Seq2SeqSessions {
  private constructor(
    readonly files: Seq2SeqFiles,
    readonly settings: GenerationSettings,
    private readonly encoder: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly decoderWithPast: ort.InferenceSession | undefined,
    /** @internal */
    readonly logSumExp: LogSumExp,
  ) {}

  static async load(dir: string, settings: GenerationSettings, opts: Seq2SeqLoadOptions = {}): Promise<Seq2SeqSessions> {
    const files = opts.inMemory ? IN_MEMORY_FILES : findSeq2SeqFiles(dir, opts);
    const inMemory = opts.inMemory;
    const open = (file: string) => openSession(inMemory ? (file === files.encoder ? inMemory.encoder : inMemory.decoder) : file, file, opts);
    const encoder = await open(files.encoder);
    const decoder = await open(files.decoder);
    const withPast = files.decoderWithPast ? await open(files.decoderWithPast) : undefined;
    for (const [session, file] of [[encoder, files.encoder], [decoder, files.decoder]] as const) {
      const needed = session === encoder ? ['input_ids', 'attention_mask'] : ['input_ids', 'encoder_attention_mask'];
      const missing = needed.filter((n) => !session.inputNames.includes(n));
      if (missing.length) {
        throw new XlmError('translate/bad-onnx-inputs', `the graph has no input ${missing.join(', ')} (it has ${session.inputNames.join(', ')}); expected optimum's seq2seq export`, { file });
      }
    }
    return new Seq2SeqSessions(files, settings, encoder, decoder, withPast, await LogSumExp.create(opts.threads));
  }

  /** Runs the encoder on right-padded source ids. */
  async encode(ids: readonly (readonly number[])[]): Promise<EncodedSources> {
    const rows = ids.length;
    const width = Math.max(...ids.map((r) => r.length));
    const inputIds = new BigInt64Array(rows * width).fill(BigInt(this.settings.padTokenId));
    const mask = new BigInt64Array(rows * width);
    ids.forEach((row, r) => row.forEach((id, c) => {
      inputIds[r * width + c] = BigInt(id);
      mask[r * width + c] = 1n;
    }));
    const maskTensor = new ort.Tensor('int64', mask, [rows, width]);
    const out = await this.encoder.run({ input_ids: new ort.Tensor('int64', inputIds, [rows, width]), attention_mask: maskTensor });
    const hidden = out.last_hidden_state ?? out[this.encoder.outputNames[0]];
    return { hidden, mask: maskTensor, rows };
  }

  /** A decoder over `repeat` copies of every encoded sentence (the beams), rows ordered sentence by sentence. */
  decoderFor(encoded: EncodedSources, repeat: number): DecoderStep {
    const hidden = repeatRows(encoded.hidden, repeat);
    const mask = repeatRows(encoded.mask, repeat);
    const state = new DecoderState(this, hidden, mask);
    return (tokens, sourceRows) => state.step(tokens, sourceRows);
  }

  /** @internal */
  sessionsForStep(first: boolean): ort.InferenceSession {
    return first || !this.decoderWithPast ? this.decoder : this.decoderWithPast;
  }

  async release(): Promise<void> {
    for (const s of [this.encoder, this.decoder, this.decoderWithPast]) await s?.release();
    await this.logSumExp.release();
  }
}

class DecoderState {
  private past: Record<string, ort.Tensor> | null = null;

  constructor(private readonly sessions: Seq2SeqSessions, private hidden: ort.Tensor, private mask: ort.Tensor) {}

  async step(tokens: readonly number[], sourceRows: readonly number[] | null): Promise<StepResult> {
    const rows = tokens.length;
    const first = this.past === null;
    if (sourceRows && sourceRows.length !== this.mask.dims[0]) this.keepRows(sourceRows);
    else if (this.past && sourceRows) {
      // Beams move within their sentence, whose encoder rows are all alike: only the decoder cache follows them.
      for (const [name, t] of Object.entries(this.past)) if (name.includes('.decoder.')) this.past[name] = gatherRows(t, sourceRows);
    }
    const session = this.sessions.sessionsForStep(first);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, (t) => BigInt(t)), [rows, 1]),
      encoder_attention_mask: this.mask,
    };
    if (session.inputNames.includes('encoder_hidden_states')) feeds.encoder_hidden_states = this.hidden;
    if (session.inputNames.includes('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([first ? 0 : 1]), [1]);
    for (const name of session.inputNames) {
      if (!name.startsWith('past_key_values.')) continue;
      feeds[name] = this.past?.[name] ?? emptyPast(session, name, rows, this.sessions.settings);
    }
    const out = await session.run(feeds);
    // The with-past decoder gives no encoder cache: the first step's stays.
    const next: Record<string, ort.Tensor> = { ...this.past };
    for (const name of Object.keys(out)) {
      if (!name.startsWith('present.')) continue;
      const pastName = name.replace(/^present\./, 'past_key_values.');
      const keepEncoder = name.includes('.encoder.') && this.past?.[pastName];
      next[pastName] = keepEncoder ? this.past![pastName] : out[name];
    }
    this.past = next;
    const result = lastPositionLogits(out.logits, rows);
    return { ...result, logSumExp: await this.sessions.logSumExp.rows(result.logits, rows, result.vocab) };
  }

  /** Finished sentences left: every per-row tensor keeps the rows still decoding, in the new order. */
  private keepRows(rows: readonly number[]): void {
    this.hidden = gatherRows(this.hidden, rows);
    this.mask = gatherRows(this.mask, rows);
    if (this.past) for (const [name, t] of Object.entries(this.past)) this.past[name] = gatherRows(t, rows);
  }
}

/** Zero-length cache for the merged decoder's first step: [rows, heads, 0, head_dim]. */
function emptyPast(session: ort.InferenceSession, name: string, rows: number, settings: GenerationSettings): ort.Tensor {
  const meta = session.inputMetadata.find((m) => m.name === name);
  const shape = meta && meta.isTensor ? meta.shape : [];
  const heads = typeof shape[1] === 'number' ? shape[1] : settings.decoderHeads;
  const headDim = typeof shape[3] === 'number' ? shape[3] : settings.headDim;
  const type = meta && meta.isTensor ? meta.type : 'float32';
  if (type === 'float16') return new ort.Tensor('float16', new Uint16Array(0), [rows, heads, 0, headDim]);
  return new ort.Tensor('float32', new Float32Array(0), [rows, heads, 0, headDim]);
}

function lastPositionLogits(logits: ort.Tensor | undefined, rows: number): StepResult {
  if (!logits || logits.type !== 'float32') {
    throw new XlmError('translate/bad-logits', `the decoder's logits are ${logits ? logits.type : 'missing'}; only float32 logits are supported (use the fp32 or quantized ONNX files, not fp16)`);
  }
  const [, length, vocab] = logits.dims;
  const data = logits.data as Float32Array;
  if (length === 1) return { logits: data, vocab };
  const last = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) last.set(data.subarray((r * length + length - 1) * vocab, (r * length + length) * vocab), r * vocab);
  return { logits: last, vocab };
}

/** Each row `times` times in a row: [a, b] → [a, a, b, b] for two beams. */
export function repeatRows(t: ort.Tensor, times: number): ort.Tensor {
  if (times === 1) return t;
  const order = Array.from({ length: t.dims[0] * times }, (_, r) => Math.floor(r / times));
  return gatherRows(t, order);
}

/** The rows of a tensor (first axis) in the given order. */
export function gatherRows(t: ort.Tensor, order: readonly number[]): ort.Tensor {
  const rowSize = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const data = t.data as TypedData | BigInt64Array;
  const out = new (data.constructor as new (n: number) => typeof data)(order.length * rowSize);
  order.forEach((src, r) => (out as Float32Array).set((data as Float32Array).subarray(src * rowSize, (src + 1) * rowSize), r * rowSize));
  return new ort.Tensor(t.type as 'float32', out as Float32Array, [order.length, ...t.dims.slice(1)]);
}

async function openSession(source: string | EncodedModel, file: string, opts: Seq2SeqLoadOptions): Promise<ort.InferenceSession> {
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: opts.threads ?? 0, ...(typeof source === 'string' ? {} : { externalData: source.externalData }) };
  const create = (options: ort.InferenceSession.SessionOptions) => (typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source.bytes, options));
  const device = opts.device ?? 'cpu';
  if (device !== 'cpu') {
    try {
      return await create({ ...base, executionProviders: [device] });
    } catch (e) {
      opts.onNotice?.(`device ${device} is not available (${(e as Error).message.split('\n')[0]}); running on cpu`);
    }
  }
  try {
    return await create({ ...base, executionProviders: ['cpu'] });
  } catch (e) {
    throw new XlmError('translate/bad-onnx', `onnxruntime cannot load it: ${(e as Error).message.split('\n')[0]}`, { file });
  }
}
