/**
 * Folding a PEFT LoRA adapter into its base model, as PEFT's merge_and_unload does (read from
 * huggingface/peft src/peft/tuners/lora/layer.py `Linear.merge`, tuners/lora/dora.py, utils/save_and_load.py,
 * utils/other.py `get_pattern_key`):
 * - each adapted Linear becomes W + s * B @ A, s = alpha / r (alpha / sqrt(r) with use_rslora), where r and
 *   alpha come from rank_pattern / alpha_pattern when a pattern matches the module (`(.*\.)?PATTERN$`);
 * - use_dora: the merged weight is rescaled row by row to the saved magnitude vector,
 *   W' = m / ||W + s·B@A||_row · (W + s·B@A) (`<module>.lora_magnitude_vector`);
 * - lora_bias: the base bias gains s · lora_B.bias;
 * - bias "all" / "lora_only": the trained bias is saved as `<module>.base_layer.bias` and replaces the base's;
 * - the adapter's saved head (modules_to_save) replaces the base model's; its label count is read from the
 *   head's tensors (PEFT's save_pretrained writes no config.json);
 * - keys without `roberta.` (an adapter trained on AutoModel) are the same encoder.
 * Anything else in the adapter is refused by name, and an adapter that adapts no module is an error.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XlmError, field, said } from '../errors.js';
import { configForHead, writeHfCheckpoint } from '../hf/checkpoint.js';
import { parseXlmrConfig, type XlmrConfig } from '../hf/config.js';
import { loadModelFolder } from '../hf/folder.js';
import { EMBEDDINGS, MLM_HEAD, SEQ_CLS_HEAD, TOKEN_CLS_HEAD, encoderTensorSpecs, headTensorSpecs } from '../hf/names.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import type { TensorToWrite } from '../hf/safetensors-write.js';
import { openSafetensors } from '../hf/safetensors.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, mergedWeight } from './checkpoint.js';
import { readJsonFile } from '../hf/json.js';

const PEFT_PREFIX = 'base_model.model.';
const HEAD_OF_TASK_TYPE: Record<string, HeadKind> = { SEQ_CLS: 'seq-cls', TOKEN_CLS: 'token-cls' };
const ENCODER_PARTS = ['embeddings.', 'encoder.', 'pooler.'];
/** adapter_config.json keys this merge does not apply; a value other than the listed one is refused by name. */
const UNSUPPORTED_SETTINGS: Record<string, unknown[]> = {
  fan_in_fan_out: [false, null, undefined],
  use_qalora: [false, null, undefined],
  target_parameters: [null, undefined],
};

export interface MergeOptions {
  /** Label names for a classifier head whose adapter folder has no config.json. */
  labels?: readonly string[];
}

export interface MergeResult {
  out: string;
  merged: number;
  /** Where the labels came from, for the CLI to say. */
  labelsFrom?: 'adapter config.json' | 'options' | 'base model' | 'generic';
}

interface LoraModule {
  a?: Float32Array;
  aShape?: number[];
  b?: Float32Array;
  bShape?: number[];
  bBias?: Float32Array;
  magnitude?: Float32Array;
}

