/**
 * `xlm export onnx`: our inference graph written in the layout transformers.js and optimum read:
 *   OUT/onnx/model.onnx, OUT/config.json, OUT/tokenizer.json (+ tokenizer_config.json, ...).
 * Inputs `input_ids`, `attention_mask` (int64 [batch, seq]); output `logits` (or `last_hidden_state`
 * for a bare encoder, `start_logits` and `end_logits` for question answering). A masked-LM export runs its head over every position, as transformers.js's
 * fill-mask pipeline expects.
 *
 * Weights sit inline in the protobuf while the model stays under protobuf's 2 GB limit. Larger models
 * (XLM-R large) put them in one file beside it, onnx/model.onnx_data, and config.json says so with
 * "transformers.js_config": {"use_external_data_format": true}, the flag transformers.js looks for.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { onnx } from 'onnx-proto';
import { XlmError } from '../errors.js';
import { encodeGraph } from '../graph/encode.js';
import { TOKENIZER_FILES } from '../hf/checkpoint.js';
import { TOKENIZER_CONFIG_FILE, loadModelFolder } from '../hf/folder.js';
import { headOfArchitecture } from '../hf/names.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import { buildInferenceGraph, type InferenceTask } from './inference.js';
import type { InferenceDtype } from './quantize.js';

/** Protobuf's hard limit is 2 GiB; leave room for the graph itself. */
const INLINE_LIMIT_BYTES = 2 ** 31 - 64 * 2 ** 20;
/** transformers.js's file names per dtype ('fp32' → onnx/model.onnx, 'q8' → onnx/model_quantized.onnx). */
const MODEL_FILE: Record<InferenceDtype, string> = { fp32: 'model.onnx', int8: 'model_quantized.onnx' };
/** Tensors in the data file start at page boundaries, so onnxruntime can map them. */
const EXTERNAL_ALIGNMENT = 4096;

export type ExportHead = HeadKind | 'none';

export interface ExportOptions {
  /** The head to export; default: the head config.json's architectures names, when the checkpoint has it. */
  head?: ExportHead;
  /** Weights above this many bytes go to onnx/model.onnx_data (default: just under protobuf's 2 GiB). */
  maxInlineBytes?: number;
  /**
   * 'int8' writes the graph of `--dtype int8` (model/quantize.ts) as onnx/model_quantized.onnx, the file
   * transformers.js loads for `dtype: "q8"`; an fp32 export beside it is left as it is.
   */
  dtype?: InferenceDtype;
}

export interface ExportResult {
  outDir: string;
  modelFile: string;
  head: ExportHead;
  outputName: string;
  externalData: boolean;
  bytes: number;
}

const TASK_OF_HEAD: Record<ExportHead, { task: InferenceTask; output: string }> = {
  mlm: { task: 'mlm-logits', output: 'logits' },
  'seq-cls': { task: 'seq-cls', output: 'logits' },
  'token-cls': { task: 'token-cls', output: 'logits' },
  qa: { task: 'qa', output: 'start_logits, end_logits' },
  none: { task: 'hidden', output: 'last_hidden_state' },
};

