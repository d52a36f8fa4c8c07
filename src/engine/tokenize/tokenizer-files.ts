/**
 * Reading a tokenizer's files from a Hugging Face folder: tokenizer.json (required), tokenizer_config.json
 * and special_tokens_map.json (optional), and resolving which tokens play which special role.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XlmError } from '../errors.js';
import { assertRegularFile, ioError } from '../io-errors.js';

export interface TokenizerFiles {
  tokenizerJson: object;
  tokenizerConfig?: object;
  specialTokensMap?: object;
  /** Where tokenizer.json came from, for error messages. */
  file?: string;
}

/** Parses a JSON file; a syntax error becomes an XlmError naming the file, line and column. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    assertRegularFile(file, 'a JSON file');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw ioError(e, file);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    if (at) {
      const pos = Number(at[1]);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const column = pos - before.lastIndexOf('\n');
      throw new XlmError('bad-json', `invalid JSON: ${message}`, { file, line, column });
    }
    throw new XlmError('bad-json', `invalid JSON: ${message}`, { file });
  }
}

/** Reads the tokenizer files of a model folder. */
export function readTokenizerFolder(dir: string): TokenizerFiles {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) {
    const hint = existsSync(join(dir, 'sentencepiece.bpe.model'))
      ? ' The folder has only the slow tokenizer (sentencepiece.bpe.model); with Python transformers, AutoTokenizer.from_pretrained(dir).save_pretrained(dir) writes tokenizer.json.'
      : ' XLM Lab reads the fast-tokenizer file tokenizer.json that Hugging Face model folders carry.';
    throw new XlmError('missing-file', `${file} is missing.${hint}`, { file });
  }
  const tokenizerJson = readJsonFile(file);
  if (!isObject(tokenizerJson)) throw new XlmError('bad-tokenizer', 'tokenizer.json must hold a JSON object', { file });
  const optional = (name: string): object | undefined => {
    const path = join(dir, name);
    if (!existsSync(path)) return undefined;
    const value = readJsonFile(path);
    if (!isObject(value)) throw new XlmError('bad-tokenizer', `${name} must hold a JSON object`, { file: path });
    return value;
  };
  return { tokenizerJson, tokenizerConfig: optional('tokenizer_config.json'), specialTokensMap: optional('special_tokens_map.json'), file };
}

/** A special token entry is either its text or an object with `content`. */
export function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** tokenizer_config.json over special_tokens_map.json (transformers' precedence), special tokens as plain strings. */
export function mergedConfig(files: TokenizerFiles): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(files.specialTokensMap ?? {}), ...(files.tokenizerConfig ?? {}) };
  for (const key of ['bos_token', 'eos_token', 'cls_token', 'sep_token', 'pad_token', 'unk_token', 'mask_token']) {
    const text = tokenText(merged[key]);
    if (text === undefined) delete merged[key];
    else merged[key] = text;
  }
  return merged;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
