/**
 * config.json of a Hugging Face encoder-decoder translation model, read into what the graph needs. Three
 * families, told apart by model_type, each with the layout its transformers class computes:
 * - `marian` (MarianMTModel, the opus-mt models): post-LayerNorm layers, sinusoidal positions counted from 0,
 *   no embedding or final LayerNorm, final_logits_bias;
 * - `m2m_100` (M2M100ForConditionalGeneration, also NLLB's class): pre-LayerNorm layers with a final
 *   LayerNorm in encoder and decoder, fairseq's sinusoidal positions counted from pad + 1 over real tokens;
 * - `mbart` (MBartForConditionalGeneration): as m2m_100 but learned positions (offset 2), a LayerNorm on the
 *   embeddings and final_logits_bias.
 * transformers takes the layer order from the class, not from a config key; a `normalize_before` that
 * disagrees with the class (old Marian conversions write `"normalize_before": false`) is refused, since the
 * model would not run as the file says.
 */
import { join } from 'node:path';
import { hfError } from '../hf/hf-error.js';
import { describeJsonType, isPlainObject, readJsonFile } from '../hf/json.js';

export const SEQ2SEQ_FAMILIES = ['marian', 'm2m_100', 'mbart'] as const;
export type Seq2SeqFamily = (typeof SEQ2SEQ_FAMILIES)[number];
export type Seq2SeqActivation = 'relu' | 'swish' | 'gelu';
/** marian: sin | cos table at 0, 1, ...; fairseq: M2M100's table at cumsum over real tokens + pad; learned: a trained table at position + 2. */
export type PositionKind = 'marian' | 'fairseq' | 'learned';

export interface Seq2SeqConfig {
  family: Seq2SeqFamily;
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  encoderHeads: number;
  decoderHeads: number;
  encoderFfn: number;
  decoderFfn: number;
  vocabSize: number;
  /** Marian's decoder_vocab_size (the target side's table and the output layer); the source vocabulary otherwise. */
  decoderVocabSize: number;
  maxPositions: number;
  padTokenId: number;
  eosTokenId: number;
  decoderStartTokenId: number;
  forcedBosTokenId?: number;
  scaleEmbedding: boolean;
  activation: Seq2SeqActivation;
  preNorm: boolean;
  positions: PositionKind;
  layernormEmbedding: boolean;
  finalLogitsBias: boolean;
  /** One table `model.shared` for encoder and decoder (Marian may keep two). */
  sharedEmbeddings: boolean;
  /** lm_head reads the decoder's embedding table (no lm_head.weight stored). */
  tieWordEmbeddings: boolean;
  dropout: number;
  attentionDropout: number;
  activationDropout: number;
  /** config.json as read, written back when a trained model is saved. */
  raw: Record<string, unknown>;
}

/** nn.LayerNorm's default: no seq2seq config of these families sets another. */
export const LAYER_NORM_EPS = 1e-5;

export function loadSeq2SeqConfig(dir: string): Seq2SeqConfig {
  const file = join(dir, 'config.json');
  return parseSeq2SeqConfig(readJsonFile(file), file);
}

export function parseSeq2SeqConfig(json: unknown, file: string): Seq2SeqConfig {
  if (!isPlainObject(json)) throw hfError('config-invalid', file, `the file holds ${describeJsonType(json)}; expected a JSON object`);
  const fail = (key: string, message: string) => hfError('config-invalid', file, message, key);
  const family = json.model_type;
  if (!(SEQ2SEQ_FAMILIES as readonly unknown[]).includes(family)) {
    throw hfError('config-model-type', file, `"model_type" is ${describeJsonType(family)}; translation training supports ${SEQ2SEQ_FAMILIES.map((f) => `"${f}"`).join(', ')} (NLLB models are "m2m_100")`, 'model_type');
  }
  const fam = family as Seq2SeqFamily;
  const integer = (key: string, fallback?: number, min = 1): number => {
    const value = json[key] ?? fallback;
    if (value === undefined || value === null) throw fail(key, `the required key "${key}" is missing`);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw fail(key, `"${key}" is ${describeJsonType(value)}; expected an integer ≥ ${min}`);
    return value;
  };
  const probability = (key: string): number => {
    const value = json[key] ?? 0;
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw fail(key, `"${key}" is ${describeJsonType(value)}; expected a probability in [0, 1)`);
    return value;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = json[key] ?? fallback;
    if (typeof value !== 'boolean') throw fail(key, `"${key}" is ${describeJsonType(value)}; expected true or false`);
    return value;
  };

  const dModel = integer('d_model');
  const encoderHeads = integer('encoder_attention_heads');
  const decoderHeads = integer('decoder_attention_heads');
  for (const [key, heads] of [['encoder_attention_heads', encoderHeads], ['decoder_attention_heads', decoderHeads]] as const) {
    if (dModel % heads !== 0) throw fail(key, `"d_model" ${dModel} is not a multiple of "${key}" ${heads}`);
  }
  const activation = json.activation_function ?? (fam === 'marian' ? 'swish' : fam === 'mbart' ? 'gelu' : 'relu');
  if (activation !== 'relu' && activation !== 'swish' && activation !== 'silu' && activation !== 'gelu') {
    throw fail('activation_function', `"activation_function" is ${describeJsonType(activation)}; expected "relu", "swish", "silu" or "gelu"`);
  }
  const preNorm = fam !== 'marian';
  if (typeof json.normalize_before === 'boolean' && json.normalize_before !== preNorm) {
    throw fail('normalize_before', `"normalize_before" is ${json.normalize_before}, but transformers runs every "${fam}" model with ${preNorm ? 'pre' : 'post'}-LayerNorm layers whatever this key says; remove the key or fix "model_type"`);
  }
  const vocabSize = integer('vocab_size');
  const sharedEmbeddings = fam !== 'marian' || flag('share_encoder_decoder_embeddings', true);
  const decoderVocabSize = sharedEmbeddings ? vocabSize : integer('decoder_vocab_size', vocabSize);
  const padTokenId = integer('pad_token_id', undefined, 0);
  const forced = json.forced_bos_token_id;
  return {
    family: fam,
    dModel,
    encoderLayers: integer('encoder_layers'),
    decoderLayers: integer('decoder_layers'),
    encoderHeads,
    decoderHeads,
    encoderFfn: integer('encoder_ffn_dim'),
    decoderFfn: integer('decoder_ffn_dim'),
    vocabSize,
    decoderVocabSize,
    maxPositions: integer('max_position_embeddings'),
    padTokenId,
    eosTokenId: integer('eos_token_id', 2, 0),
    decoderStartTokenId: integer('decoder_start_token_id', fam === 'marian' ? padTokenId : 2, 0),
    ...(typeof forced === 'number' ? { forcedBosTokenId: forced } : {}),
    scaleEmbedding: flag('scale_embedding', false),
    activation: activation === 'silu' ? 'swish' : activation,
    preNorm,
    positions: fam === 'marian' ? 'marian' : fam === 'm2m_100' ? 'fairseq' : 'learned',
    layernormEmbedding: fam === 'mbart',
    finalLogitsBias: fam !== 'm2m_100',
    sharedEmbeddings,
    tieWordEmbeddings: flag('tie_word_embeddings', true),
    dropout: probability('dropout'),
    attentionDropout: probability('attention_dropout'),
    activationDropout: probability('activation_dropout'),
    raw: json,
  };
}
