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
import type { Graph, Value } from '../graph/graph.js';
import { labelSmoothedCrossEntropy, reshape } from '../graph/ops/index.js';
import { writeHfCheckpoint } from '../hf/checkpoint.js';
import type { XlmrConfig } from '../hf/config.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { encoderTensorSpecs, headTensorSpecs, type TensorSpec } from '../hf/names.js';
import { FLOAT32_MIN, additiveAttentionMask, buildAttention } from '../model/attention.js';
import type { ModelContext } from '../model/context.js';
import { buildEmbeddings } from '../model/embeddings.js';
import { buildMlmHead } from '../model/heads.js';
import { buildEncoder, buildFeedForward } from '../model/xlmr.js';
import { TrainContext } from '../train/context.js';
import type { ModelLoss } from '../train/model-loss.js';
import type { LossBuilder } from '../train/step-graph.js';
import { createRng } from '../rng/rng.js';
import { causalMask } from './positions.js';

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
export function warmStartSource(name: string): string | undefined {
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
    const cross = `decoder.roberta.encoder.layer.${m[1]}.crossattention`;
    for (const proj of ['self.query', 'self.key', 'self.value', 'output.dense']) specs.push({ name: `${cross}.${proj}.weight`, shape: [h, h] }, { name: `${cross}.${proj}.bias`, shape: [h] });
    specs.push({ name: `${cross}.output.LayerNorm.weight`, shape: [h] }, { name: `${cross}.output.LayerNorm.bias`, shape: [h] });
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
    const prefix = `roberta.encoder.layer.${layer}`;
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
  /** A tensor of the XLM-R checkpoint by its canonical name (roberta.*, lm_head.*). */
  checkpoint(name: string, shape: number[]): Float32Array;
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
      const source = warmStartSource(name);
      data = source === undefined ? initialize(name, shape) : o.checkpoint(source, shape);
      values.set(name, data);
    }
    return data;
  };
  const build: LossBuilder = (graph: Graph, randomKey, mode = 'train') => {
    const ctx = new TrainContext(graph, o.config, { weight, initialize, trainable: () => true, dropoutOverride: o.dropout, randomKey, eval: mode === 'eval' });
    const ids = graph.input('input_ids', 'int64', ['batch', 'src']);
    const mask = graph.input('attention_mask', 'int64', ['batch', 'src']);
    const decoderIds = graph.input('decoder_input_ids', 'int64', ['batch', 'tgt']);
    const labels = graph.input('labels', 'int64', ['batch', 'tgt']);
    const logits = buildEncoderDecoderLogits(ctx, ids, mask, decoderIds);
    const loss = labelSmoothedCrossEntropy(reshape(logits, [-1, o.config.vocab_size]), reshape(labels, [-1]), o.labelSmoothing);
    return { loss, trainable: ctx.trainable, logits };
  };
  return { build, weight };
}

/** The model as an HF folder: config.json (EncoderDecoderModel), model.safetensors under its names, the XLM-R tokenizer files. */
export function writeEncoderDecoderFolder(dir: string, c: XlmrConfig, tokenizerFrom: string, weight: (name: string, shape: number[]) => Float32Array): void {
  const tensors = new Map<string, TensorToWrite>(encoderDecoderTensorSpecs(c).map((s) => [s.name, { dtype: 'F32', shape: s.shape, data: weight(s.name, s.shape) }]));
  writeHfCheckpoint(dir, { config: encoderDecoderConfig(c), tokenizerFrom, tensors });
}
