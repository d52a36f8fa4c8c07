/**
 * Folding a PEFT LoRA adapter into its base model: each adapted Linear becomes W + s * B @ A with
 * s = lora_alpha / r (lora_alpha / sqrt(r) with use_rslora), and the adapter's saved head
 * (modules_to_save) replaces the base model's. The result is a plain HF folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { configForHead, writeHfCheckpoint } from '../hf/checkpoint.js';
import { parseXlmrConfig } from '../hf/config.js';
import { loadModelFolder } from '../hf/folder.js';
import { encoderTensorSpecs, headTensorSpecs, type HeadKind } from '../hf/names.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { openSafetensors } from '../hf/safetensors.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, mergedWeight } from './checkpoint.js';

const PEFT_PREFIX = 'base_model.model.';
const HEAD_OF_TASK_TYPE: Record<string, HeadKind> = { SEQ_CLS: 'seq-cls', TOKEN_CLS: 'token-cls' };

export function mergeAdapter(baseDir: string, adapterDirArg: string, out: string): { out: string; merged: number } {
  const adapterDir = resolve(adapterDirArg);
  const configFile = join(adapterDir, ADAPTER_CONFIG_FILE);
  if (!existsSync(configFile)) throw new XlmError('no-adapter', `no ${ADAPTER_CONFIG_FILE} in this folder; expected a PEFT LoRA adapter`, { file: adapterDir });
  const adapterConfig = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  if (adapterConfig.peft_type !== 'LORA') throw new XlmError('no-adapter', `peft_type is ${JSON.stringify(adapterConfig.peft_type)}; only LORA adapters can be merged`, { file: configFile, what: 'peft_type' });
  const r = Number(adapterConfig.r);
  const alpha = Number(adapterConfig.lora_alpha);
  if (!(r > 0) || !(alpha > 0)) throw new XlmError('no-adapter', `r (${adapterConfig.r}) and lora_alpha (${adapterConfig.lora_alpha}) must be positive numbers`, { file: configFile, what: 'r' });
  const scale = adapterConfig.use_rslora ? alpha / Math.sqrt(r) : alpha / r;

  const source = openSafetensors(join(adapterDir, ADAPTER_WEIGHTS_FILE));
  const base = loadModelFolder(baseDir);
  try {
    const adapter = new Map<string, Float32Array>();
    for (const key of source.names()) adapter.set(key.startsWith(PEFT_PREFIX) ? key.slice(PEFT_PREFIX.length) : key, source.readFloat32(key));
    const savedConfigFile = join(adapterDir, 'config.json');
    const config = existsSync(savedConfigFile) ? parseXlmrConfig(JSON.parse(readFileSync(savedConfigFile, 'utf8')), savedConfigFile) : base.config;
    const head: HeadKind = HEAD_OF_TASK_TYPE[String(adapterConfig.task_type)] ?? ([...adapter.keys()].some((k) => k.startsWith('lm_head.')) ? 'mlm' : 'seq-cls');
    const numLabels = config.id2label.length;
    const specs = [...encoderTensorSpecs(config), ...headTensorSpecs(config, head, numLabels)];
    const tensors = new Map<string, TensorToWrite>();
    let merged = 0;
    for (const { name, shape } of specs) {
      let data = adapter.get(name) ?? base.weights.get(name, shape);
      const module = name.replace(/\.weight$/, '');
      const a = adapter.get(`${module}.lora_A.weight`);
      const b = adapter.get(`${module}.lora_B.weight`);
      if (name.endsWith('.weight') && a && b) {
        data = mergedWeight(data, a, b, shape[0], shape[1], r, scale);
        merged++;
      }
      tensors.set(name, { dtype: 'F32', shape, data });
    }
    const tokenizerFrom = existsSync(join(adapterDir, 'tokenizer.json')) ? adapterDir : base.dir;
    writeHfCheckpoint(out, { config: configForHead(config, head, head === 'mlm' ? undefined : config.id2label), tokenizerFrom, tensors });
    return { out: resolve(out), merged };
  } finally {
    source.close();
    base.close();
  }
}
