import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineOp, Graph } from '../../src/engine/graph/graph.js';
import { gradients } from '../../src/engine/graph/autodiff.js';
import { encodeGraph } from '../../src/engine/graph/encode.js';
import { onnx } from 'onnx-proto';
import { crossEntropy, gelu, labelSmoothedCrossEntropy, mul, reduceSum } from '../../src/engine/graph/ops/index.js';
import { analyticGradients } from '../helpers/gradcheck.js';

// x² built from a Mul, with a rule that is deliberately not its derivative (3x): which rule ran shows in the result.
const MarkedSquare = defineOp({
  name: 'TestMarkedSquare', onnx: 'TestMarkedSquare',
  infer: ([x]) => [{ dtype: x.dtype, shape: x.shape }],
  expand: ([x]) => mul(x, x),
  grad: ({ inputs: [x] }, [d]) => [mul(d!, mul(x, 3))],
});

test('autodiff applies a composite op its own rule, not the rules of the pieces it expands to', async () => {
  const { grads } = await analyticGradients([{ name: 'x', shape: [3], data: [0, -2, 1.5] }], ({ x }) => reduceSum(x.graph.apply1(MarkedSquare, [x]), [0]));
  assert.deepEqual(Array.from(grads.get('x')!), [0, -6, 4.5]);
});

test('a composite op is written to ONNX as its expansion: GELU stays plain ONNX ops, in the form onnxruntime fuses', () => {
  const g = new Graph('gelu');
  const x = g.input('x', 'float32', [2, 4]);
  g.output(gelu(x), 'y');
  const model = onnx.ModelProto.decode(encodeGraph(g).bytes);
  assert.deepEqual(model.graph!.node!.map((n) => n.opType), ['Mul', 'Div', 'Erf', 'Add', 'Mul']);
  assert.ok(model.graph!.node!.every((n) => !n.domain), 'only the default ONNX domain');
});

test('GELU\'s backward reads x only, never the forward\'s intermediates (which would keep the forward from being fused)', () => {
  const g = new Graph('gelu');
  const x = g.input('x', 'float32', [2, 4]);
  const y = gelu(x);
  const forwardPieces = new Set(g.nodes.flatMap((n) => n.outputs));
  forwardPieces.delete(y);
  const before = g.nodes.length;
  gradients(g, reduceSum(mul(y, y), [0, 1]), [x]);
  const backward = g.nodes.slice(before);
  for (const n of backward) for (const input of n.inputs) assert.ok(!forwardPieces.has(input), `${n.op.name} reads the forward's ${input.name}`);
});

test('cross-entropy is written as ops the WebGPU provider runs: no LogSoftmax, SoftmaxCrossEntropyLoss or NegativeLogLikelihoodLoss', () => {
  const g = new Graph('loss');
  const scores = g.input('scores', 'float32', [4, 7]);
  const labels = g.input('labels', 'int64', [4]);
  const loss = labelSmoothedCrossEntropy(scores, labels, 0.1);
  g.output(gradients(g, loss, [scores]).get(scores)!, 'd_scores');
  g.output(loss, 'loss');
  const types = new Set(onnx.ModelProto.decode(encodeGraph(g).bytes).graph!.node!.map((n) => n.opType!));
  for (const missing of ['LogSoftmax', 'SoftmaxCrossEntropyLoss', 'NegativeLogLikelihoodLoss']) assert.ok(!types.has(missing), `${missing} in the loss graph: ${[...types].join(', ')}`);
  for (const used of ['ReduceMax', 'Exp', 'Log', 'GatherElements', 'Softmax', 'ScatterElements']) assert.ok(types.has(used), `${used} missing from ${[...types].join(', ')}`);
});

test('cross-entropy over a batch whose labels are all ignored is 0 with a zero gradient, not NaN', async () => {
  const { loss, grads } = await analyticGradients(
    [{ name: 'scores', shape: [2, 3], data: [1, -2, 0.5, 3, 0, -1] }, { name: 'labels', shape: [2], data: [-100, -100], dtype: 'int64' }],
    ({ scores, labels }) => crossEntropy(scores, labels),
  );
  assert.equal(loss, 0);
  assert.deepEqual(Array.from(grads.get('scores')!), [0, 0, 0, 0, 0, 0]);
});
