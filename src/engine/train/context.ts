/**
 * The training side of ModelContext (src/engine/model/context.ts): the model builder asks for weights,
 * linear layers and dropout; this context decides that
 * - a trainable weight is a graph input (its value lives in buffers the step runner keeps and the
 *   optimizer updates), and so is a frozen weight: its one copy is the JavaScript array the builder gave, fed
 *   to every session of the run (step, accumulation, evaluation) without a copy. As initializers, each session
 *   held its own copy of the frozen model, and creating one held the array, onnxruntime's copy and a read buffer
 *   at once (XLM-R base LoRA: a 3.1 GB peak for 1.1 GB of weights);
 * - `linear` adds a LoRA branch on the targeted modules;
 * - `dropout` draws in-graph masks from (seed, counter) inputs, at a site id hashed from the site name.
 */
import type { Graph, Value } from '../graph/graph.js';
import { add, concat, dropout as graphDropout, gemmTransB, mul, reshape, reshapeTo, shapeOf, slice, type RandomKey } from '../graph/ops/index.js';
import type { XlmrConfig } from '../hf/config.js';
import type { ModelContext } from '../model/context.js';
import { isLoraTarget, loraNames, type LoraOptions } from './lora.js';

/** A weight the optimizer updates: a graph input with its initial value. */
export interface TrainableParam {
  name: string;
  shape: number[];
  value: Value;
  /** The starting value; the step runner trains it in place (it becomes the first of its two buffers). */
  initial: Float32Array;
  /** AdamW's decoupled weight decay applies (not to biases or LayerNorm weights, as HF's Trainer does). */
  decay: boolean;
}

/** A weight the optimizer does not touch: a graph input fed `data` (the same array for every graph of a run). */
export interface FrozenParam {
  name: string;
  shape: number[];
  value: Value;
  data: Float32Array;
}

export interface TrainContextOptions {
  /**
   * A weight's initial value by canonical name, or undefined when the checkpoint lacks it (new head, LoRA). Every
   * build of a run gets the same array for a name: a frozen weight's array is what all its graphs are fed.
   */
  weight(name: string, shape: number[]): Float32Array | undefined;
  /** Initial value of a weight the checkpoint lacks. */
  initialize(name: string, shape: number[]): Float32Array;
  /** Whether a weight is trained (full fine-tuning: all; LoRA: the head only, plus the LoRA matrices). */
  trainable(name: string): boolean;
  lora?: LoraOptions;
  /** Replaces every dropout probability of the config (0 turns dropout off); undefined keeps the config's. */
  dropoutOverride?: number;
  /** The random stream (graph inputs); required when any dropout is active. */
  randomKey?: RandomKey;
  /** Evaluation: every dropout (LoRA's too) is the identity. */
  eval?: boolean;
}

/** HF's Trainer excludes biases and LayerNorm weights from weight decay. */
export function decays(name: string): boolean {
  return !(name.endsWith('.bias') || /layer_?norm\.weight$/i.test(name));
}

/** FNV-1a of a site name: the dropout site id, stable across runs and builds. */
export function siteId(site: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < site.length; i++) h = Math.imul(h ^ site.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class TrainContext<C = XlmrConfig> implements ModelContext<C> {
  readonly trainable: TrainableParam[] = [];
  readonly frozen: FrozenParam[] = [];
  private readonly made = new Map<string, Value>();
  private readonly sites = new Set<string>();

  constructor(readonly graph: Graph, readonly config: C, private readonly opts: TrainContextOptions) {}

  param(name: string, shape: number[]): Value {
    const existing = this.made.get(name);
    if (existing) {
      if (existing.shape.join() !== shape.join()) throw new Error(`weight ${name} asked for as [${shape}] after [${existing.shape}]`);
      return existing;
    }
    const initial = this.opts.weight(name, shape) ?? this.opts.initialize(name, shape);
    const value = this.graph.input(name, 'float32', shape);
    if (this.opts.trainable(name)) this.trainable.push({ name, shape, value, initial, decay: decays(name) });
    else this.frozen.push({ name, shape, value, data: initial });
    this.made.set(name, value);
    return value;
  }

  /**
   * x @ W^T + b as one Gemm (transB) over x flattened to [rows, in]: the weight stays in PyTorch's [out, in]
   * layout with no Transpose either way (Gemm's gradient gives dW = dY^T X directly) and the bias add is fused.
   */
  linear(name: string, x: Value, inFeatures: number, outFeatures: number): Value {
    const weight = this.param(`${name}.weight`, [outFeatures, inFeatures]);
    const bias = this.param(`${name}.bias`, [outFeatures]);
    const rows = x.rank === 2 ? x : reshape(x, [-1, inFeatures]);
    let y = gemmTransB(rows, weight, bias);
    const lora = this.opts.lora;
    if (lora && isLoraTarget(name, lora.targets)) {
      // PEFT's LoRA: base + dropout(x) @ A^T @ B^T * alpha / r, A [r, in], B [out, r].
      const names = loraNames(name);
      const a = this.param(names.a, [lora.r, inFeatures]);
      const b = this.param(names.b, [outFeatures, lora.r]);
      const dropped = this.dropout(rows, lora.dropout, `${name}.lora_dropout`, true);
      y = add(y, mul(gemmTransB(gemmTransB(dropped, a), b), lora.alpha / lora.r));
    }
    if (x.rank === 2) return y;
    const leading = slice(shapeOf(x), [0], [x.rank - 1], [0]);
    return reshapeTo(y, concat([leading, this.graph.constant([outFeatures], 'int64')], 0), [...x.shape.slice(0, -1), outFeatures]);
  }

  /** `own` marks LoRA's dropout, which --dropout does not override (it is its own option). */
  dropout(x: Value, p: number, site: string, own = false): Value {
    const prob = this.opts.eval ? 0 : own ? p : (this.opts.dropoutOverride ?? p);
    if (prob === 0) return x;
    if (!this.opts.randomKey) throw new Error(`dropout at ${site} needs a random key`);
    // A site used twice in one graph (a shared module) would draw the same mask twice: keep them apart.
    let key = site;
    for (let k = 1; this.sites.has(key); k++) key = `${site}#${k}`;
    this.sites.add(key);
    return graphDropout(x, prob, this.opts.randomKey, siteId(key));
  }
}
