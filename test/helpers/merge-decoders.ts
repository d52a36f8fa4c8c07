/**
 * Builds optimum's decoder_model_merged.onnx from decoder_model.onnx and decoder_with_past_model.onnx, as
 * optimum's merge_decoders does (Python's onnx package is not available here, so it is done with onnx-proto):
 * the outer graph takes the union of both inputs plus `use_cache_branch` (bool [1]) and runs one `If`
 * whose then-branch is the with-past graph and else-branch the no-past one. Both branches must give the
 * same outputs, so the with-past branch returns its encoder cache inputs as present.N.encoder.* (optimum
 * returns constants there; readers keep the first step's encoder cache either way).
 * Every value inside a branch gets the branch's prefix so that no name is defined twice.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';

export function mergeDecoders(noPastFile: string, withPastFile: string, outFile: string): void {
  const noPast = onnx.ModelProto.decode(readFileSync(noPastFile));
  const withPast = onnx.ModelProto.decode(readFileSync(withPastFile));
  const inputs: onnx.IValueInfoProto[] = [...(noPast.graph!.input ?? [])];
  for (const input of withPast.graph!.input ?? []) if (!inputs.some((i) => i.name === input.name)) inputs.push(input);
  inputs.push({ name: 'use_cache_branch', type: { tensorType: { elemType: onnx.TensorProto.DataType.BOOL, shape: { dim: [{ dimValue: 1 }] } } } });
  const outerNames = new Set(inputs.map((i) => i.name!));
  const outputs = noPast.graph!.output ?? [];

  const elseBranch = branch(noPast.graph!, 'no_past', outerNames, outputs);
  const thenBranch = branch(withPast.graph!, 'with_past', outerNames, outputs);

  const graph: onnx.IGraphProto = {
    name: 'merged_decoder',
    input: inputs,
    output: outputs,
    node: [{
      name: 'optimum::if',
      opType: 'If',
      input: ['use_cache_branch'],
      output: outputs.map((o) => o.name!),
      attribute: [
        { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: thenBranch },
        { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: elseBranch },
      ],
    }],
  };
  const model: onnx.IModelProto = { irVersion: noPast.irVersion, opsetImport: noPast.opsetImport, producerName: 'xlm-lab-test-merge', graph };
  writeFileSync(outFile, onnx.ModelProto.encode(model).finish());
}

/** A branch subgraph: the graph's nodes and weights renamed with a prefix; outputs in `outputs`' order. */
function branch(g: onnx.IGraphProto, prefix: string, outer: Set<string>, outputs: onnx.IValueInfoProto[]): onnx.IGraphProto {
  const rename = (name: string) => (name === '' || outer.has(name) ? name : `${prefix}/${name}`);
  const nodes: onnx.INodeProto[] = (g.node ?? []).map((n) => ({ ...n, name: `${prefix}/${n.name ?? ''}`, input: (n.input ?? []).map(rename), output: (n.output ?? []).map(rename) }));
  const produced = new Set((g.output ?? []).map((o) => o.name!));
  const branchOutputs: onnx.IValueInfoProto[] = outputs.map((o) => {
    const name = o.name!;
    if (!produced.has(name)) {
      // The with-past graph gives no encoder cache: pass its input through under the output's name.
      const source = name.replace(/^present\./, 'past_key_values.');
      nodes.push({ name: `${prefix}/forward_${name}`, opType: 'Identity', input: [source], output: [`${prefix}/${name}`] });
    }
    return { name: `${prefix}/${name}`, type: { tensorType: { elemType: o.type!.tensorType!.elemType } } };
  });
  return {
    name: prefix,
    node: nodes,
    initializer: (g.initializer ?? []).map((t) => ({ ...t, name: rename(t.name!) })),
    output: branchOutputs,
  };
}
