/**
 * The XLM paper's route to translation: an encoder-decoder whose encoder and decoder both start from one XLM-R
 * checkpoint, in transformers' EncoderDecoderModel layout (what `EncoderDecoderModel.from_encoder_decoder_pretrained`
 * builds and saves):
 * - `encoder.*`: XLMRobertaModel (`encoder.embeddings...`, `encoder.encoder.layer.N...`), from `roberta.*`;
 * - `decoder.roberta.*`: XLMRobertaForCausalLM's body with is_decoder and add_cross_attention: causal
 *   self-attention, then `crossattention` (queries from the self-attention's output, keys and values from the
 *   encoder's output, post-LayerNorm like every XLM-R attention), then the feed-forward; from `roberta.*`, except
 *   the cross-attention, which the checkpoint lacks and is drawn as transformers initialises it (normal weights of
 *   std initializer_range, zero biases, LayerNorm 1 and 0);
 * - `decoder.lm_head.*`: the MLM head, its decoder tied to the decoder's word embeddings.
 * The encoder and the decoder are built with XLM-R's own builders (src/engine/model/) through a context that
 * renames their weights. Decoding starts with `<s>`; labels are the target's tokens then `</s>`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, type Value } from '../graph/graph.js';
import { loadModelFolder } from '../hf/folder.js';
import { hfError } from '../hf/hf-error.js';
import { isPlainObject, readJsonFile } from '../hf/json.js';
import { openSafetensors } from '../hf/safetensors.js';
import type { ModelWeights } from '../hf/weights.js';
import { inferenceContext } from '../model/context.js';
import { labelSmoothedCrossEntropy, reshape } from '../graph/ops/index.js';
import { writeHfCheckpoint } from '../hf/checkpoint.js';
import { parseXlmrConfig, type XlmrConfig } from '../hf/config.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { ATTENTION_PATHS, encoderTensorSpecs, headTensorSpecs, layerPath, type TensorSpec } from '../hf/names.js';
import { FLOAT32_MIN, additiveAttentionMask, buildAttention, buildCachedAttention, projectAttentionKeysValues } from '../model/attention.js';
import type { ModelContext } from '../model/context.js';
import { buildEmbeddings } from '../model/embeddings.js';
import { buildMlmHead } from '../model/heads.js';
import { buildEncoder, buildFeedForward } from '../model/xlmr.js';
import { TrainContext } from '../train/context.js';
import { initLora, isLoraName, type LoraOptions } from '../train/lora.js';
import type { ModelLoss } from '../train/model-loss.js';
import type { LossBuilder } from '../train/step-graph.js';
import { createRng } from '../rng/rng.js';
import { causalMask, pastLengthOf, stepPositions } from './positions.js';
import { cachedCrossKeysValues, mergedDecoderInputs } from './inference.js';
import type { XlmTokenizer } from '../tokenize/tokenizer.js';
import type { PairFeature } from './features.js';

/** A context whose weights, linear layers and dropout sites are another's under renamed names. */
function renamed(ctx: ModelContext, rename: (name: string) => string): ModelContext {
  return {
    graph: ctx.graph,
    config: ctx.config,
    param: (name, shape) => ctx.param(rename(name), shape),
    linear: (name, x, inFeatures, outFeatures) => ctx.linear(rename(name), x, inFeatures, outFeatures),
    dropout: (x, p, site) => ctx.dropout(x, p, rename(site)),
  };
}

const asEncoder = (name: string) => (name.startsWith('roberta.') ? `encoder.${name.slice('roberta.'.length)}` : `encoder.${name}`);
const asDecoder = (name: string) => `decoder.${name}`;

/** Where an EncoderDecoderModel tensor comes from in an XLM-R masked-LM checkpoint; undefined for the new cross-attention. */
function warmStartSource(name: string): string | undefined {
  if (name.includes('.crossattention.')) return undefined;
  if (name.startsWith('encoder.')) return `roberta.${name.slice('encoder.'.length)}`;
  if (name.startsWith('decoder.')) return name.slice('decoder.'.length);
  return undefined;
}

