/**
 * What a sequence-to-sequence folder says about generation: config.json for the architecture (decoder
 * layers, heads, vocabulary); the generation settings from generation_config.json alone when the folder has
 * one (transformers' GenerationConfig.from_pretrained; config.json's generation keys only without it). Token
 * ids missing from generation_config.json fall back to config.json's. Marian's opus-mt files start decoding with the pad token, stop at `</s>`, forbid
 * the pad token (bad_words_ids) and force `</s>` at the last step; M2M100/NLLB force a language token first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hfError } from '../hf/hf-error.js';
import { describeJsonType, isPlainObject, readJsonFile } from '../hf/json.js';
import type { BanSettings } from './bans.js';

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
  /**
   * Longest decoder sequence to produce, start token included. max_length absent or 20 (transformers' default)
   * means 20 new tokens, 21 with the start token, as transformers' _prepare_generated_length does since 4.50.
   */
  maxLength: number;
  numBeams: number;
  /** Hypotheses returned per source (num_return_sequences; beam search only). */
  numReturnSequences: number;
  lengthPenalty: number;
  /** true, false or "never" (transformers' early_stopping). */
  earlyStopping: boolean | 'never';
  /** Single tokens never generated (Marian: the pad token), end tokens left out as transformers does. Longer bad-word sequences are not supported. */
  badTokenIds: number[];
  forcedBosTokenId: number | undefined;
  forcedEosTokenId: number | undefined;
  /** min_length, min_new_tokens, no_repeat_ngram_size, suppress_tokens, begin_suppress_tokens. */
  bans: BanSettings;
  /** Apply log-softmax again after the processors (generation_config's renormalize_logits). */
  renormalizeLogits: boolean;
}

const TRANSFORMERS_DEFAULT_MAX_LENGTH = 20;
const ARCHITECTURE_KEYS = new Set(['d_model', 'hidden_size', 'decoder_attention_heads', 'num_attention_heads', 'decoder_layers', 'num_hidden_layers', 'vocab_size', 'max_position_embeddings', 'model_type']);
const TOKEN_ID_KEYS = new Set(['eos_token_id', 'pad_token_id', 'decoder_start_token_id', 'bos_token_id']);

/**
 * Generation settings transformers applies that this decoder does not, with the value that leaves them off
 * (GenerationConfig's defaults). A file that sets one otherwise is refused by name rather than decoded
 * differently from transformers.
 */
const UNSUPPORTED_GENERATION: Record<string, (v: unknown) => boolean> = {
  repetition_penalty: (v) => v === 1,
  encoder_repetition_penalty: (v) => v === 1,
  encoder_no_repeat_ngram_size: (v) => v === 0,
  sequence_bias: () => false,
  exponential_decay_length_penalty: () => false,
  remove_invalid_values: (v) => v === false,
  do_sample: (v) => v === false,
  num_beam_groups: (v) => v === 1,
  diversity_penalty: (v) => v === 0,
  constraints: () => false,
  force_words_ids: () => false,
  forced_decoder_ids: () => false,
};

function refuseUnsupported(generation: Record<string, unknown>, file: string): void {
  for (const [key, isOff] of Object.entries(UNSUPPORTED_GENERATION)) {
    const value = generation[key];
    if (value === undefined || value === null || isOff(value)) continue;
    throw hfError('config-unsupported', file, `"${key}" is ${JSON.stringify(value)}; xlm's decoder does not apply ${key} (transformers would), so it refuses this model rather than translate differently`, key);
  }
}

/**
 * transformers' EncoderDecoderModel keeps the decoder's sizes in a `decoder` sub-config and the generation's token
 * ids at the top: one view with both, the top's keys winning.
 */
function decoderView(config: Record<string, unknown>): Record<string, unknown> {
  const decoder = config.decoder;
  if (config.model_type !== 'encoder-decoder' || !decoder || typeof decoder !== 'object' || Array.isArray(decoder)) return config;
  const { encoder: _encoder, decoder: _decoder, ...top } = config;
  return { ...(decoder as Record<string, unknown>), ...top };
}

export function readGenerationSettings(dir: string): GenerationSettings {
  const configFile = join(dir, 'config.json');
  const config = decoderView(readObject(configFile));
  const generationFile = join(dir, 'generation_config.json');
  const hasGeneration = existsSync(generationFile);
  const generation = hasGeneration ? readObject(generationFile) : config;
  const present = (o: Record<string, unknown>, key: string) => o[key] !== undefined && o[key] !== null;
  // Architecture keys come from config.json; generation keys from generation_config.json alone when it exists;
  // token ids from generation_config.json, else config.json.
  const fromGeneration = (key: string) => !ARCHITECTURE_KEYS.has(key) && (present(generation, key) || !TOKEN_ID_KEYS.has(key));
  const pick = (key: string): unknown => (fromGeneration(key) ? generation[key] : config[key]);
  const fileOf = (key: string) => (hasGeneration && fromGeneration(key) ? generationFile : configFile);
  refuseUnsupported(generation, hasGeneration ? generationFile : configFile);

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

  const tokenList = (key: string): number[] => {
    const value = pick(key) ?? [];
    if (!Array.isArray(value) || !value.every((id) => Number.isInteger(id) && id >= 0)) {
      throw hfError('config-invalid', fileOf(key), `"${key}" is ${describeJsonType(value)}; expected a list of token ids`, key);
    }
    return value as number[];
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
  const earlyStopping = pick('early_stopping') ?? false;
  if (earlyStopping !== true && earlyStopping !== false && earlyStopping !== 'never') {
    throw hfError('config-invalid', fileOf('early_stopping'), `"early_stopping" is ${describeJsonType(earlyStopping)}; expected true, false or "never"`, 'early_stopping');
  }
  const maxNewTokens = optionalInt('max_new_tokens');
  const maxLength = maxNewTokens !== undefined ? maxNewTokens + 1 : int('max_length', TRANSFORMERS_DEFAULT_MAX_LENGTH);
  const numReturnSequences = int('num_return_sequences', 1) || 1;
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
    // 20 new tokens after the decoder start token (max_position_embeddings caps it in the translator).
    maxLength: maxNewTokens === undefined && maxLength === TRANSFORMERS_DEFAULT_MAX_LENGTH ? TRANSFORMERS_DEFAULT_MAX_LENGTH + 1 : maxLength,
    numBeams: int('num_beams', 1) || 1,
    numReturnSequences,
    lengthPenalty: number('length_penalty', 1),
    earlyStopping,
    // NoBadWordsLogitsProcessor drops any bad word that is an end token (generation/logits_process.py).
    badTokenIds: badTokens(pick('bad_words_ids'), fileOf('bad_words_ids')).filter((id) => !eosTokenIds.includes(id)),
    forcedBosTokenId: optionalInt('forced_bos_token_id'),
    forcedEosTokenId: optionalInt('forced_eos_token_id'),
    renormalizeLogits: pick('renormalize_logits') === true,
    bans: {
      minLength: int('min_length', 0),
      minNewTokens: int('min_new_tokens', 0),
      noRepeatNgramSize: int('no_repeat_ngram_size', 0),
      suppressTokens: tokenList('suppress_tokens'),
      beginSuppressTokens: tokenList('begin_suppress_tokens'),
    },
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
