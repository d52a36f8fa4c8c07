/**
 * Reverse-mode autodiff over the graph builder. The backward pass is built into the same graph, from
 * each op's gradient rule (defined beside the op in ops/). It walks only the nodes that lie between the
 * loss and the tensors asked for, sums gradients where a value fans out, and fails naming the op when
 * a node on that path has no rule.
 */
import type { Graph, Node, Value } from './graph.js';
import { add } from './ops/elementwise.js';

/** The nodes on some path from one of `wrt` to `loss`, in topological (build) order. */
function pathNodes(graph: Graph, loss: Value, wrt: Value[]): Node[] {
  const fromWrt = new Set<Value>(wrt);
  const forward = new Set<Node>();
  for (const node of graph.nodes) {
    if (node.inputs.some((v, i) => fromWrt.has(v) && !node.op.nonDifferentiable?.includes(i))) {
      forward.add(node);
      for (const out of node.outputs) fromWrt.add(out);
    }
  }
  const toLoss = new Set<Value>([loss]);
  const path: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!forward.has(node) || !node.outputs.some((o) => toLoss.has(o))) continue;
    path.push(node);
    for (const input of node.inputs) toLoss.add(input);
  }
  return path.reverse();
}

/**
 * Builds d loss / d v for each v in `wrt`. `loss` must be a scalar; `seed` (default 1) scales it,
 * e.g. for gradient accumulation.
 */
export function gradients(graph: Graph, loss: Value, wrt: Value[], seed?: Value): Map<Value, Value | undefined> {
  if (loss.rank !== 0) throw new Error(`the loss must be a scalar, got ${loss}`);
  const nodes = pathNodes(graph, loss, wrt);
  const onPath = new Set<Value>(wrt);
  for (const n of nodes) for (const o of n.outputs) onPath.add(o);

  const grad = new Map<Value, Value>();
  const accumulate = (v: Value, g: Value) => {
    const prev = grad.get(v);
    grad.set(v, prev ? add(prev, g) : g);
  };
  accumulate(loss, seed ?? graph.constant(1, loss.dtype));

  for (let i = nodes.length - 1; i >= 0; i--) {
    // The last piece of a composite stands for the whole: its rule routes the gradient to the composite's
    // inputs, so the pieces inside get none and are skipped.
    const piece = nodes[i];
    const node = (piece.outputs.length === 1 && graph.compositeOf(piece.outputs[0])) || piece;
    const dOutputs = node.outputs.map((o) => grad.get(o));
    if (dOutputs.every((d) => d === undefined)) continue;
    const needs = node.inputs.map((v, k) => onPath.has(v) && !node.op.nonDifferentiable?.includes(k));
    if (!node.op.grad) throw new Error(`no gradient rule for op ${node.op.name} (node ${node.name}), which lies between the loss and a trainable tensor`);
    const dInputs = graph.scope(`grad/${node.name}`, () =>
      node.op.grad!({ graph, node, inputs: node.inputs, outputs: node.outputs, attrs: node.attrs }, dOutputs, needs),
    );
    node.inputs.forEach((v, k) => {
      const d = dInputs[k];
      if (!needs[k] || !d) return;
      if (d.dtype !== v.dtype || d.rank !== v.rank) {
        throw new Error(`gradient rule of ${node.op.name} returned ${d} for input ${v} (node ${node.name})`);
      }
      accumulate(v, d);
    });
  }
  return new Map(wrt.map((v) => [v, grad.get(v)]));
}
