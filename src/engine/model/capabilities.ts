/**
 * What a model folder can do, read cheaply (config.json, the weight files' headers, the names of its ONNX files),
 * without building anything: the editor offers each folder only to the features it fits (its model slots).
 *
 * - fill-mask: a masked-LM head (lm_head.*);
 * - classify / pair-classify: a sequence-classification head, for single texts or for pairs (a pair model is one
 *   trained on pairs, recorded in config.json's `xlm_lab.input` by `xlm train`, or one whose labels are NLI's);
 * - nli: a sequence-classification head whose labels are entailment, neutral and contradiction;
 * - token-classify: a token-classification head (NER);
 * - question-answering: a span head (qa_outputs.*);
 * - translate: a sequence-to-sequence model exported to ONNX (encoder + decoder files);
 * - language-id: the language-identification head beside the weights (language-id.json).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { HEAD_TENSOR_NAMES } from '../hf/names.js';
import { hasLanguageId } from '../tasks/language-id.js';
import { findSeq2SeqFiles } from '../translate/files.js';
import { nliLabelRoles } from './nli-labels.js';
import type { ModelCapabilities, ModelCapability as Capability } from '../rpc/protocol.js';

/** config.json's `xlm_lab` block, written by `xlm train`: what the classifier was trained on. */
export interface XlmLabConfigBlock {
  input?: 'single' | 'pair';
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Tensor names of model.safetensors (its JSON header only) or of a sharded checkpoint's index. */
function tensorNames(dir: string): Set<string> {
  const index = readJson(join(dir, 'model.safetensors.index.json'));
  if (index?.weight_map && typeof index.weight_map === 'object') return new Set(Object.keys(index.weight_map));
  const file = join(dir, 'model.safetensors');
  if (!existsSync(file)) return new Set();
  const fd = openSync(file, 'r');
  try {
    const size = Buffer.alloc(8);
    if (readSync(fd, size, 0, 8, 0) < 8) return new Set();
    const length = Number(size.readBigUInt64LE(0));
    if (length > 100_000_000) return new Set();
    const header = Buffer.alloc(length);
    readSync(fd, header, 0, length, 8);
    return new Set(Object.keys(JSON.parse(header.toString('utf8')) as object).filter((k) => k !== '__metadata__'));
  } catch {
    return new Set();
  } finally {
    closeSync(fd);
  }
}

/** A Hub cache snapshot (…/models--org--name/snapshots/REV) is named by its repo id. */
function displayName(dir: string): string {
  const m = /models--([^/\\]+)[/\\]snapshots[/\\]/.exec(dir);
  if (m) return m[1]!.replace(/--/g, '/');
  return basename(dir);
}

function labelsOf(config: Record<string, unknown>): string[] {
  const id2label = config.id2label;
  if (!id2label || typeof id2label !== 'object') return [];
  return Object.entries(id2label as Record<string, unknown>)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => String(v));
}

export function modelCapabilities(dirArg: string): ModelCapabilities {
  const dir = resolve(dirArg);
  const name = displayName(dir);
  const config = readJson(join(dir, 'config.json'));
  if (!config) return { dir, name, capabilities: [], problem: existsSync(join(dir, 'config.json')) ? 'its config.json is not a JSON object' : 'it has no config.json' };
  const capabilities: Capability[] = [];
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  let seq2seq = false;
  try {
    findSeq2SeqFiles(dir);
    seq2seq = true;
  } catch {
    // Not an exported sequence-to-sequence model.
  }
  if (seq2seq) capabilities.push('translate');
  const names = tensorNames(dir);
  const has = (head: keyof typeof HEAD_TENSOR_NAMES) => HEAD_TENSOR_NAMES[head].some((n) => names.has(n));
  const labels = labelsOf(config);
  if (has('mlm')) capabilities.push('fill-mask');
  if (has('seq-cls')) {
    const nli = nliLabelRoles(labels) !== undefined;
    const input = ((config.xlm_lab ?? {}) as XlmLabConfigBlock).input;
    if (nli) capabilities.push('nli', 'pair-classify');
    else if (input === 'pair') capabilities.push('pair-classify');
    else capabilities.push('classify');
  }
  if (has('token-cls')) capabilities.push('token-classify');
  if (names.has('qa_outputs.weight') || architectures.some((a) => a.endsWith('ForQuestionAnswering'))) capabilities.push('question-answering');
  if (hasLanguageId(dir)) capabilities.push('language-id');
  const problem = capabilities.length ? undefined : names.size ? 'it has weights but no head XLM Lab can use' : 'it has no model.safetensors and no ONNX translation files';
  return { dir, name, capabilities, labels: labels.length && has('seq-cls') ? labels : undefined, problem };
}
