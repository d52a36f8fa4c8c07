/**
 * A toy classifier (linear, tanh, LayerNorm, dropout, linear; 4 features, 3 classes) built through the
 * training context, to test the training machinery without the full model.
 */
import type { XlmrConfig } from '../../src/engine/hf/config.js';
import { crossEntropy, layerNorm, tanh } from '../../src/engine/graph/ops/index.js';
import { TrainContext } from '../../src/engine/train/context.js';
import type { LossBuilder } from '../../src/engine/train/step-graph.js';
import { ort } from '../../src/engine/runtime/session.js';
import { createRng } from '../../src/engine/rng/rng.js';

export const TOY_SHAPES: Record<string, number[]> = {
  'l1.weight': [8, 4], 'l1.bias': [8], 'LayerNorm.weight': [8], 'LayerNorm.bias': [8], 'l2.weight': [3, 8], 'l2.bias': [3],
};

export function toyWeights(seed: number): Map<string, Float32Array> {
  const rng = createRng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of Object.entries(TOY_SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, Float32Array.from({ length: n }, () => (name === 'LayerNorm.weight' ? 1 + rng.normal(0, 0.1) : rng.normal(0, 0.5))));
  }
  return out;
}

export function toyBuilder(weights: Map<string, Float32Array>, dropout = 0): LossBuilder {
  return (graph, randomKey) => {
    const ctx = new TrainContext(graph, {} as XlmrConfig, {
      weight: (name) => weights.get(name),
      initialize: (name) => { throw new Error(`toy model has ${name}`); },
      trainable: () => true,
      randomKey,
    });
    const x = graph.input('x', 'float32', ['batch', 4]);
    const labels = graph.input('labels', 'int64', ['batch']);
    let h = tanh(ctx.linear('l1', x, 4, 8));
    h = layerNorm(h, ctx.param('LayerNorm.weight', [8]), ctx.param('LayerNorm.bias', [8]), 1e-5);
    h = ctx.dropout(h, dropout, 'toy.dropout');
    return { loss: crossEntropy(ctx.linear('l2', h, 8, 3), labels), trainable: ctx.trainable, frozen: ctx.frozen };
  };
}

export interface ToyBatch { x: number[]; labels: number[] }

/** A learnable rule: the class is which of three fixed directions the point is most aligned with. */
export function toyBatches(count: number, size: number, seed: number): ToyBatch[] {
  const rng = createRng(seed);
  const dirs = [[1, 0.5, 0, -1], [-1, 1, 0.5, 0], [0, -1, 1, 0.5]];
  return Array.from({ length: count }, () => {
    const x: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < size; i++) {
      const p = [0, 1, 2, 3].map(() => rng.normal());
      const scores = dirs.map((d) => d.reduce((s, v, k) => s + v * p[k], 0));
      labels.push(scores.indexOf(Math.max(...scores)));
      x.push(...p);
    }
    return { x, labels };
  });
}

export function toyFeeds(b: ToyBatch): Record<string, ort.Tensor> {
  return {
    x: new ort.Tensor('float32', Float32Array.from(b.x), [b.labels.length, 4]),
    labels: new ort.Tensor('int64', BigInt64Array.from(b.labels.map(BigInt)), [b.labels.length]),
  };
}