/** Every tensor of the encoder-decoder with its shape (the encoder's pooler, which nothing reads, is left out). */
export function encoderDecoderTensorSpecs(c: XlmrConfig): TensorSpec[] {
  const h = c.hidden_size;
  const body = encoderTensorSpecs(c);
  const specs: TensorSpec[] = body.map((s) => ({ name: asEncoder(s.name), shape: s.shape }));
  for (const s of body) {
    specs.push({ name: asDecoder(s.name), shape: s.shape });
    const m = /^roberta\.encoder\.layer\.(\d+)\.output\.LayerNorm\.bias$/.exec(s.name);
    if (!m) continue;
    const cross = `${layerPath(Number(m[1]), 'decoder.roberta.')}.crossattention`;
    for (const proj of [ATTENTION_PATHS.query, ATTENTION_PATHS.key, ATTENTION_PATHS.value, ATTENTION_PATHS.output]) specs.push({ name: `${cross}.${proj}.weight`, shape: [h, h] }, { name: `${cross}.${proj}.bias`, shape: [h] });
    specs.push({ name: `${cross}.${ATTENTION_PATHS.layerNorm}.weight`, shape: [h] }, { name: `${cross}.${ATTENTION_PATHS.layerNorm}.bias`, shape: [h] });
  }
  for (const s of headTensorSpecs(c, 'mlm', 0)) specs.push({ name: asDecoder(s.name), shape: s.shape });
  return specs;
}

/** config.json of EncoderDecoderModel with XLM-R on both sides. */
export function encoderDecoderConfig(c: XlmrConfig): Record<string, unknown> {
  const side = { ...c.raw };
  delete side.architectures;
  return {
    architectures: ['EncoderDecoderModel'],
    model_type: 'encoder-decoder',
    is_encoder_decoder: true,
    tie_encoder_decoder: false,
    encoder: { ...side, architectures: ['XLMRobertaModel'] },
    decoder: { ...side, architectures: ['XLMRobertaForCausalLM'], is_decoder: true, add_cross_attention: true },
    decoder_start_token_id: c.bos_token_id ?? 0,
    pad_token_id: c.pad_token_id,
    eos_token_id: c.eos_token_id ?? 2,
  };
}

/** input_ids, attention_mask [batch, src], decoder_input_ids [batch, tgt] (int64) → logits [batch, tgt, vocab]. */
export function buildEncoderDecoderLogits(ctx: ModelContext, inputIds: Value, attentionMask: Value, decoderIds: Value): Value {
  const encoded = buildEncoder(renamed(ctx, asEncoder), inputIds, attentionMask);
  const d = renamed(ctx, asDecoder);
  const selfMask = causalMask(decoderIds, undefined, decoderIds.shape[1], FLOAT32_MIN);
  const crossMask = additiveAttentionMask(attentionMask);
  let h = buildEmbeddings(d, decoderIds);
  for (let layer = 0; layer < ctx.config.num_hidden_layers; layer++) {
    const prefix = layerPath(layer);
    const x = h;
    h = ctx.graph.scope(`decoder.${layer}`, () => {
      const attended = buildAttention(d, `${prefix}.attention`, x, selfMask);
      const crossed = buildAttention(d, `${prefix}.crossattention`, encoded, crossMask, attended);
      return buildFeedForward(d, prefix, crossed);
    });
  }
  return buildMlmHead(d, h);
}

export interface EncoderDecoderLossOptions {
  config: XlmrConfig;
  /** A tensor by its EncoderDecoderModel name (encoder.*, decoder.*), or undefined for one drawn fresh (the new cross-attention). */
  weight(name: string, shape: number[]): Float32Array | undefined;
  /** Full fine-tuning trains every tensor; LoRA trains the adapters and the cross-attention (new, drawn at random). */
  method?: 'full' | 'lora';
  lora?: LoraOptions;
  labelSmoothing: number;
  dropout?: number;
  /** Seed of the cross-attention's initial weights. */
  initSeed: number;
}

/**
 * Full fine-tuning of the warm-started model, label-smoothed cross-entropy on the decoder's logits (-100 ignored),
 * as EncoderDecoderModel's loss with transformers' Trainer. Inputs as the seq2seq loss: input_ids,
 * attention_mask, decoder_input_ids, labels.
 */