export function exportOnnx(modelDir: string, outDirArg: string, opts: ExportOptions = {}): ExportResult {
  const outDir = resolve(outDirArg);
  const folder = loadModelFolder(modelDir, { head: 'encoder' });
  try {
    const head = opts.head ?? defaultHead(folder.config.architectures, (h) => folder.weights.hasHead(h));
    if (head !== 'none' && !folder.weights.hasHead(head)) {
      throw new XlmError('model-no-head', `this checkpoint has no weights for the ${head} head, so it cannot be exported with it`, { file: folder.weights.path, what: head });
    }
    const { task, output } = TASK_OF_HEAD[head];
    const dtype = opts.dtype ?? 'fp32';
    const graph = buildInferenceGraph(task, folder.config, folder.weights, dtype);
    const weightBytes = graph.initializers.reduce((sum, init) => sum + init.tensor.data.byteLength, 0);
    const external = weightBytes > (opts.maxInlineBytes ?? INLINE_LIMIT_BYTES);

    const onnxDir = join(outDir, 'onnx');
    mkdirSync(onnxDir, { recursive: true });
    const modelFile = join(onnxDir, MODEL_FILE[dtype]);
    const dataFile = `${modelFile}_data`;
    let bytes: number;
    if (external) {
      bytes = writeWithExternalData(graph, modelFile, dataFile);
    } else {
      const encoded = encodeGraph(graph, { externalize: false, docString: `XLM Lab export of ${folder.dir}` });
      writeAtomic(modelFile, encoded.bytes);
      bytes = encoded.bytes.byteLength;
      rmSync(dataFile, { force: true });
    }

    const config: Record<string, unknown> = { ...folder.config.raw };
    const jsConfig = { ...((config['transformers.js_config'] as Record<string, unknown> | undefined) ?? {}) };
    if (external) jsConfig.use_external_data_format = true;
    else if (dtype === 'fp32') delete jsConfig.use_external_data_format;
    if (Object.keys(jsConfig).length) config['transformers.js_config'] = jsConfig;
    else delete config['transformers.js_config'];
    writeFileSync(join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    for (const name of TOKENIZER_FILES) {
      const source = join(folder.dir, name);
      if (!existsSync(source)) continue;
      if (name === TOKENIZER_CONFIG_FILE && folder.tokenizerConfig) {
        writeFileSync(join(outDir, name), JSON.stringify(tokenizerConfigForJs(folder.tokenizerConfig), null, 2) + '\n');
      } else {
        copyFileSync(source, join(outDir, name));
      }
    }
    return { outDir, modelFile, head, outputName: output, externalData: external, bytes };
  } finally {
    folder.close();
  }
}

/**
 * transformers.js reads a special token in tokenizer_config.json as a string or as an object marked
 * {"__type": "AddedToken"} (what older transformers wrote); an unmarked object stops it. Objects get the mark.
 */
function tokenizerConfigForJs(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('_token') && value && typeof value === 'object' && !Array.isArray(value) && 'content' in value) {
      out[key] = { __type: 'AddedToken', ...value };
    }
  }
  return out;
}

/** The head named by config.json's architectures when the checkpoint holds it; otherwise MLM, then the bare encoder. */
function defaultHead(architectures: readonly string[], has: (head: HeadKind) => boolean): ExportHead {
  for (const name of architectures) {
    const head = headOfArchitecture(name);
    if (head && (head === 'none' || has(head))) return head;
  }
  return has('mlm') ? 'mlm' : 'none';
}

/** model.onnx with every large initializer pointing into one model.onnx_data, page-aligned. */
function writeWithExternalData(graph: Parameters<typeof encodeGraph>[0], modelFile: string, dataPath: string): number {
  const encoded = encodeGraph(graph, { externalize: true });
  const model = onnx.ModelProto.decode(encoded.bytes);
  const byPath = new Map(encoded.externalData.map((e) => [e.path, e.data]));
  const tmp = `${dataPath}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let offset = 0;
  try {
    for (const init of model.graph?.initializer ?? []) {
      const location = init.externalData?.find((e) => e.key === 'location')?.value;
      if (!location) continue;
      const data = byPath.get(location)!;
      const start = Math.ceil(offset / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
      if (start > offset) writeSync(fd, new Uint8Array(start - offset));
      for (let pos = 0; pos < data.byteLength; ) pos += writeSync(fd, data, pos, Math.min(data.byteLength - pos, 1 << 30));
      init.externalData = [
        onnx.StringStringEntryProto.create({ key: 'location', value: basename(dataPath) }),
        onnx.StringStringEntryProto.create({ key: 'offset', value: String(start) }),
        onnx.StringStringEntryProto.create({ key: 'length', value: String(data.byteLength) }),
      ];
      offset = start + data.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, dataPath);
  const bytes = onnx.ModelProto.encode(model).finish();
  writeAtomic(modelFile, bytes);
  return bytes.byteLength + offset;
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (let pos = 0; pos < bytes.byteLength; ) pos += writeSync(fd, bytes, pos, Math.min(bytes.byteLength - pos, 1 << 30));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
