/**
 * LoRA as PEFT defines it for XLM-R: on each targeted nn.Linear, y = W x + b + (alpha / r) * B A dropout(x),
 * A [r, in] initialised like PEFT (Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in))),
 * B [out, r] zeros, so training starts from the base model exactly.
 */
import type { Rng } from '../rng/rng.js';

/** Module name suffixes LoRA can target (PEFT's target_modules for XLM-R). */
export const LORA_TARGETS = ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];
/** PEFT's default for XLM-R (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
export const DEFAULT_LORA_TARGETS: LoraTarget[] = ['query', 'value'];

export interface LoraOptions {
  r: number;
  alpha: number;
  dropout: number;
  targets: string[];
}

/** Our names for a module's LoRA matrices (PEFT's key names without its base_model.model. prefix). */
export function loraNames(module: string): { a: string; b: string } {
  return { a: `${module}.lora_A.weight`, b: `${module}.lora_B.weight` };
}

export function isLoraName(name: string): boolean {
  return /\.lora_[AB]\.weight$/.test(name);
}

/**
 * Whether a module is a LoRA target. Targets match as a suffix at a dot boundary (as PEFT matches), except
 * that 'output.dense' means the feed-forward output (layer.N.output.dense) only, not attention.output.dense,
 * which has its own target. adapter_config.json spells this for PEFT (peftTargetModules).
 */
export function isLoraTarget(module: string, targets: readonly string[]): boolean {
  return targets.some((t) => (t === 'output.dense' ? /(^|\.)layer\.\d+\.output\.dense$/.test(module) : module === t || module.endsWith(`.${t}`)));
}

/**
 * target_modules for adapter_config.json so that PEFT picks the same modules: the short names when PEFT's
 * suffix match agrees with ours, else a regular expression (PEFT full-matches a string against each name).
 */
export function peftTargetModules(targets: readonly string[]): string[] | string {
  if (!targets.includes('output.dense') || targets.includes('attention.output.dense')) return [...targets].sort();
  const alternatives = targets.map((t) => (t === 'output.dense' ? 'layer\\.\\d+\\.output\\.dense' : t.replace(/\./g, '\\.')));
  return `.*\\.(${alternatives.join('|')})`;
}

export function initLora(name: string, shape: number[], rng: Rng): Float32Array {
  const out = new Float32Array(shape[0] * shape[1]);
  if (name.endsWith('lora_B.weight')) return out;
  const bound = 1 / Math.sqrt(shape[1]);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.next() - 1) * bound;
  return out;
}

/** `allowed`: the model's module names (XLM-R's by default; a seq2seq model's are q_proj, ..., fc2). */
export function parseLoraTargets(list: string, allowed: readonly string[] = LORA_TARGETS): string[] {
  const targets = list.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of targets) {
    if (!allowed.includes(t)) throw new Error(`unknown LoRA target '${t}'; choose among ${allowed.join(', ')}`);
  }
  if (!targets.length) throw new Error('the LoRA targets name no module');
  return targets;
}
