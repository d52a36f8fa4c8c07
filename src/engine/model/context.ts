/**
 * The context a model builder asks for its weights, its linear layers and its dropout. The builder
 * (xlmr.ts, heads.ts) only describes the computation; the caller decides what a weight is:
 * - inference (here): every weight is a frozen initializer, Linear weights pre-transposed at load;
 * - training (src/engine/train/): trainable weights are graph inputs, `linear` may add LoRA, `dropout`
 *   draws masks.
 *
 * Weight names are Hugging Face's canonical tensor names as src/engine/hf/names.ts spells them, with
 * the 'roberta.' prefix of task models ('roberta.embeddings.word_embeddings.weight', 'lm_head.bias',
 * 'classifier.out_proj.weight'). src/engine/hf/weights.ts maps a bare-encoder checkpoint's unprefixed
 * names onto these, so a context never has to.
 */
import type { Graph, Value } from '../graph/graph.js';
import type { XlmrConfig } from '../hf/config.js';
import type { ModelWeights } from '../hf/weights.js';
import { add, dynamicQuantizeMatMul, gather, matmul, reduceSum, topK, unsqueeze, mul } from '../graph/ops/index.js';
import { ScatterElements } from '../graph/ops/indexing.js';
import { HEAD_PATHS } from '../hf/names.js';
import { quantizePerOutput, type InferenceDtype } from './quantize.js';

/**
 * How many of the int8 decoder's best words per row are scored again in float32 (see rescoreBest). The word that
 * float32 ranks first is among int8's best 16 whenever int8 differs only by its rounding (its flips are near ties).
 */
export const RESCORED_WORDS = 16;

/** `C` is the model's config: XLM-R's by default, the seq2seq families' in src/engine/seq2seq/. */
export interface ModelContext<C = XlmrConfig> {
  graph: Graph;
  config: C;
  /** A weight by its canonical HF tensor name (see above) and PyTorch shape ([out, in] for Linear). */
  param(name: string, shape: number[]): Value;
  /**
   * Every nn.Linear goes through here, so training can inject LoRA. `name` is the HF module prefix
   * ('roberta.encoder.layer.0.attention.self.query'); its tensors are `${name}.weight` [out, in] and
   * `${name}.bias` [out]. Computes x @ W^T + b over x's last axis.
   */
  linear(name: string, x: Value, inFeatures: number, outFeatures: number): Value;
  /**
   * x @ table^T + bias for a weight stored [out, in] that another op also reads (the MLM decoder tied to the word
   * embeddings). Absent: the head reads the table in place (Gemm transB). An int8 inference context gives the
   * decoder its own quantized copy, since the embedding lookup still needs the float table.
   */
  tiedLinear?(x: Value, tableName: string, biasName: string, outFeatures: number, inFeatures: number): Value;
  /** Dropout at a named site ('roberta.encoder.layer.3.attention.output.dropout'); identity for inference. */
  dropout(x: Value, p: number, site: string): Value;
}

/**
 * A context whose weights are initializers read from a checkpoint. Each tensor is read once, even when
 * asked for twice (the word embeddings feed both the embedding lookup and the tied MLM decoder).
 *
 * Linear weights are transposed to [in, out] here, once, while the model is built: the graph then does
 * a plain MatMul with a constant, which onnxruntime pre-packs, instead of a Transpose on every run.
 * Those initializers are named `${module}.weight.T` to say they are not the stored layout.
 *
 * Initializers of 1024 values or more are flagged external, so encodeGraph keeps them out of the
 * protobuf and hands them to onnxruntime from memory (no 2 GB limit, no copy into the model bytes).
 *
 * With dtype 'int8' every Linear, and the tied MLM decoder, becomes a DynamicQuantizeMatMul on an int8 copy of its
 * weight with per-output scales (quantize.ts), named `${module}.weight.int8` and `.scale`; the float weights of
 * the embedding lookups, LayerNorms and biases stay as they are. Two exceptions keep fill-mask's answers those of
 * float32 where int8 would only change them by rounding, at no cost in speed (test/model/int8-inference.test.ts
 * measures both): the masked-LM head's dense layer stays float32 (fill-mask runs it on the masked rows only, one
 * 256 x 256 product per mask on the default model), and, with `rescoreDecoder` (the fill-mask graph), the
 * decoder's best words are scored again in float32 (rescoreBest). On the shipped model's held-out fill-mask, int8
 * picked float32's first word 96.6% of the time with neither, 98.7% with both. The graph of logits at every
 * position (the ONNX export transformers.js reads) does not rescore: a TopK over every row's vocabulary cost the
 * export a quarter of its throughput at 16 x 128 tokens.
 */