export function encoderDecoderLoss(o: EncoderDecoderLossOptions): ModelLoss {
  const rng = createRng(o.initSeed);
  const range = (o.config.raw.initializer_range as number | undefined) ?? 0.02;
  const values = new Map<string, Float32Array>();
  const initialize = (name: string, shape: number[]): Float32Array => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith('LayerNorm.weight')) return new Float32Array(n).fill(1);
    if (name.endsWith('.bias')) return new Float32Array(n);
    return Float32Array.from({ length: n }, () => rng.normal(0, range));
  };
  const weight = (name: string, shape: number[]): Float32Array => {
    let data = values.get(name);
    if (!data) {
      data = isLoraName(name) ? initLora(name, shape, rng) : (o.weight(name, shape) ?? initialize(name, shape));
      values.set(name, data);
    }
    return data;
  };
  const lora = o.method === 'lora' ? o.lora : undefined;
  if (o.method === 'lora' && !lora) throw new Error('LoRA training needs LoRA options');
  // PEFT's modules_to_save: the cross-attention starts random, so LoRA alone on frozen random weights could not learn it.
  const trainable = (name: string) => !lora || isLoraName(name) || name.includes('.crossattention.');
  const build: LossBuilder = (graph: Graph, randomKey, mode = 'train') => {
    const ctx = new TrainContext(graph, o.config, { weight, initialize, trainable, lora, dropoutOverride: o.dropout, randomKey, eval: mode === 'eval' });
    const ids = graph.input('input_ids', 'int64', ['batch', 'src']);
    const mask = graph.input('attention_mask', 'int64', ['batch', 'src']);
    const decoderIds = graph.input('decoder_input_ids', 'int64', ['batch', 'tgt']);
    const labels = graph.input('labels', 'int64', ['batch', 'tgt']);
    const logits = buildEncoderDecoderLogits(ctx, ids, mask, decoderIds);
    const loss = labelSmoothedCrossEntropy(reshape(logits, [-1, o.config.vocab_size]), reshape(labels, [-1]), o.labelSmoothing);
    return { loss, trainable: ctx.trainable, frozen: ctx.frozen, logits };
  };
  return { build, weight };
}

/** The model as an HF folder: config.json (EncoderDecoderModel), model.safetensors under its names, the XLM-R tokenizer files. */
export function writeEncoderDecoderFolder(dir: string, c: XlmrConfig, tokenizerFrom: string, weight: (name: string, shape: number[]) => Float32Array): void {
  const tensors = new Map<string, TensorToWrite>(encoderDecoderTensorSpecs(c).map((s) => [s.name, { dtype: 'F32', shape: s.shape, data: weight(s.name, s.shape) }]));
  writeHfCheckpoint(dir, { config: encoderDecoderConfig(c), tokenizerFrom, tensors });
}

/**
 * The EncoderDecoderModel's tensors read from an XLM-R checkpoint (the warm start): the encoder's and the decoder's
 * from `roberta.*`, the LM head from `lm_head.*` (drawn fresh when the checkpoint has none, as for a classifier),
 * the cross-attention always fresh.
 */
export function warmStartWeights(checkpoint: Pick<ModelWeights, 'get' | 'has'>): (name: string, shape: number[]) => Float32Array | undefined {
  return (name, shape) => {
    const source = warmStartSource(name);
    if (source === undefined || (source.startsWith('lm_head.') && !checkpoint.has(source))) return undefined;
    return checkpoint.get(source, shape);
  };
}

/** What a translation run starts from: an XLM-R checkpoint (warm start), an EncoderDecoderModel of XLM-R (saved by a run), or neither (a seq2seq family). */
export function encoderDecoderKind(dir: string): 'warm-start' | 'encoder-decoder' | undefined {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return undefined;
  const raw = readJsonFile(file);
  if (!isPlainObject(raw)) return undefined;
  if (raw.model_type === 'xlm-roberta' || raw.model_type === 'roberta') return 'warm-start';
  if (raw.model_type === 'encoder-decoder') return 'encoder-decoder';
  return undefined;
}

/** An XLM-R encoder-decoder to train or run: its XLM-R config and its tensors by EncoderDecoderModel names. */
export interface EncoderDecoderSource {
  config: XlmrConfig;
  /** undefined for a tensor drawn fresh (a warm start's cross-attention). */
  weight(name: string, shape: number[]): Float32Array | undefined;
  close(): void;
}

/** The XLM-R config of an XLM-R folder, or of a saved EncoderDecoderModel folder (its encoder's, which its decoder shares). */
export function openEncoderDecoderConfig(dir: string): XlmrConfig {
  const file = join(dir, 'config.json');
  const raw = readJsonFile(file);
  if (encoderDecoderKind(dir) === 'warm-start') return parseXlmrConfig(raw, file);
  if (!isPlainObject(raw) || !isPlainObject(raw.encoder) || !isPlainObject(raw.decoder)) throw hfError('config-invalid', file, 'an EncoderDecoderModel config.json needs "encoder" and "decoder" objects', 'encoder');
  for (const side of ['encoder', 'decoder'] as const) {
    const type = (raw[side] as Record<string, unknown>).model_type;
    if (type !== 'xlm-roberta' && type !== 'roberta') throw hfError('config-model-type', file, `the ${side} is "${String(type)}"; XLM Lab trains and runs encoder-decoders of XLM-R ("xlm-roberta") only`, `${side}.model_type`);
  }
  return parseXlmrConfig(raw.encoder, file);
}