export function mergeAdapter(baseDir: string, adapterDirArg: string, out: string, options: MergeOptions = {}): MergeResult {
  const adapterDir = resolve(adapterDirArg);
  const configFile = join(adapterDir, ADAPTER_CONFIG_FILE);
  if (!existsSync(configFile)) throw new XlmError('no-adapter', `no ${ADAPTER_CONFIG_FILE} in this folder; expected a PEFT LoRA adapter`, { file: adapterDir });
  const adapterConfig = readJsonFile(configFile) as Record<string, unknown>;
  const bad = (what: string, message: string) => new XlmError('adapter-unsupported', message, { file: configFile, what });
  if (adapterConfig.peft_type !== 'LORA') throw new XlmError('no-adapter', `peft_type is ${JSON.stringify(adapterConfig.peft_type)}; only LORA adapters can be merged`, { file: configFile, what: 'peft_type' });
  for (const [key, allowed] of Object.entries(UNSUPPORTED_SETTINGS)) {
    if (!allowed.includes(adapterConfig[key])) throw bad(key, `"${key}" is ${JSON.stringify(adapterConfig[key])}; xlm merge does not support it`);
  }
  const r = Number(adapterConfig.r);
  const alpha = Number(adapterConfig.lora_alpha);
  if (!(r > 0) || !(alpha > 0)) throw new XlmError('no-adapter', `r (${adapterConfig.r}) and lora_alpha (${adapterConfig.lora_alpha}) must be positive numbers`, { file: configFile, what: 'r' });
  const rankPattern = patternTable(adapterConfig.rank_pattern, 'rank_pattern', configFile);
  const alphaPattern = patternTable(adapterConfig.alpha_pattern, 'alpha_pattern', configFile);
  const useDora = adapterConfig.use_dora === true;
  const rslora = adapterConfig.use_rslora === true;

  const weightsFile = join(adapterDir, ADAPTER_WEIGHTS_FILE);
  const source = openSafetensors(weightsFile);
  const base = loadModelFolder(baseDir);
  try {
    const stored = source.names().map((key) => (key.startsWith(PEFT_PREFIX) ? key.slice(PEFT_PREFIX.length) : key));
    // An adapter trained on AutoModel (XLMRobertaModel) names the encoder without `roberta.`.
    const unprefixed = !stored.some((k) => k.startsWith('roberta.')) && stored.some((k) => ENCODER_PARTS.some((p) => k.startsWith(p)));
    const canonical = (key: string) => (unprefixed && ENCODER_PARTS.some((p) => key.startsWith(p)) ? `roberta.${key}` : key);
    const adapter = new Map<string, Float32Array>();
    const shapes = new Map<string, number[]>();
    source.names().forEach((key, i) => {
      const name = canonical(stored[i]);
      adapter.set(name, source.readFloat32(key));
      shapes.set(name, source.info(key).shape);
    });

    // LoRA pieces by module; everything else is a plain tensor that replaces the base's.
    const modules = new Map<string, LoraModule>();
    const plain = new Map<string, Float32Array>();
    for (const [name, data] of adapter) {
      const m = /^(.*)\.(lora_A\.weight|lora_B\.weight|lora_B\.bias|lora_magnitude_vector|base_layer\.bias)$/.exec(name);
      if (!m) {
        if (/lora_|base_layer/.test(name)) throw new XlmError('adapter-unsupported', `tensor '${name}' is a kind of adapter weight xlm merge does not know (only Linear LoRA, DoRA, lora_bias and trained biases are merged)`, { file: weightsFile, what: name });
        plain.set(name, data);
        continue;
      }
      const [, module, part] = m;
      if (part === 'base_layer.bias') {
        plain.set(`${module}.bias`, data);
        continue;
      }
      const entry = modules.get(module) ?? {};
      if (part === 'lora_A.weight') [entry.a, entry.aShape] = [data, shapes.get(name)];
      else if (part === 'lora_B.weight') [entry.b, entry.bShape] = [data, shapes.get(name)];
      else if (part === 'lora_B.bias') entry.bBias = data;
      else entry.magnitude = data;
      modules.set(module, entry);
    }
    if (modules.size === 0) throw new XlmError('adapter-empty', `no LoRA weights (…lora_A.weight / …lora_B.weight) in ${ADAPTER_WEIGHTS_FILE}; nothing to merge`, { file: weightsFile });
    if (!useDora && [...modules.values()].some((m) => m.magnitude)) throw bad('use_dora', 'the adapter holds lora_magnitude_vector tensors but use_dora is not true');

    const head: HeadKind = HEAD_OF_TASK_TYPE[String(adapterConfig.task_type)] ?? ([...adapter.keys()].some((k) => k.startsWith('lm_head.')) ? 'mlm' : 'seq-cls');
    const { config, labels, labelsFrom } = headConfig(adapterDir, base.config, head, shapes, options);
    const specs = [...encoderTensorSpecs(config), ...headTensorSpecs(config, head, labels?.length ?? config.id2label.length)];
    const specNames = new Set(specs.map((s) => s.name));

    // The MLM head's tied decoder as PEFT saves it: it must still be the word embeddings and the output bias.
    checkTiedDecoder(plain, base, weightsFile);
    for (const name of plain.keys()) {
      if (!specNames.has(name) && !name.startsWith('roberta.pooler.')) throw new XlmError('adapter-unsupported', `tensor '${name}' is not a weight of this ${head} model`, { file: weightsFile, what: name });
    }
    for (const module of modules.keys()) {
      if (!specNames.has(`${module}.weight`) || !specNames.has(`${module}.bias`)) {
        throw new XlmError('adapter-unsupported', `the adapter adapts '${module}', which is not a Linear layer of this model (is the base the one the adapter was trained on?)`, { file: weightsFile, what: module });
      }
    }

    const tensors = new Map<string, TensorToWrite>();
    let merged = 0;
    for (const { name, shape } of specs) {
      let data = plain.get(name) ?? base.weights.get(name, shape);
      if (plain.has(name) && data.length !== shape.reduce((x, y) => x * y, 1)) {
        throw new XlmError('adapter-unsupported', `tensor '${name}' has ${data.length} values; the model expects shape [${shape.join(', ')}]`, { file: weightsFile, what: name });
      }
      const module = name.replace(/\.(weight|bias)$/, '');
      const lora = modules.get(module);
      if (lora && name.endsWith('.weight')) {
        const { rank, scale } = moduleScale(module, lora, { r, alpha, rslora, rankPattern, alphaPattern }, weightsFile);
        if (!lora.aShape || lora.aShape[1] !== shape[1] || !lora.bShape || lora.bShape[0] !== shape[0]) {
          throw new XlmError('adapter-unsupported', `'${module}' has lora_A [${lora.aShape}] and lora_B [${lora.bShape}], which do not fit its weight [${shape.join(', ')}]`, { file: weightsFile, what: module });
        }
        data = mergedWeight(data, lora.a!, lora.b!, shape[0], shape[1], rank, scale);
        if (useDora) data = doraRescale(data, lora.magnitude, shape, module, weightsFile);
        merged++;
      } else if (lora?.bBias && name.endsWith('.bias')) {
        const { scale } = moduleScale(module, lora, { r, alpha, rslora, rankPattern, alphaPattern }, weightsFile);
        data = data.map((v, i) => v + scale * lora.bBias![i]);
      }
      tensors.set(name, { dtype: 'F32', shape, data });
    }
    const tokenizerFrom = existsSync(join(adapterDir, 'tokenizer.json')) ? adapterDir : base.dir;
    writeHfCheckpoint(out, { config: configForHead(config, head, head === 'mlm' ? undefined : labels ?? config.id2label), tokenizerFrom, tensors });
    return { out: resolve(out), merged, labelsFrom };
  } finally {
    source.close();
    base.close();
  }
}

