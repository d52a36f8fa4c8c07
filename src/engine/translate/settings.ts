/**
 * What a sequence-to-sequence folder says about generation: config.json for the architecture (decoder
 * layers, heads, vocabulary) and the token ids, generation_config.json on top (transformers reads both and
 * lets the second win). Marian's opus-mt files start decoding with the pad token, stop at `</s>`, forbid
 * the pad token (bad_words_ids) and force `</s>` at the last step; M2M100/NLLB force a language token first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hfError } from '../hf/hf-error.js';
import { describeJsonType, isPlainObject, readJsonFile } from '../hf/json.js';

export interface GenerationSettings {
  /** config.json's model_type: marian, m2m_100, nllb-moe, mbart, ... */
  modelType: string;
  /** `_name_or_path` as saved (Helsinki-NLP/opus-mt-en-de): names a Marian model's language pair. */
  nameOrPath: string | undefined;
  vocabSize: number;
  decoderLayers: number;
  decoderHeads: number;
  headDim: number;
  /** Longest decoder sequence the position table allows (start token included). */
  maxPositions: number | undefined;
  decoderStartTokenId: number;
  eosTokenIds: number[];
  padTokenId: number;
  /** Longest decoder sequence to produce, start token included (transformers' max_length; its default is 20). */
  maxLength: number;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean;
  /** Single tokens never generated (Marian: the pad token). Longer bad-word sequences are not supported. */
  badTokenIds: number[];
  forcedBosTokenId: number | undefined;
  forcedEosTokenId: number | undefined;
  /** Apply log-softmax again after the processors (generation_config's renormalize_logits). */
  renormalizeLogits: boolean;
}

const TRANSFORMERS_DEFAULT_MAX_LENGTH = 20;

export function readGenerationSettings(dir: string): GenerationSettings {
  const configFile = join(dir, 'config.json');
  const config = readObject(configFile);
  const generationFile = join(dir, 'generation_config.json');
  const generation = existsSync(generationFile) ? readObject(generationFile) : {};
  // generation_config.json wins over config.json, as in transformers.
  const pick = (key: string): unknown => (generation[key] !== undefined && generation[key] !== null ? generation[key] : config[key]);
  const fileOf = (key: string) => (generation[key] !== undefined && generation[key] !== null ? generationFile : configFile);

  const int = (key: string, fallback?: number): number => {
    const value = pick(key) ?? fallback;
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw hfError('config-invalid', fileOf(key), `"${key}" is ${value === undefined ? 'missing' : describeJsonType(value)}; a sequence-to-sequence model needs a whole number here`, key);
    }
    return value as number;
  };
  const optionalInt = (key: string): number | undefined => (pick(key) === undefined || pick(key) === null ? undefined : int(key));
  const number = (key: string, fallback: number): number => {
    const value = pick(key) ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw hfError('config-invalid', fileOf(key), `"${key}" is ${describeJsonType(value)}; expected a number`, key);
    return value;
  };

  const dModel = int('d_model', intOrUndefined(config.hidden_size));
  const decoderHeads = int('decoder_attention_heads', intOrUndefined(config.num_attention_heads));
  if (dModel % decoderHeads !== 0) {
    throw hfError('config-invalid', configFile, `d_model ${dModel} is not a multiple of decoder_attention_heads ${decoderHeads}`, 'decoder_attention_heads');
  }
  const eos = pick('eos_token_id');
  const eosTokenIds = Array.isArray(eos) ? eos : [eos];
  if (eosTokenIds.length === 0 || !eosTokenIds.every((id) => Number.isInteger(id) && (id as number) >= 0)) {
    throw hfError('config-invalid', fileOf('eos_token_id'), `"eos_token_id" is ${describeJsonType(eos)}; expected a token id or a list of them`, 'eos_token_id');
  }
  const padTokenId = int('pad_token_id');
  const earlyStopping = pick('early_stopping');
  return {
    modelType: typeof config.model_type === 'string' ? config.model_type : 'unknown',
    nameOrPath: typeof config._name_or_path === 'string' ? config._name_or_path : undefined,
    vocabSize: int('vocab_size'),
    decoderLayers: int('decoder_layers', intOrUndefined(config.num_hidden_layers)),
    decoderHeads,
    headDim: dModel / decoderHeads,
    maxPositions: intOrUndefined(config.max_position_embeddings),
    decoderStartTokenId: int('decoder_start_token_id', padTokenId),
    eosTokenIds: eosTokenIds as number[],
    padTokenId,
    maxLength: int('max_length', TRANSFORMERS_DEFAULT_MAX_LENGTH),
    numBeams: int('num_beams', 1) || 1,
    lengthPenalty: number('length_penalty', 1),
    // transformers also allows "never"; treated here as false (stop by the usual bound).
    earlyStopping: earlyStopping === true,
    badTokenIds: badTokens(pick('bad_words_ids'), fileOf('bad_words_ids')),
    forcedBosTokenId: optionalInt('forced_bos_token_id'),
    forcedEosTokenId: optionalInt('forced_eos_token_id'),
    renormalizeLogits: pick('renormalize_logits') === true,
  };
}

function badTokens(value: unknown, file: string): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((w) => Array.isArray(w) && w.every((id) => Number.isInteger(id)))) {
    throw hfError('config-invalid', file, `"bad_words_ids" is ${describeJsonType(value)}; expected a list of token-id lists such as [[58100]]`, 'bad_words_ids');
  }
  const multi = value.find((w: number[]) => w.length !== 1);
  if (multi) {
    throw hfError('config-unsupported', file, `"bad_words_ids" holds the sequence ${JSON.stringify(multi)}; only single forbidden tokens are supported`, 'bad_words_ids');
  }
  return value.map((w: number[]) => w[0]);
}

function readObject(file: string): Record<string, unknown> {
  const value = readJsonFile(file);
  if (!isPlainObject(value)) throw hfError('config-invalid', file, `the file holds ${describeJsonType(value)}; expected a JSON object`);
  return value;
}

function intOrUndefined(value: unknown): number | undefined {
  return Number.isInteger(value) ? (value as number) : undefined;
}
