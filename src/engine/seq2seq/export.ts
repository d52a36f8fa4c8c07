/**
 * A seq2seq model folder (a trained one, any Marian / M2M100 / NLLB / MBart HF folder, or an XLM-R
 * EncoderDecoderModel a translation run saved) in optimum's ONNX layout,
 * which `xlm translate`, the hover and transformers.js read: OUT/onnx/encoder_model.onnx and
 * OUT/onnx/decoder_model_merged.onnx (inference.ts says what their inputs and outputs are), with config.json,
 * generation_config.json and the tokenizer files beside them. A LoRA run's folder already holds the merged
 * weights in model.safetensors, so its export is the merged model.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeGraph } from '../graph/encode.js';
import type { Graph } from '../graph/graph.js';
import { writeFileAtomic } from '../hf/atomic.js';
import { loadSeq2SeqConfig } from './config.js';
import { buildSeq2SeqGraph } from './inference.js';
import { openSeq2SeqWeights } from './weights.js';
import { buildEncoderDecoderGraph, encoderDecoderKind, openEncoderDecoder } from './xlmr-encoder-decoder.js';

const COPIED = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'source.spm', 'target.spm', 'vocab.json', 'sentencepiece.bpe.model', 'added_tokens.json'];

export interface Seq2SeqExportResult {
  outDir: string;
  encoder: string;
  decoder: string;
  bytes: number;
}

export function exportSeq2SeqOnnx(modelDir: string, outDirArg: string): Seq2SeqExportResult {
  const dir = resolve(modelDir);
  const outDir = resolve(outDirArg);
  // An XLM-R EncoderDecoderModel folder (a translation run from an XLM-R checkpoint) has its own graphs.
  if (encoderDecoderKind(dir) === 'encoder-decoder') {
    const source = openEncoderDecoder(dir);
    try {
      return writeOnnxPair(dir, outDir, (kind) => buildEncoderDecoderGraph(kind, source.config, source.weight));
    } finally {
      source.close();
    }
  }
  const config = loadSeq2SeqConfig(dir);
  const weights = openSeq2SeqWeights(dir, config);
  try {
    weights.check();
    return writeOnnxPair(dir, outDir, (kind) => buildSeq2SeqGraph(kind, config, weights));
  } finally {
    weights.close();
  }
}

function writeOnnxPair(dir: string, outDir: string, build: (kind: 'encoder' | 'decoder-merged') => Graph): Seq2SeqExportResult {
  mkdirSync(join(outDir, 'onnx'), { recursive: true });
  let bytes = 0;
  const write = (kind: 'encoder' | 'decoder-merged', file: string) => {
    const encoded = encodeGraph(build(kind), { externalize: false, docString: `XLM Lab export of ${dir}` });
    writeFileAtomic(join(outDir, 'onnx', file), encoded.bytes);
    bytes += encoded.bytes.byteLength;
    return join(outDir, 'onnx', file);
  };
  const encoder = write('encoder', 'encoder_model.onnx');
  const decoder = write('decoder-merged', 'decoder_model_merged.onnx');
  if (outDir !== dir) for (const name of COPIED) if (existsSync(join(dir, name))) copyFileSync(join(dir, name), join(outDir, name));
  return { outDir, encoder, decoder, bytes };
}
