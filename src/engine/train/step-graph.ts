/**
 * The training step as ONNX graphs: one session.run of the step graph is one optimizer step (forward,
 * loss, backward, clipping, optimizer, learning rate from the step number).
 *
 * With gradient accumulation over k micro-batches, a second graph (forward + backward only) adds each of
 * the first k-1 micro-batches' gradients into accumulation buffers; the step graph adds the last one's
 * and updates. Each micro-batch's loss is scaled by 1/k (the backward seed), as transformers' Trainer does.
 *
 * Graph names: parameters keep their HF names; state and results are prefixed ('adam_m.', 'next.', ...).
 */
import { Graph, type Value } from '../graph/graph.js';
import { gradients } from '../graph/autodiff.js';
import { add, zerosLike, type RandomKey } from '../graph/ops/index.js';
import type { FrozenParam, TrainableParam } from './context.js';
import { optimizerStep, stateNames, type OptimizerOptions } from './optimizer.js';
import { learningRate, type Schedule } from './schedule.js';

export const STEP_INPUT = 'train.step';
export const SEED_INPUT = 'rng.seed';
export const COUNTER_INPUT = 'rng.counter';
export const stateInput = (kind: string, name: string) => `${kind}.${name}`;
export const nextName = (kind: 'param' | string, name: string) => (kind === 'param' ? `next.${name}` : `next_${kind}.${name}`);
export const ACC = 'grad_acc';

/** Builds the model and its task loss into `graph`, asking for its weights through a TrainContext. */
export type LossBuilder = (graph: Graph, randomKey: RandomKey, mode?: 'train' | 'eval') => { loss: Value; trainable: TrainableParam[]; frozen: FrozenParam[]; logits?: Value };

export interface StepGraphOptions {
  optimizer: OptimizerOptions;
  schedule: Schedule;
  gradAccum: number;
}

export interface BuiltStepGraph {
  graph: Graph;
  trainable: TrainableParam[];
  /** Inputs every run of the graph is fed as they are (frozenFeeds in runner.ts). */
  frozen: FrozenParam[];
  /** Names of the per-parameter state inputs ('adam_m', 'adam_v', and 'grad_acc' when accumulating). */
  stateKinds: string[];
}

function randomKey(graph: Graph): RandomKey {
  return { seed: graph.input(SEED_INPUT, 'uint32', []), counter: graph.input(COUNTER_INPUT, 'uint32', []) };
}

function lossGradients(graph: Graph, loss: Value, trainable: TrainableParam[], gradAccum: number): Value[] {
  const seed = gradAccum > 1 ? graph.constant(1 / gradAccum, loss.dtype) : undefined;
  const grads = gradients(graph, loss, trainable.map((p) => p.value), seed);
  // A weight the loss does not reach (an unused tensor) gets a zero gradient, like PyTorch's None skipped.
  return trainable.map((p) => grads.get(p.value) ?? zerosLike(p.value));
}

export function buildStepGraph(build: LossBuilder, opts: StepGraphOptions): BuiltStepGraph {
  const graph = new Graph('train_step');
  const { loss, trainable, frozen } = build(graph, randomKey(graph));
  const step = graph.input(STEP_INPUT, 'float32', []);
  let grads = lossGradients(graph, loss, trainable, opts.gradAccum);
  const stateKinds: string[] = stateNames(opts.optimizer.kind).map((s) => `adam_${s}`);
  if (opts.gradAccum > 1) {
    grads = grads.map((g, i) => add(graph.input(stateInput(ACC, trainable[i].name), 'float32', trainable[i].shape), g));
    stateKinds.push(ACC);
  }
  const adam = opts.optimizer.kind === 'adamw';
  const params = trainable.map((p, i) => ({
    name: p.name, value: p.value, grad: grads[i], decay: p.decay,
    m: adam ? graph.input(stateInput('adam_m', p.name), 'float32', p.shape) : undefined,
    v: adam ? graph.input(stateInput('adam_v', p.name), 'float32', p.shape) : undefined,
  }));
  const lr = learningRate(opts.schedule, step);
  const out = optimizerStep(params, lr, step, opts.optimizer);
  graph.output(loss, 'loss');
  graph.output(out.gradNorm, 'grad_norm');
  graph.output(lr, 'lr');
  for (const p of trainable) {
    graph.output(out.params.get(p.name)!, nextName('param', p.name));
    if (adam) {
      graph.output(out.m.get(p.name)!, nextName('adam_m', p.name));
      graph.output(out.v.get(p.name)!, nextName('adam_v', p.name));
    }
  }
  return { graph, trainable, frozen, stateKinds };
}

/** Forward + backward of one micro-batch, adding its (1/k-scaled) gradients to the accumulation inputs. */
export function buildAccumulateGraph(build: LossBuilder, gradAccum: number): BuiltStepGraph {
  const graph = new Graph('train_accumulate');
  const { loss, trainable, frozen } = build(graph, randomKey(graph));
  const grads = lossGradients(graph, loss, trainable, gradAccum);
  graph.output(loss, 'loss');
  trainable.forEach((p, i) => graph.output(add(graph.input(stateInput(ACC, p.name), 'float32', p.shape), grads[i]), nextName(ACC, p.name)));
  return { graph, trainable, frozen, stateKinds: [ACC] };
}

/** Forward only, dropout off: loss and logits for evaluation, with the trainable weights as inputs. */
export function buildEvalGraph(build: LossBuilder): BuiltStepGraph {
  const graph = new Graph('train_eval');
  const { loss, trainable, frozen, logits } = build(graph, randomKey(graph), 'eval');
  graph.output(loss, 'loss');
  if (logits) graph.output(logits, 'logits');
  return { graph, trainable, frozen, stateKinds: [] };
}

/** Loss and the gradient of every trainable weight ('grad.NAME'), nothing else: for tests and inspection. */
export function buildGradientGraph(build: LossBuilder): BuiltStepGraph {
  const graph = new Graph('train_gradients');
  const { loss, trainable, frozen } = build(graph, randomKey(graph));
  const grads = lossGradients(graph, loss, trainable, 1);
  graph.output(loss, 'loss');
  trainable.forEach((p, i) => graph.output(grads[i], `grad.${p.name}`));
  return { graph, trainable, frozen, stateKinds: [] };
}
