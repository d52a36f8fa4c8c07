import type { HeadKind } from '../tasks/vocabulary.js';
import type { XlmrConfig } from './config.js';

/**
 * Hugging Face's tensor names for XLM-R and its heads, and the shape each must have: the one place
 * the model builder, the folder loader, the checkpoint writer and the test models agree on.
 * Linear weights are [out, in], as PyTorch stores them.
 */

/** Prefix of the encoder's tensors in task models; XLMRobertaModel (no head) saves them without it. */
export const ENCODER_PREFIX = 'roberta.';

/** transformers' class for each head (config.json "architectures"); 'none' is the bare encoder. */
export const ARCHITECTURE_OF_HEAD: Record<HeadKind | 'none', string> = {
  none: 'XLMRobertaModel',
  mlm: 'XLMRobertaForMaskedLM',
  'seq-cls': 'XLMRobertaForSequenceClassification',
  'token-cls': 'XLMRobertaForTokenClassification',
  qa: 'XLMRobertaForQuestionAnswering',
};

export const EMBEDDINGS = {
  word: 'roberta.embeddings.word_embeddings.weight',
  position: 'roberta.embeddings.position_embeddings.weight',
  tokenType: 'roberta.embeddings.token_type_embeddings.weight',
  layerNormWeight: 'roberta.embeddings.LayerNorm.weight',
  layerNormBias: 'roberta.embeddings.LayerNorm.bias',
} as const;

/**
 * Module paths inside one XLMRobertaLayer, which the model builders name their linears and LayerNorms by (a linear
 * `path` holds `path.weight` [out, in] and `path.bias`): the attention's relative to `<layer>.attention`, the
 * feed-forward's relative to the layer. The stored tensor names below are derived from them, so the builders and
 * the checkpoint reader cannot drift apart.
 */
export const ATTENTION_PATHS = {
  query: 'self.query',
  key: 'self.key',
  value: 'self.value',
  output: 'output.dense',
  layerNorm: 'output.LayerNorm',
} as const;
export const FEED_FORWARD_PATHS = {
  intermediate: 'intermediate.dense',
  output: 'output.dense',
  layerNorm: 'output.LayerNorm',
} as const;

/** A layer's module path ('roberta.encoder.layer.N'; the encoder-decoder's decoder passes its own root). */
export function layerPath(layer: number, root = 'roberta.'): string {
  return `${root}encoder.layer.${layer}`;
}

export interface LayerNames {
  queryWeight: string;
  queryBias: string;
  keyWeight: string;
  keyBias: string;
  valueWeight: string;
  valueBias: string;
  attentionOutputWeight: string;
  attentionOutputBias: string;
  attentionLayerNormWeight: string;
  attentionLayerNormBias: string;
  intermediateWeight: string;
  intermediateBias: string;
  outputWeight: string;
  outputBias: string;
  outputLayerNormWeight: string;
  outputLayerNormBias: string;
}

export function layerNames(layer: number): LayerNames {
  const p = layerPath(layer);
  const a = (path: string) => `${p}.attention.${path}`;
  const f = (path: string) => `${p}.${path}`;
  return {
    queryWeight: `${a(ATTENTION_PATHS.query)}.weight`,
    queryBias: `${a(ATTENTION_PATHS.query)}.bias`,
    keyWeight: `${a(ATTENTION_PATHS.key)}.weight`,
    keyBias: `${a(ATTENTION_PATHS.key)}.bias`,
    valueWeight: `${a(ATTENTION_PATHS.value)}.weight`,
    valueBias: `${a(ATTENTION_PATHS.value)}.bias`,
    attentionOutputWeight: `${a(ATTENTION_PATHS.output)}.weight`,
    attentionOutputBias: `${a(ATTENTION_PATHS.output)}.bias`,
    attentionLayerNormWeight: `${a(ATTENTION_PATHS.layerNorm)}.weight`,
    attentionLayerNormBias: `${a(ATTENTION_PATHS.layerNorm)}.bias`,
    intermediateWeight: `${f(FEED_FORWARD_PATHS.intermediate)}.weight`,
    intermediateBias: `${f(FEED_FORWARD_PATHS.intermediate)}.bias`,
    outputWeight: `${f(FEED_FORWARD_PATHS.output)}.weight`,
    outputBias: `${f(FEED_FORWARD_PATHS.output)}.bias`,
    outputLayerNormWeight: `${f(FEED_FORWARD_PATHS.layerNorm)}.weight`,
    outputLayerNormBias: `${f(FEED_FORWARD_PATHS.layerNorm)}.bias`,
  };
}

/** The heads' module paths, which the head builders name their layers by; the tensor names below derive from them. */
export const HEAD_PATHS = {
  mlmDense: 'lm_head.dense',
  mlmLayerNorm: 'lm_head.layer_norm',
  classifierDense: 'classifier.dense',
  classifierOutProj: 'classifier.out_proj',
  tokenClassifier: 'classifier',
  qaOutputs: 'qa_outputs',
} as const;

/**
 * The masked-LM head. The decoder's weight is tied to the word embeddings and not stored; its bias
 * is `lm_head.bias` (older saves also carry the same values as `lm_head.decoder.bias`).
 */
export const MLM_HEAD = {
  denseWeight: `${HEAD_PATHS.mlmDense}.weight`,
  denseBias: `${HEAD_PATHS.mlmDense}.bias`,
  layerNormWeight: `${HEAD_PATHS.mlmLayerNorm}.weight`,
  layerNormBias: `${HEAD_PATHS.mlmLayerNorm}.bias`,
  bias: 'lm_head.bias',
  /** Present in some checkpoints, ignored on load: transformers re-ties it to the word embeddings. */
  tiedDecoderWeight: 'lm_head.decoder.weight',
  tiedDecoderBias: 'lm_head.decoder.bias',
} as const;