export function openEncoderDecoder(dir: string): EncoderDecoderSource {
  if (encoderDecoderKind(dir) === 'warm-start') {
    const folder = loadModelFolder(dir, { head: 'encoder' });
    return { config: folder.config, weight: warmStartWeights(folder.weights), close: () => folder.close() };
  }
  const config = openEncoderDecoderConfig(dir);
  const weights = openSafetensors(join(dir, 'model.safetensors'));
  const specs = new Map(encoderDecoderTensorSpecs(config).map((t) => [t.name, t.shape]));
  for (const [name, shape] of specs) {
    if (!weights.has(name)) throw hfError('tensor-missing', weights.path, `no tensor '${name}' in this checkpoint, which an XLM-R encoder-decoder of this config needs`, name);
    const stored = weights.info(name).shape;
    if (stored.join() !== shape.join()) throw hfError('tensor-shape', weights.path, `tensor '${name}' has shape [${stored.join(', ')}], expected [${shape.join(', ')}] from config.json`, name);
  }
  return { config, weight: (name) => weights.readFloat32(name), close: () => weights.close() };
}

/**
 * Inference graphs in optimum's layout (src/engine/seq2seq/inference.ts says what each takes and gives): the
 * encoder, the merged decoder with its key/value cache (self-attention keys are the past's and the new token's,
 * positions continue after the past; cross-attention keys come from encoder_hidden_states), or the whole model's
 * logits.
 */
export function buildEncoderDecoderGraph(kind: 'logits' | 'encoder' | 'decoder-merged', c: XlmrConfig, weight: (name: string, shape: number[]) => Float32Array | undefined): Graph {
  const graph = new Graph(`encoder_decoder_${kind.replace('-', '_')}`);
  const get = (name: string, shape: readonly number[]) => {
    const data = weight(name, [...shape]);
    if (!data) throw new Error(`no value for weight ${name}`);
    return data;
  };
  const ctx = inferenceContext(graph, c, { get });
  if (kind === 'encoder') {
    const ids = graph.input('input_ids', 'int64', ['batch_size', 'encoder_sequence_length']);
    const mask = graph.input('attention_mask', 'int64', ['batch_size', 'encoder_sequence_length']);
    graph.output(buildEncoder(renamed(ctx, asEncoder), ids, mask), 'last_hidden_state');
    return graph;
  }
  if (kind === 'logits') {
    const ids = graph.input('input_ids', 'int64', ['batch', 'src']);
    const mask = graph.input('attention_mask', 'int64', ['batch', 'src']);
    graph.output(buildEncoderDecoderLogits(ctx, ids, mask, graph.input('decoder_input_ids', 'int64', ['batch', 'tgt'])), 'logits');
    return graph;
  }
  const inputs = mergedDecoderInputs(graph, { layers: c.num_hidden_layers, heads: c.num_attention_heads, hidden: c.hidden_size });
  const { encoderMask, ids, past } = inputs;
  const d = renamed(ctx, asDecoder);
  const crossKeysValues = cachedCrossKeysValues(inputs, (hidden) => past.map((_, layer) => projectAttentionKeysValues(d, `${layerPath(layer)}.crossattention`, hidden)));
  const pastLength = pastLengthOf(past[0].key);
  // XLM-R's positions count from pad + 1; generation feeds no padding, so step t is at pad + 1 + t.
  let h = buildEmbeddings(d, ids, undefined, stepPositions(ids, pastLength, c.pad_token_id + 1));
  const crossMask = additiveAttentionMask(encoderMask);
  let selfMask: Value | undefined;
  for (let layer = 0; layer < c.num_hidden_layers; layer++) {
    const prefix = layerPath(layer);
    const self = buildCachedAttention(d, `${prefix}.attention`, h, (keys) => (selfMask ??= causalMask(ids, pastLength, keys, FLOAT32_MIN)), past[layer]);
    const cross = buildCachedAttention(d, `${prefix}.crossattention`, self.output, crossMask, undefined, crossKeysValues[layer]);
    h = buildFeedForward(d, prefix, cross.output);
    graph.output(self.keysValues.key, `present.${layer}.decoder.key`);
    graph.output(self.keysValues.value, `present.${layer}.decoder.value`);
    graph.output(cross.keysValues.key, `present.${layer}.encoder.key`);
    graph.output(cross.keysValues.value, `present.${layer}.encoder.value`);
  }
  graph.output(buildMlmHead(d, h), 'logits');
  return graph;
}

/** A pair as EncoderDecoderModel trains on it: the source with <s> … </s>, labels the target's tokens then </s>. */
export function encodeXlmrPair(tokenizer: XlmTokenizer, pair: { source: string; target: string }, maxLength: number): PairFeature {
  return {
    source: tokenizer.encode(pair.source, null, { maxLength }).ids,
    labels: [...tokenizer.encode(pair.target, null, { addSpecialTokens: false }).ids.slice(0, Math.max(1, maxLength - 1)), tokenizer.sepId],
  };
}
