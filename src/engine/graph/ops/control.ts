/**
 * If: one of two subgraphs runs, as a bool scalar says. Used by inference graphs whose first run computes what
 * later runs are given (the merged decoder's cross-attention keys and values); not differentiable.
 */
import { Graph, type Shape, type TypeInfo, type Value } from '../graph.js';
import { defineOp } from '../graph.js';

export const If = defineOp({
  name: 'If',
  onnx: 'If',
  attrTypes: { then_branch: 'graph', else_branch: 'graph' },
  // Inputs past the condition are the values the branches capture from this graph: ONNX reads them by name.
  onnxInputNames: (names) => [names[0]],
  outputs: (attrs) => (attrs.then_branch as Graph).outputs.length,
  infer: ([cond], attrs) => {
    if (cond.dtype !== 'bool' || cond.shape.length > 1 || (cond.shape.length === 1 && cond.shape[0] !== 1)) throw new Error('the condition must be a bool scalar or [1]');
    const then = (attrs.then_branch as Graph).outputs;
    const otherwise = (attrs.else_branch as Graph).outputs;
    if (then.length !== otherwise.length) throw new Error(`the branches give ${then.length} and ${otherwise.length} outputs`);
    const shapes = attrs.shapes as unknown as Shape[] | undefined;
    return then.map((o, i): TypeInfo => {
      const e = otherwise[i].value;
      if (o.value.dtype !== e.dtype) throw new Error(`output ${i}: the branches give ${o.value.dtype} and ${e.dtype}`);
      const shape = shapes?.[i] ?? o.value.shape;
      if (!shapes && o.value.shape.join() !== e.shape.join()) throw new Error(`output ${i}: the branches give [${o.value.shape}] and [${e.shape}]; say which shape the If gives`);
      return { dtype: o.value.dtype, shape: [...shape] };
    });
  },
});

export interface IfBranches {
  /** Builds the branch taken when the condition is true: gets the subgraph's placeholder for a value of this graph. */
  then: (take: (v: Value) => Value) => Value[];
  else: (take: (v: Value) => Value) => Value[];
  /** The outputs' shapes, where the branches' differ in name only (a symbolic length each calls its own). */
  shapes?: Shape[];
}

/**
 * `cond ? then : else`, each branch built in a subgraph of cond's graph. A branch starts from `take(v)` (v from
 * this graph); ops on a branch's values go into the branch, weights and inputs of this graph included.
 */
export function ifElse(cond: Value, name: string, branches: IfBranches): Value[] {
  const outer = cond.graph;
  const build = (which: 'then' | 'else') => {
    const sub = new Graph(`${name}_${which}`, outer);
    const outputs = branches[which]((v) => sub.capture(v));
    outputs.forEach((v, i) => sub.output(sub.capture(v), `${name}_${which}_out_${i}`));
    return sub;
  };
  const thenBranch = build('then');
  const elseBranch = build('else');
  const captured = [...new Set([...thenBranch.captured(), ...elseBranch.captured()].map((c) => c.outer))];
  const outputs = outer.apply(If, [cond, ...captured], { then_branch: thenBranch, else_branch: elseBranch, shapes: branches.shapes as unknown as number[] });
  thenBranch.seal();
  elseBranch.seal();
  return outputs;
}
