/**
 * Tiny random Hugging Face translation models (config.json, model.safetensors under transformers' names,
 * tokenizer files) of each family, with weights drawn by test/helpers/reference_hf_seq2seq.py, the plain-PyTorch
 * reference the seq2seq graphs are checked against; and that script's logits, gradients, AdamW steps and
 * greedy decoding on them.
 *
 * Families: 'marian' (shared table, `$A </s>`, decoding starts with the pad token), 'm2m100' (NLLB's class:
 * `__en__ $A </s>` with language tokens `__en__`, `__fr__`, `__de__`, decoding starts with `</s>` and forces the
 * target language token) and 'mbart' (learned positions, embedding LayerNorm).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTinyTokenizerJson, tinyVocabSize } from './tiny-tokenizer.js';

export type TinyFamily = 'marian' | 'm2m100' | 'mbart';
export const TINY_LANGUAGE_TOKENS = ['__en__', '__fr__', '__de__'];

export interface TinyHfSeq2Seq {
  dir: string;
  config: Record<string, unknown>;
  vocabSize: number;
  /** Stored tensor names, as the reference's state_dict() spells them (tied copies left out). */
  names: string[];
}

export interface TinyHfOptions {
  seed?: number;
  std?: number;
  /** Extra config.json keys (tie_word_embeddings: false, dropout, ...). */
  config?: Record<string, unknown>;
  dModel?: number;
}

export function writeTinyHfSeq2Seq(dir: string, family: TinyFamily, opts: TinyHfOptions = {}): TinyHfSeq2Seq {
  const tokenizerJson = makeTinyTokenizerJson() as Record<string, unknown> & { added_tokens: object[] };
  let vocabSize = tinyVocabSize(tokenizerJson);
  const eos = { SpecialToken: { id: '</s>', type_id: 0 } };
  const seq = (id: 'A' | 'B') => ({ Sequence: { id, type_id: 0 } });
  const special = (token: string, id: number) => ({ id: token, ids: [id], tokens: [token] });
  if (family === 'marian') {
    tokenizerJson.post_processor = { type: 'TemplateProcessing', single: [seq('A'), eos], pair: [seq('A'), seq('B'), eos], special_tokens: { '</s>': special('</s>', 2) } };
  } else {
    const ids: Record<string, number> = {};
    for (const token of TINY_LANGUAGE_TOKENS) {
      ids[token] = vocabSize;
      tokenizerJson.added_tokens.push({ id: vocabSize, content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
      vocabSize++;
    }
    const lang = { SpecialToken: { id: '__en__', type_id: 0 } };
    tokenizerJson.post_processor = { type: 'TemplateProcessing', single: [lang, seq('A'), eos], pair: [lang, seq('A'), seq('B'), eos], special_tokens: { __en__: special('__en__', ids.__en__), '</s>': special('</s>', 2) } };
  }
  const d = opts.dModel ?? 16;
  const config: Record<string, unknown> = {
    model_type: family === 'm2m100' ? 'm2m_100' : family,
    architectures: [family === 'marian' ? 'MarianMTModel' : family === 'm2m100' ? 'M2M100ForConditionalGeneration' : 'MBartForConditionalGeneration'],
    is_encoder_decoder: true,
    vocab_size: vocabSize,
    d_model: d,
    encoder_layers: 2,
    decoder_layers: 2,
    encoder_attention_heads: 4,
    decoder_attention_heads: 2,
    encoder_ffn_dim: 2 * d + 4,
    decoder_ffn_dim: 2 * d,
    max_position_embeddings: 64,
    activation_function: family === 'marian' ? 'swish' : family === 'm2m100' ? 'relu' : 'gelu',
    scale_embedding: true,
    dropout: 0,
    attention_dropout: 0,
    activation_dropout: 0,
    pad_token_id: 1,
    eos_token_id: 2,
    bos_token_id: 0,
    decoder_start_token_id: family === 'marian' ? 1 : 2,
    forced_eos_token_id: 2,
    max_length: 24,
    num_beams: 1,
    ...(family === 'marian' ? { bad_words_ids: [[1]] } : {}),
    ...opts.config,
  };
  mkdirSync(dir, { recursive: true });
  const json = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value, null, 2) + '\n');
  json('tokenizer.json', tokenizerJson);
  json('tokenizer_config.json', { model_max_length: 60, pad_token: '<pad>', eos_token: '</s>', unk_token: '<unk>', clean_up_tokenization_spaces: true });
  json('special_tokens_map.json', { pad_token: '<pad>', eos_token: '</s>', unk_token: '<unk>' });
  const built = runHfReference<{ names: string[] }>({ command: 'build', dir, config, seed: opts.seed ?? 0, std: opts.std ?? 0.3 });
  return { dir, config, vocabSize, names: built.names };
}

export function runHfReference<T>(request: object): T {
  const r = spawnSync('/usr/bin/python3', [join(__dirname, 'reference_hf_seq2seq.py')], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`reference_hf_seq2seq.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
