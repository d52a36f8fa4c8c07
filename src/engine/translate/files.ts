/**
 * Which ONNX files of a sequence-to-sequence folder to run, in optimum's layout: an encoder plus either the
 * merged decoder (one graph that switches on `use_cache_branch`) or the pair decoder / decoder-with-past.
 * Files are looked for in `onnx/` (how transformers.js repos ship them) and then at the folder's root (how
 * `optimum-cli export onnx` writes them). Plain fp32 files are preferred; `_quantized` ones are the fallback.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { XlmError } from '../errors.js';

export type DecoderLayout = 'merged' | 'split';

export interface Seq2SeqFiles {
  encoder: string;
  layout: DecoderLayout;
  /** merged: decoder_model_merged; split: decoder_model (the first step, no cache). */
  decoder: string;
  /** split only: decoder_with_past_model (every later step). */
  decoderWithPast?: string;
}

export interface FileChoice {
  /** Force one decoder layout when a folder has both (default: merged first). */
  layout?: DecoderLayout;
  /** File-name suffixes tried in order (default: '' then '_quantized'). */
  variants?: readonly string[];
}

export const ONNX_SUBFOLDERS = ['onnx', '.'] as const;

/** Repo paths a translation model needs, for the Hub client's resolveModel({ requiredFiles }). */
export const REQUIRED_TRANSLATION_FILES = ['config.json', 'tokenizer.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'];

export function findSeq2SeqFiles(dir: string, choice: FileChoice = {}): Seq2SeqFiles {
  const variants = choice.variants ?? ['', '_quantized'];
  const layouts: DecoderLayout[] = choice.layout ? [choice.layout] : ['merged', 'split'];
  for (const sub of ONNX_SUBFOLDERS) {
    const base = join(dir, sub);
    for (const variant of variants) {
      const file = (name: string) => join(base, `${name}${variant}.onnx`);
      if (!existsSync(file('encoder_model'))) continue;
      for (const layout of layouts) {
        if (layout === 'merged' && existsSync(file('decoder_model_merged'))) {
          return { encoder: file('encoder_model'), layout, decoder: file('decoder_model_merged') };
        }
        if (layout === 'split' && existsSync(file('decoder_model')) && existsSync(file('decoder_with_past_model'))) {
          return { encoder: file('encoder_model'), layout, decoder: file('decoder_model'), decoderWithPast: file('decoder_with_past_model') };
        }
      }
    }
  }
  // An encoder-only folder (XLM-R: the default model, a classifier) is no translation model, whatever its files.
  const encoderOnly = encoderOnlyType(dir);
  if (encoderOnly) {
    throw new XlmError(
      'translate/not-seq2seq',
      `this is an encoder model (${encoderOnly}: fill-mask, classification, sentence vectors), not a translation model; give a translation model (a Marian, M2M100, NLLB or MBart folder, or a Hub id such as Xenova/opus-mt-en-de), or fine-tune one with xlm train --task translation`,
      { file: dir },
    );
  }
  throw new XlmError(
    'translate/no-onnx',
    `no sequence-to-sequence ONNX files in optimum's layout; expected onnx/encoder_model.onnx with onnx/decoder_model_merged.onnx (or decoder_model.onnx + decoder_with_past_model.onnx), in onnx/ or at the top. Found: ${onnxFilesIn(dir)}. Export a PyTorch model with: optimum-cli export onnx --model REPO DIR`,
    { file: dir },
  );
}

function onnxFilesIn(dir: string): string {
  const found: string[] = [];
  for (const sub of ONNX_SUBFOLDERS) {
    try {
      for (const name of readdirSync(join(dir, sub))) if (name.endsWith('.onnx')) found.push(relative(dir, join(dir, sub, name)));
    } catch {
      // A missing onnx/ folder is one of the things the message reports.
    }
  }
  return found.length ? found.join(', ') : 'no .onnx file';
}

/** The model_type of a folder whose config.json says it is an encoder alone (not an encoder-decoder); else undefined. */
function encoderOnlyType(dir: string): string | undefined {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return undefined;
  try {
    const config = JSON.parse(readFileSync(file, 'utf8')) as { model_type?: unknown; is_encoder_decoder?: unknown };
    return ['xlm-roberta', 'roberta', 'bert'].includes(String(config.model_type)) && config.is_encoder_decoder !== true ? String(config.model_type) : undefined;
  } catch {
    return undefined;
  }
}
