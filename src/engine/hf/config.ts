import { hfError } from './hf-error.js';
import { describeJsonType, isPlainObject, readJsonFile } from './json.js';

/**
 * config.json of the XLM-R family, typed. Field names are Hugging Face's, so the file and the code
 * read the same. Sizes that shape the weights are required; the rest take XLMRobertaConfig's
 * defaults when absent, as transformers does.
 */

export const SUPPORTED_MODEL_TYPES = ['xlm-roberta', 'roberta'] as const;
export type XlmrModelType = (typeof SUPPORTED_MODEL_TYPES)[number];
export const PROBLEM_TYPES = ['single_label_classification', 'multi_label_classification', 'regression'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

export interface XlmrConfig {
  model_type: XlmrModelType;
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** Only exact (erf) GELU, as XLM-R is trained with. */
  hidden_act: 'gelu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
  bos_token_id: number;
  eos_token_id: number;
  /** Labels by id (HF stores {"0": "neg", ...}); HF writes LABEL_0, LABEL_1 even for models without a classifier. */
  id2label: string[];
  label2id: Record<string, number>;
  architectures: string[];
  problem_type: ProblemType | null;
  /** Dropout before the classifier; null means "use hidden_dropout_prob". */
  classifier_dropout: number | null;
  /** The whole parsed file, so a checkpoint writer can keep the keys this type does not model. */
  raw: Record<string, unknown>;
}

/** Tokens an input may hold: real tokens sit at positions pad + 1 onwards (HF's cumsum rule), so the position table less that offset. */
export function positionLimit(config: Pick<XlmrConfig, 'max_position_embeddings' | 'pad_token_id'>): number {
  return config.max_position_embeddings - config.pad_token_id - 1;
}

/**
 * Upper bounds on the sizes that decide how much is allocated, checked before anything is: far above every
 * XLM-R family model (XLM-R XXL: 48 layers, hidden 4096, intermediate 16384; XLM-V: 901,629 tokens), so
 * only a damaged or hostile config meets them.
 */
export const SIZE_LIMITS: Readonly<Record<string, number>> = {
  vocab_size: 4_000_000,
  hidden_size: 16_384,
  num_hidden_layers: 256,
  num_attention_heads: 256,
  intermediate_size: 131_072,
  max_position_embeddings: 131_072,
  type_vocab_size: 1024,
};

export function loadXlmrConfig(path: string): XlmrConfig {
  return parseXlmrConfig(readJsonFile(path), path);
}

export function parseXlmrConfig(json: unknown, file: string): XlmrConfig {
  if (!isPlainObject(json)) {
    throw hfError('config-invalid', file, `the file holds ${describeJsonType(json)}; expected a JSON object`);
  }
  const fail = (key: string, message: string) => hfError('config-invalid', file, message, key);

  const modelType = json.model_type;
  if (modelType === undefined) throw fail('model_type', `the required key "model_type" is missing; expected one of ${quoteList(SUPPORTED_MODEL_TYPES)}`);
  if (!(SUPPORTED_MODEL_TYPES as readonly unknown[]).includes(modelType)) {
    throw hfError(
      'config-model-type',
      file,
      `"model_type" is ${describeJsonType(modelType)}; XLM Lab supports the XLM-R family only: ${quoteList(SUPPORTED_MODEL_TYPES)}`,
      'model_type',
    );
  }

  const integer = (key: string, options: { required?: boolean; fallback?: number; min: number }): number => {
    const value = json[key];
    if (value === undefined || value === null) {
      if (options.required || options.fallback === undefined) throw fail(key, `the required key "${key}" is missing`);
      return options.fallback;
    }
    const max = SIZE_LIMITS[key] ?? Number.MAX_SAFE_INTEGER;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < options.min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${options.min}` : `from ${options.min} to ${max.toLocaleString('en-US')}`;
      const why = typeof value === 'number' && value > max ? ' (far beyond any XLM-R family model; the file is damaged or not for this kind of model)' : '';
      throw fail(key, `"${key}" is ${describeJsonType(value)}; expected an integer ${range}${why}`);
    }
    return value;
  };
  const probability = (key: string, fallback: number): number => {
    const value = json[key] ?? fallback;
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw fail(key, `"${key}" is ${describeJsonType(value)}; expected a probability in [0, 1)`);
    return value;
  };

  const hiddenSize = integer('hidden_size', { required: true, min: 1 });
  const heads = integer('num_attention_heads', { required: true, min: 1 });
  if (hiddenSize % heads !== 0) {
    throw fail('num_attention_heads', `"hidden_size" ${hiddenSize} is not a multiple of "num_attention_heads" ${heads}`);
  }

  const hiddenAct = json.hidden_act ?? 'gelu';
  if (hiddenAct !== 'gelu') {
    throw fail(
      'hidden_act',
      `"hidden_act" is ${describeJsonType(hiddenAct)}; XLM Lab implements only "gelu" (exact, erf-based), the activation XLM-R models are trained with`,
    );
  }
  const positionType = json.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw fail('position_embedding_type', `"position_embedding_type" is ${describeJsonType(positionType)}; XLM Lab implements only "absolute"`);
  }
  if (json.is_decoder === true || json.add_cross_attention === true) {
    throw fail(json.is_decoder === true ? 'is_decoder' : 'add_cross_attention', 'this config describes a decoder; XLM Lab runs XLM-R as an encoder only');
  }

  const eps = json.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) throw fail('layer_norm_eps', `"layer_norm_eps" is ${describeJsonType(eps)}; expected a small positive number such as 1e-5`);

  const problemType = json.problem_type ?? null;
  if (problemType !== null && !(PROBLEM_TYPES as readonly unknown[]).includes(problemType)) {
    throw fail('problem_type', `"problem_type" is ${describeJsonType(problemType)}; expected one of ${quoteList(PROBLEM_TYPES)} or null`);
  }
  const classifierDropout = json.classifier_dropout ?? null;
  if (classifierDropout !== null && (typeof classifierDropout !== 'number' || !(classifierDropout >= 0 && classifierDropout < 1))) {
    throw fail('classifier_dropout', `"classifier_dropout" is ${describeJsonType(classifierDropout)}; expected a probability in [0, 1) or null`);
  }
  const architectures = json.architectures ?? [];
  if (!Array.isArray(architectures) || !architectures.every((a) => typeof a === 'string')) {
    throw fail('architectures', `"architectures" is ${describeJsonType(architectures)}; expected an array of class names`);
  }

  const vocabSize = integer('vocab_size', { required: true, min: 1 });
  const tokenId = (key: string, fallback: number) => {
    const id = integer(key, { fallback, min: 0 });
    if (id >= vocabSize) throw fail(key, `"${key}" is ${id}, outside the vocabulary of ${vocabSize} tokens`);
    return id;
  };

  return {
    model_type: modelType as XlmrModelType,
    vocab_size: vocabSize,
    hidden_size: hiddenSize,
    num_hidden_layers: integer('num_hidden_layers', { required: true, min: 1 }),
    num_attention_heads: heads,
    intermediate_size: integer('intermediate_size', { required: true, min: 1 }),
    hidden_act: 'gelu',
    hidden_dropout_prob: probability('hidden_dropout_prob', 0.1),
    attention_probs_dropout_prob: probability('attention_probs_dropout_prob', 0.1),
    max_position_embeddings: integer('max_position_embeddings', { required: true, min: 1 }),
    type_vocab_size: integer('type_vocab_size', { fallback: 2, min: 1 }),
    layer_norm_eps: eps,
    pad_token_id: tokenId('pad_token_id', 1),
    bos_token_id: tokenId('bos_token_id', 0),
    eos_token_id: tokenId('eos_token_id', 2),
    id2label: parseId2Label(json.id2label, file),
    label2id: parseLabel2Id(json.label2id, file),
    architectures: architectures as string[],
    problem_type: problemType as ProblemType | null,
    classifier_dropout: classifierDropout as number | null,
    raw: json,
  };
}

/** HF writes ids as string keys ("0", "1"): they must be exactly 0..n-1. Absent means HF's default two labels. */
function parseId2Label(value: unknown, file: string): string[] {
  if (value === undefined || value === null) return ['LABEL_0', 'LABEL_1'];
  if (!isPlainObject(value)) {
    throw hfError('config-invalid', file, `"id2label" is ${describeJsonType(value)}; expected an object such as {"0": "negative", "1": "positive"}`, 'id2label');
  }
  const labels: string[] = [];
  const count = Object.keys(value).length;
  for (const [key, label] of Object.entries(value)) {
    const id = /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : NaN;
    if (Number.isSafeInteger(id) && id >= count) {
      // Checked before the label is stored, so an id like 1e9 cannot make a billion-slot array.
      throw hfError('config-invalid', file, `"id2label" has ${count} labels but an id ${key}; ids must be 0..${count - 1}`, 'id2label');
    }
    if (!Number.isSafeInteger(id) || typeof label !== 'string') {
      throw hfError(
        'config-invalid',
        file,
        `"id2label" maps ${JSON.stringify(key)} to ${describeJsonType(label)}; keys must be label ids ("0", "1", ...) and values label names`,
        'id2label',
      );
    }
    labels[id] = label;
  }
  // n distinct ids, each below n: they are exactly 0..n-1, with no gap.
  return labels;
}

/** label2id is kept as written: many published models carry one that disagrees with id2label, and HF does not check. */
function parseLabel2Id(value: unknown, file: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value) || !Object.values(value).every((id) => Number.isSafeInteger(id))) {
    throw hfError('config-invalid', file, `"label2id" is ${describeJsonType(value)}; expected an object of label name → integer id`, 'label2id');
  }
  return value as Record<string, number>;
}

function quoteList(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}

/** What a new XLM-R config.json needs beyond XLMRobertaConfig's defaults. */
export interface XlmrConfigSpec {
  sizes: Pick<
    XlmrConfig,
    'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'num_attention_heads' | 'intermediate_size' | 'max_position_embeddings' | 'type_vocab_size'
  >;
  /** The model class, e.g. "XLMRobertaForMaskedLM". */
  architecture: string;
  /** Classifier labels in id order; written as id2label/label2id when given. */
  labels?: readonly string[];
  /** hidden and attention dropout (default 0.1). */
  dropout?: number;
  initializerRange?: number;
  layerNormEps?: number;
}

/**
 * config.json of a new XLM-R model, with the keys and values transformers' XLMRobertaConfig writes
 * (exact GELU, absolute positions, <s> = 0, <pad> = 1, </s> = 2). Every model XLM Lab creates from
 * nothing (pre-training, random models, the tests' tiny models) gets its config here.
 */
export function xlmrConfigJson(spec: XlmrConfigSpec): Record<string, unknown> {
  const dropout = spec.dropout ?? 0.1;
  return {
    architectures: [spec.architecture],
    model_type: 'xlm-roberta',
    vocab_size: spec.sizes.vocab_size,
    hidden_size: spec.sizes.hidden_size,
    num_hidden_layers: spec.sizes.num_hidden_layers,
    num_attention_heads: spec.sizes.num_attention_heads,
    intermediate_size: spec.sizes.intermediate_size,
    hidden_act: 'gelu',
    hidden_dropout_prob: dropout,
    attention_probs_dropout_prob: dropout,
    max_position_embeddings: spec.sizes.max_position_embeddings,
    type_vocab_size: spec.sizes.type_vocab_size,
    initializer_range: spec.initializerRange ?? 0.02,
    layer_norm_eps: spec.layerNormEps ?? 1e-5,
    pad_token_id: 1,
    bos_token_id: 0,
    eos_token_id: 2,
    position_embedding_type: 'absolute',
    classifier_dropout: null,
    ...(spec.labels ? labelMaps(spec.labels) : {}),
  };
}

/** config.json's id2label ({"0": "neg"}) and label2id ({"neg": 0}) for labels in id order. */
export function labelMaps(labels: readonly string[]): { id2label: Record<string, string>; label2id: Record<string, number> } {
  return {
    id2label: Object.fromEntries(labels.map((label, id) => [String(id), label])),
    label2id: Object.fromEntries(labels.map((label, id) => [label, id])),
  };
}
