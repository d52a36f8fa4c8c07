/**
 * Tiny random translation models for tests, built and exported by test/helpers/reference_seq2seq.py (plain
 * PyTorch, torch.onnx.export) into optimum's layout, with a tokenizer.json, and the same script's reference
 * greedy/beam decoder on the same weights.
 *
 * Styles: 'marian' (template `$A </s>`, decoding starts with the pad token, pad forbidden, `</s>` forced
 * at the last step) and 'm2m100' (template `__en__ $A </s>`, language tokens `__en__`, `__fr__`, `__de__`
 * as added special tokens, decoding starts with `</s>`; the target token is forced by the caller).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTinyTokenizerJson, tinyVocabSize } from './tiny-tokenizer.js';
import { mergeDecoders } from './merge-decoders.js';

export const SEQ2SEQ_SCRIPT = join(__dirname, 'reference_seq2seq.py');
export const TINY_LANGUAGES = ['en', 'fr', 'de'] as const;

export type TinySeq2SeqLayout = 'split' | 'merged' | 'both' | 'root';

export interface TinySeq2SeqOptions {
  style?: 'marian' | 'm2m100';
  layout?: TinySeq2SeqLayout;
  seed?: number;
  /** Extra config.json / generation_config.json keys (max_length, num_beams, length_penalty, ...). */
  config?: Record<string, unknown>;
  /** Added to the `</s>` logit, so that random sentences end at different lengths. */
  eosBias?: number;
  /** Written as config.json's _name_or_path (names a Marian pair). */
  nameOrPath?: string;
  /** Vocabulary pieces such as `>>fr<<` (Marian models with several target languages). */
  targetTokens?: string[];
}

export interface TinySeq2Seq {
  dir: string;
  config: Record<string, unknown>;
  vocabSize: number;
}

const PAD = 1;
const EOS = 2;

export function writeTinySeq2Seq(dir: string, opts: TinySeq2SeqOptions = {}): TinySeq2Seq {
  const style = opts.style ?? 'marian';
  const extraPieces = (opts.targetTokens ?? []).map((t): [string, number] => [t, -20]);
  const tokenizerJson = makeTinyTokenizerJson({ extraPieces }) as Record<string, unknown> & { added_tokens: object[] };
  let vocabSize = tinyVocabSize(tokenizerJson);
  const eos = { SpecialToken: { id: '</s>', type_id: 0 } };
  const seq = (id: 'A' | 'B') => ({ Sequence: { id, type_id: 0 } });
  const special = (token: string, id: number) => ({ id: token, ids: [id], tokens: [token] });
  if (style === 'm2m100') {
    const languageIds: Record<string, number> = {};
    for (const code of TINY_LANGUAGES) {
      const token = `__${code}__`;
      languageIds[token] = vocabSize;
      tokenizerJson.added_tokens.push({ id: vocabSize, content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
      vocabSize++;
    }
    tokenizerJson.post_processor = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '__en__', type_id: 0 } }, seq('A'), eos],
      pair: [{ SpecialToken: { id: '__en__', type_id: 0 } }, seq('A'), seq('B'), eos],
      special_tokens: { __en__: special('__en__', languageIds.__en__), '</s>': special('</s>', EOS) },
    };
  } else {
    tokenizerJson.post_processor = {
      type: 'TemplateProcessing',
      single: [seq('A'), eos],
      pair: [seq('A'), seq('B'), eos],
      special_tokens: { '</s>': special('</s>', EOS) },
    };
  }

  const config: Record<string, unknown> = {
    model_type: style === 'marian' ? 'marian' : 'm2m_100',
    is_encoder_decoder: true,
    ...(opts.nameOrPath ? { _name_or_path: opts.nameOrPath } : {}),
    vocab_size: vocabSize,
    d_model: 16,
    encoder_layers: 2,
    decoder_layers: 2,
    encoder_attention_heads: 4,
    decoder_attention_heads: 4,
    encoder_ffn_dim: 32,
    decoder_ffn_dim: 32,
    max_position_embeddings: 64,
    activation_function: style === 'marian' ? 'swish' : 'relu',
    normalize_before: style === 'm2m100',
    scale_embedding: true,
    pad_token_id: PAD,
    eos_token_id: EOS,
    bos_token_id: 0,
    decoder_start_token_id: style === 'marian' ? PAD : EOS,
    forced_eos_token_id: EOS,
    ...(style === 'marian' ? { bad_words_ids: [[PAD]] } : {}),
    max_length: 24,
    num_beams: 4,
    ...opts.config,
  };

  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, 'tokenizer.json'), tokenizerJson);
  writeJson(join(dir, 'tokenizer_config.json'), { model_max_length: 48, pad_token: '<pad>', eos_token: '</s>', unk_token: '<unk>', clean_up_tokenization_spaces: true });
  writeJson(join(dir, 'special_tokens_map.json'), { pad_token: '<pad>', eos_token: '</s>', unk_token: '<unk>' });
  runScript({ command: 'build', dir, seed: opts.seed ?? 0, config, std: 0.5, embedding_std: 0.5, token_bias: { [EOS]: opts.eosBias ?? 3 } });

  const onnxDir = join(dir, 'onnx');
  const layout = opts.layout ?? 'split';
  if (layout === 'merged' || layout === 'both') {
    mergeDecoders(join(onnxDir, 'decoder_model.onnx'), join(onnxDir, 'decoder_with_past_model.onnx'), join(onnxDir, 'decoder_model_merged.onnx'));
    if (layout === 'merged') for (const f of ['decoder_model.onnx', 'decoder_with_past_model.onnx']) rmSync(join(onnxDir, f));
  }
  if (layout === 'root') {
    for (const f of ['encoder_model.onnx', 'decoder_model.onnx', 'decoder_with_past_model.onnx']) renameSync(join(onnxDir, f), join(dir, f));
    rmSync(onnxDir, { recursive: true });
  }
  return { dir, config, vocabSize };
}

export interface ReferenceGeneration {
  input_ids: number[][];
  num_beams: number;
  max_length: number;
  length_penalty?: number;
  early_stopping?: boolean | 'never';
  forced_bos_token_id?: number | null;
  num_return_sequences?: number;
  min_length?: number;
  min_new_tokens?: number;
  no_repeat_ngram_size?: number;
  suppress_tokens?: number[];
  begin_suppress_tokens?: number[];
}

/** The reference decoder's tokens and scores for right-padded source ids. */
export function referenceGenerate(dir: string, request: ReferenceGeneration, padId = PAD): { tokens: number[]; score: number; n_best?: { tokens: number[]; score: number }[] }[] {
  const width = Math.max(...request.input_ids.map((r) => r.length));
  const inputIds = request.input_ids.map((r) => [...r, ...new Array<number>(width - r.length).fill(padId)]);
  const mask = request.input_ids.map((r) => [...r.map(() => 1), ...new Array<number>(width - r.length).fill(0)]);
  const out = runScript({ command: 'generate', dir, ...request, input_ids: inputIds, attention_mask: mask }) as { results: { tokens: number[]; score: number; n_best?: { tokens: number[]; score: number }[] }[] };
  return out.results;
}

function runScript(request: object): unknown {
  const result = spawnSync('/usr/bin/python3', [SEQ2SEQ_SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`reference_seq2seq.py failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}
