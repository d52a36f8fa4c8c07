/**
 * Writing a brand-new XLM-R folder from objects in memory: a random model (`--model tiny`, the
 * benchmarks' base-sized model) and the tests' tiny models. Checkpoints of a model that already has a
 * folder go through checkpoint.ts instead (atomic, tokenizer files copied from the base).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, SPECIAL_TOKENS_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE } from './folder.js';
import { writeSafetensors, type TensorToWrite } from './safetensors-write.js';
import { xlmrSpecialTokensMap, xlmrTokenizerConfig } from '../tokenize/tokenizer-json.js';

export interface NewXlmrFolder {
  /** config.json (see xlmrConfigJson). */
  config: Record<string, unknown>;
  /** tokenizer.json as an object; tokenizer_config.json and special_tokens_map.json follow XLM-R's. */
  tokenizerJson: object;
  tensors: ReadonlyMap<string, TensorToWrite>;
  /** Split the weights over this many shards with model.safetensors.index.json, as large Hub models are (default 1). */
  shards?: number;
}

export function writeNewXlmrFolder(dir: string, folder: NewXlmrFolder): void {
  mkdirSync(dir, { recursive: true });
  writeWeights(dir, folder.tensors, folder.shards ?? 1);
  const maxLength = (folder.config.max_position_embeddings as number) - 2;
  writeJson(join(dir, TOKENIZER_FILE), folder.tokenizerJson);
  writeJson(join(dir, TOKENIZER_CONFIG_FILE), xlmrTokenizerConfig(folder.tokenizerJson, maxLength));
  writeJson(join(dir, SPECIAL_TOKENS_FILE), xlmrSpecialTokensMap());
  // Last, so a folder with config.json is complete.
  writeJson(join(dir, CONFIG_FILE), folder.config);
}

function writeWeights(dir: string, tensors: ReadonlyMap<string, TensorToWrite>, shards: number): void {
  if (shards <= 1) {
    writeSafetensors(join(dir, WEIGHTS_FILE), tensors, { format: 'pt' });
    return;
  }
  const entries = [...tensors.entries()];
  const perShard = Math.ceil(entries.length / shards);
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = new Map(entries.slice(s * perShard, (s + 1) * perShard));
    for (const [name, t] of part) {
      weightMap[name] = file;
      totalSize += t.data.length * (t.dtype === 'F32' ? 4 : 2);
    }
    writeSafetensors(join(dir, file), part, { format: 'pt' });
  }
  writeJson(join(dir, `${WEIGHTS_FILE}.index.json`), { metadata: { total_size: totalSize }, weight_map: weightMap });
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}