/** The merged model's config and labels: the head's size from the adapter's tensors, names from its folder or --labels. */
function headConfig(
  adapterDir: string,
  baseConfig: XlmrConfig,
  head: HeadKind,
  shapes: ReadonlyMap<string, number[]>,
  options: MergeOptions,
): { config: XlmrConfig; labels?: readonly string[]; labelsFrom?: MergeResult['labelsFrom'] } {
  const savedConfigFile = join(adapterDir, 'config.json');
  const saved = existsSync(savedConfigFile) ? parseXlmrConfig(readJsonFile(savedConfigFile), savedConfigFile) : undefined;
  const config = saved ?? baseConfig;
  if (head === 'mlm') return { config };
  const outWeight = head === 'seq-cls' ? SEQ_CLS_HEAD.outProjWeight : TOKEN_CLS_HEAD.weight;
  const count = shapes.get(outWeight)?.[0];
  if (count === undefined) {
    if (options.labels && options.labels.length !== config.id2label.length) {
      throw new XlmError('bad-option', said`${field('labels')} names ${options.labels.length} labels; the head (from the base model, the adapter saves none) has ${config.id2label.length}`, { what: 'labels' });
    }
    return { config, labels: options.labels ?? config.id2label, labelsFrom: options.labels ? 'options' : saved ? 'adapter config.json' : 'base model' };
  }
  if (options.labels) {
    if (options.labels.length !== count) throw new XlmError('bad-option', said`${field('labels')} names ${options.labels.length} labels; the adapter's '${outWeight}' has ${count} rows`, { what: 'labels' });
    return { config, labels: options.labels, labelsFrom: 'options' };
  }
  if (saved) {
    if (saved.id2label.length !== count) {
      throw new XlmError('adapter-unsupported', `config.json names ${saved.id2label.length} labels; the adapter's '${outWeight}' has ${count} rows`, { file: savedConfigFile, what: 'id2label' });
    }
    return { config, labels: saved.id2label, labelsFrom: 'adapter config.json' };
  }
  if (baseConfig.id2label.length === count) return { config, labels: baseConfig.id2label, labelsFrom: 'base model' };
  return { config, labels: Array.from({ length: count }, (_, i) => `LABEL_${i}`), labelsFrom: 'generic' };
}