export function inferenceContext<C = XlmrConfig>(graph: Graph, config: C, weights: Pick<ModelWeights, 'get'>, dtype: InferenceDtype = 'fp32', options: { rescoreDecoder?: boolean } = {}): ModelContext<C> {
  const made = new Map<string, Value>();
  const param = (name: string, shape: number[]): Value => {
    let value = made.get(name);
    if (!value) {
      value = graph.initializer(name, { dtype: 'float32', shape, data: weights.get(name, shape) });
      made.set(name, value);
    }
    return value;
  };
  const transposedWeight = (name: string, inFeatures: number, outFeatures: number): Value => {
    const key = `${name}.weight.T`;
    let value = made.get(key);
    if (!value) {
      const stored = weights.get(`${name}.weight`, [outFeatures, inFeatures]);
      value = graph.initializer(key, { dtype: 'float32', shape: [inFeatures, outFeatures], data: transpose2d(stored, outFeatures, inFeatures) });
      made.set(key, value);
    }
    return value;
  };
  const quantizedWeight = (weightName: string, outFeatures: number, inFeatures: number): { weight: Value; scale: Value } => {
    const key = `${weightName}.int8`;
    let weight = made.get(key);
    if (!weight) {
      const q = quantizePerOutput(weights.get(weightName, [outFeatures, inFeatures]), outFeatures, inFeatures);
      weight = graph.initializer(key, { dtype: 'int8', shape: [inFeatures, outFeatures], data: q.weight });
      made.set(key, weight);
      made.set(`${weightName}.scale`, graph.initializer(`${weightName}.scale`, { dtype: 'float32', shape: [outFeatures], data: q.scale }));
    }
    return { weight, scale: made.get(`${weightName}.scale`)! };
  };
  if (dtype === 'int8') {
    return {
      graph,
      config,
      param,
      linear: (name, x, inFeatures, outFeatures) => {
        if (name === HEAD_PATHS.mlmDense) return add(matmul(x, transposedWeight(name, inFeatures, outFeatures)), param(`${name}.bias`, [outFeatures]));
        const { weight, scale } = quantizedWeight(`${name}.weight`, outFeatures, inFeatures);
        return dynamicQuantizeMatMul(x, weight, scale, param(`${name}.bias`, [outFeatures]));
      },
      tiedLinear: (x, tableName, biasName, outFeatures, inFeatures) => {
        const { weight, scale } = quantizedWeight(tableName, outFeatures, inFeatures);
        const bias = param(biasName, [outFeatures]);
        const approximate = dynamicQuantizeMatMul(x, weight, scale, bias);
        return options.rescoreDecoder ? rescoreBest(approximate, x, param(tableName, [outFeatures, inFeatures]), bias, Math.min(RESCORED_WORDS, outFeatures)) : approximate;
      },
      dropout: (x) => x,
    };
  }
  return {
    graph,
    config,
    param,
    linear: (name, x, inFeatures, outFeatures) => add(matmul(x, transposedWeight(name, inFeatures, outFeatures)), param(`${name}.bias`, [outFeatures])),
    dropout: (x) => x,
  };
}

/**
 * int8 decoder logits [n, vocab] with each row's k best replaced by their float32 value: x [n, hidden] times the
 * float table's rows of those words [n, k, hidden], plus their bias. The table is the embedding lookup's own
 * initializer, so this reads k rows of it and stores nothing more; the other words keep their int8 logits, which
 * only enter fill-mask's probabilities through the softmax's sum.
 */
function rescoreBest(approximate: Value, x: Value, table: Value, bias: Value, k: number): Value {
  if (x.rank !== 2) throw new Error(`the decoder's rows must be [n, hidden], not ${x.toString()}`);
  const g = x.graph;
  const best = topK(approximate, g.constant([k], 'int64')).indices;
  const exact = add(reduceSum(mul(gather(table, best), unsqueeze(x, [1])), [2]), gather(bias, best));
  return g.apply1(ScatterElements, [approximate, best, exact], { axis: 1 });
}

/** [rows, cols] row-major → [cols, rows] row-major, blocked so both sides stay in cache. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const B = 64;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const src = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = data[src + c];
      }
    }
  }
  return out;
}