/** Sequence classification: dense + tanh on the <s> vector, then the projection to labels. */
export const SEQ_CLS_HEAD = {
  denseWeight: `${HEAD_PATHS.classifierDense}.weight`,
  denseBias: `${HEAD_PATHS.classifierDense}.bias`,
  outProjWeight: `${HEAD_PATHS.classifierOutProj}.weight`,
  outProjBias: `${HEAD_PATHS.classifierOutProj}.bias`,
} as const;

/** Token classification: one linear layer on every token's vector. */
export const TOKEN_CLS_HEAD = {
  weight: `${HEAD_PATHS.tokenClassifier}.weight`,
  bias: `${HEAD_PATHS.tokenClassifier}.bias`,
} as const;

/** Extractive question answering: one linear layer to 2 outputs (start and end logits) on every token's vector. */
export const QA_HEAD = {
  weight: `${HEAD_PATHS.qaOutputs}.weight`,
  bias: `${HEAD_PATHS.qaOutputs}.bias`,
} as const;

/** The stored tensor names of each head (lm_head's tied decoder excluded). */
export const HEAD_TENSOR_NAMES: Record<HeadKind, readonly string[]> = {
  mlm: [MLM_HEAD.denseWeight, MLM_HEAD.denseBias, MLM_HEAD.layerNormWeight, MLM_HEAD.layerNormBias, MLM_HEAD.bias],
  'seq-cls': Object.values(SEQ_CLS_HEAD),
  'token-cls': Object.values(TOKEN_CLS_HEAD),
  qa: Object.values(QA_HEAD),
};

export interface TensorSpec {
  name: string;
  shape: number[];
}

export type ModelSizes = Pick<
  XlmrConfig,
  'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'intermediate_size' | 'max_position_embeddings' | 'type_vocab_size'
>;

/** Every encoder tensor (embeddings and layers) with its shape, in checkpoint order. */
export function encoderTensorSpecs(config: ModelSizes): TensorSpec[] {
  const h = config.hidden_size;
  const specs: TensorSpec[] = [
    { name: EMBEDDINGS.word, shape: [config.vocab_size, h] },
    { name: EMBEDDINGS.position, shape: [config.max_position_embeddings, h] },
    { name: EMBEDDINGS.tokenType, shape: [config.type_vocab_size, h] },
    { name: EMBEDDINGS.layerNormWeight, shape: [h] },
    { name: EMBEDDINGS.layerNormBias, shape: [h] },
  ];
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    const n = layerNames(layer);
    const i = config.intermediate_size;
    specs.push(
      { name: n.queryWeight, shape: [h, h] },
      { name: n.queryBias, shape: [h] },
      { name: n.keyWeight, shape: [h, h] },
      { name: n.keyBias, shape: [h] },
      { name: n.valueWeight, shape: [h, h] },
      { name: n.valueBias, shape: [h] },
      { name: n.attentionOutputWeight, shape: [h, h] },
      { name: n.attentionOutputBias, shape: [h] },
      { name: n.attentionLayerNormWeight, shape: [h] },
      { name: n.attentionLayerNormBias, shape: [h] },
      { name: n.intermediateWeight, shape: [i, h] },
      { name: n.intermediateBias, shape: [i] },
      { name: n.outputWeight, shape: [h, i] },
      { name: n.outputBias, shape: [h] },
      { name: n.outputLayerNormWeight, shape: [h] },
      { name: n.outputLayerNormBias, shape: [h] },
    );
  }
  return specs;
}

/** The stored tensors of one head with their shapes; `numLabels` matters for the classifiers only (QA has 2 outputs: start, end). */
export function headTensorSpecs(config: ModelSizes, head: HeadKind, numLabels: number): TensorSpec[] {
  const h = config.hidden_size;
  switch (head) {
    case 'mlm':
      return [
        { name: MLM_HEAD.denseWeight, shape: [h, h] },
        { name: MLM_HEAD.denseBias, shape: [h] },
        { name: MLM_HEAD.layerNormWeight, shape: [h] },
        { name: MLM_HEAD.layerNormBias, shape: [h] },
        { name: MLM_HEAD.bias, shape: [config.vocab_size] },
      ];
    case 'seq-cls':
      return [
        { name: SEQ_CLS_HEAD.denseWeight, shape: [h, h] },
        { name: SEQ_CLS_HEAD.denseBias, shape: [h] },
        { name: SEQ_CLS_HEAD.outProjWeight, shape: [numLabels, h] },
        { name: SEQ_CLS_HEAD.outProjBias, shape: [numLabels] },
      ];
    case 'token-cls':
      return [
        { name: TOKEN_CLS_HEAD.weight, shape: [numLabels, h] },
        { name: TOKEN_CLS_HEAD.bias, shape: [numLabels] },
      ];
    case 'qa':
      return [
        { name: QA_HEAD.weight, shape: [2, h] },
        { name: QA_HEAD.bias, shape: [2] },
      ];
  }
}

/** Which head a transformers class name carries, if it is one of ours. */
export function headOfArchitecture(architecture: string): HeadKind | 'none' | undefined {
  for (const [head, name] of Object.entries(ARCHITECTURE_OF_HEAD)) if (name === architecture) return head as HeadKind | 'none';
  const roberta = architecture.replace(/^Roberta/, 'XLMRoberta');
  for (const [head, name] of Object.entries(ARCHITECTURE_OF_HEAD)) if (name === roberta) return head as HeadKind | 'none';
  return undefined;
}