interface ScaleSettings {
  r: number;
  alpha: number;
  rslora: boolean;
  rankPattern: Map<string, number>;
  alphaPattern: Map<string, number>;
}

/** PEFT's get_pattern_key: an exact module name, else the first pattern that matches `(.*\.)?PATTERN$`. */
function patternValue(table: Map<string, number>, module: string): number | undefined {
  if (table.has(module)) return table.get(module);
  for (const [pattern, value] of table) {
    let re: RegExp;
    try {
      re = new RegExp(`^(.*\\.)?(${pattern})$`);
    } catch {
      continue;
    }
    if (re.test(module)) return value;
  }
  return undefined;
}

function moduleScale(module: string, lora: LoraModule, s: ScaleSettings, file: string): { rank: number; scale: number } {
  const rank = patternValue(s.rankPattern, module) ?? s.r;
  const alpha = patternValue(s.alphaPattern, module) ?? s.alpha;
  if (!lora.a || !lora.b) throw new XlmError('adapter-unsupported', `'${module}' has ${lora.a ? 'lora_A but no lora_B' : 'lora_B but no lora_A'}`, { file, what: module });
  if (lora.aShape?.[0] !== rank) {
    throw new XlmError('adapter-unsupported', `'${module}' has rank ${lora.aShape?.[0]} in its lora_A; adapter_config.json gives it r = ${rank} (r / rank_pattern)`, { file, what: module });
  }
  return { rank, scale: s.rslora ? alpha / Math.sqrt(rank) : alpha / rank };
}

/** DoRA: each output row of the merged weight scaled to norm m[row] (PEFT tuners/lora/dora.py, get_weight_norm over dim 1). */
function doraRescale(w: Float32Array, magnitude: Float32Array | undefined, shape: readonly number[], module: string, file: string): Float32Array {
  const [rows, cols] = shape;
  if (!magnitude || magnitude.length !== rows) {
    throw new XlmError('adapter-unsupported', `use_dora is true but '${module}.lora_magnitude_vector' is ${magnitude ? `of length ${magnitude.length}, not ${rows}` : 'missing'}`, { file, what: module });
  }
  const out = new Float32Array(w.length);
  for (let o = 0; o < rows; o++) {
    let sum = 0;
    for (let i = 0; i < cols; i++) sum += w[o * cols + i] ** 2;
    const factor = magnitude[o] / Math.sqrt(sum);
    for (let i = 0; i < cols; i++) out[o * cols + i] = w[o * cols + i] * factor;
  }
  return out;
}

function checkTiedDecoder(plain: Map<string, Float32Array>, base: ReturnType<typeof loadModelFolder>, file: string): void {
  const decoderWeight = plain.get(MLM_HEAD.tiedDecoderWeight);
  if (decoderWeight) {
    const embeddings = base.weights.get(EMBEDDINGS.word);
    if (decoderWeight.length !== embeddings.length || decoderWeight.some((v, i) => v !== embeddings[i])) {
      throw new XlmError('adapter-unsupported', `'${MLM_HEAD.tiedDecoderWeight}' differs from the word embeddings; an untied MLM decoder cannot be merged into an XLM-R folder`, { file, what: MLM_HEAD.tiedDecoderWeight });
    }
    plain.delete(MLM_HEAD.tiedDecoderWeight);
  }
  const decoderBias = plain.get(MLM_HEAD.tiedDecoderBias);
  if (decoderBias) {
    const bias = plain.get(MLM_HEAD.bias);
    if (bias && bias.some((v, i) => v !== decoderBias[i])) {
      throw new XlmError('adapter-unsupported', `'${MLM_HEAD.tiedDecoderBias}' differs from '${MLM_HEAD.bias}'; they are one tensor in XLM-R`, { file, what: MLM_HEAD.tiedDecoderBias });
    }
    if (!bias) plain.set(MLM_HEAD.bias, decoderBias);
    plain.delete(MLM_HEAD.tiedDecoderBias);
  }
}

function patternTable(value: unknown, key: string, file: string): Map<string, number> {
  if (value === undefined || value === null) return new Map();
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'number' && v > 0)) {
    throw new XlmError('no-adapter', `"${key}" is not an object of module patterns to positive numbers`, { file, what: key });
  }
  return new Map(Object.entries(value as Record<string, number>));
}
