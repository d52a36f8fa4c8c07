/**
 * Encodes a Graph as an ONNX ModelProto (onnx-proto). Only the nodes that the outputs depend on are
 * written. Large initializers can stay out of the protobuf as external data held in memory
 * (onnxruntime's `externalData` session option), which keeps the 2 GB protobuf limit out of the way
 * and avoids copying weights into the model bytes.
 */
import { onnx } from 'onnx-proto';
import type { AttrType, AttrValue, ConstTensor, DType, Graph, Node, Value } from './graph.js';
import { onnxDataType } from './ops/elementwise.js';

export const OPSET = 18;
/** onnxruntime's contrib ops (DynamicQuantizeMatMul) are version 1 of their domain. */
const MS_DOMAIN = 'com.microsoft';
const IR_VERSION = 8;

export interface EncodedModel {
  bytes: Uint8Array;
  /** In-memory external data files referenced by the model, for InferenceSession.create's `externalData`. */
  externalData: { path: string; data: Uint8Array }[];
}

export interface EncodeOptions {
  /** Keep initializers flagged external out of the protobuf (default true). */
  externalize?: boolean;
  /** Producer metadata. */
  docString?: string;
}

function tensorBytes(t: ConstTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function tensorProto(name: string, t: ConstTensor): onnx.ITensorProto {
  return { name, dims: t.shape, dataType: onnxDataType(t.dtype), rawData: tensorBytes(t) };
}

function attribute(name: string, type: AttrType, value: AttrValue, domains: Set<string>): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  switch (type) {
    case 'int':
      return { name, type: A.INT, i: typeof value === 'boolean' ? Number(value) : (value as number) };
    case 'float':
      return { name, type: A.FLOAT, f: value as number };
    case 'string':
      return { name, type: A.STRING, s: new TextEncoder().encode(value as string) };
    case 'ints':
      return { name, type: A.INTS, ints: value as number[] };
    case 'floats':
      return { name, type: A.FLOATS, floats: value as number[] };
    case 'tensor':
      return { name, type: A.TENSOR, t: tensorProto('', value as ConstTensor) };
    case 'graph':
      return { name, type: A.GRAPH, g: encodeBody(value as Graph, false, [], domains) };
  }
}

function valueInfo(name: string, v: { dtype: DType; shape: (number | string)[] }): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnxDataType(v.dtype),
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** The nodes the graph's outputs depend on, in the order they were built (a topological order). */
export function liveNodes(graph: Graph, outputs: Value[] = graph.outputs.map((o) => o.value)): Node[] {
  const live = new Set<Node>();
  const stack = outputs.map((v) => v.producer).filter((n): n is Node => !!n);
  while (stack.length) {
    const node = stack.pop()!;
    if (live.has(node)) continue;
    live.add(node);
    for (const input of node.inputs) if (input.producer) stack.push(input.producer);
  }
  return graph.nodes.filter((n) => live.has(n));
}

export function encodeGraph(graph: Graph, opts: EncodeOptions = {}): EncodedModel {
  const externalData: EncodedModel['externalData'] = [];
  // Op domains used anywhere, subgraphs included.
  const domains = new Set<string>();
  const body = encodeBody(graph, opts.externalize ?? true, externalData, domains);
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'xlm-lab',
    docString: opts.docString,
    opsetImport: [{ domain: '', version: OPSET }, ...(domains.has(MS_DOMAIN) ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
    graph: body,
  };
  return { bytes: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), externalData };
}

/**
 * One graph's nodes, initializers, inputs and outputs. A subgraph's initializers stay in the protobuf (they are
 * small constants; weights are the outer graph's, read by name), and it has no inputs of its own.
 */
function encodeBody(graph: Graph, externalize: boolean, externalData: EncodedModel['externalData'], domains: Set<string>): onnx.IGraphProto {
  // A subgraph's placeholders for outer values take those values' names (an output may have renamed one).
  for (const { outer, inner } of graph.captured()) inner.name = outer.name;
  const nodes = liveNodes(graph);
  for (const n of nodes) domains.add(n.op.domain ?? '');
  const used = new Set<Value>();
  for (const n of nodes) for (const v of n.inputs) used.add(v);
  for (const o of graph.outputs) used.add(o.value);

  // An output that is directly an input or initializer, or exported under another name, needs an Identity.
  const renames: onnx.INodeProto[] = [];
  const outputNames = graph.outputs.map((o) => {
    if (o.name === o.value.name && o.value.producer) return o.name;
    renames.push({ opType: 'Identity', input: [o.value.name], output: [o.name], name: `output_${o.name}` });
    return o.name;
  });

  const initializer: onnx.ITensorProto[] = [];
  for (const init of graph.initializers) {
    if (!used.has(init.value)) continue;
    if (externalize && init.external) {
      const path = `${externalData.length}.bin`;
      const data = tensorBytes(init.tensor);
      externalData.push({ path, data });
      initializer.push({
        name: init.value.name,
        dims: init.tensor.shape,
        dataType: onnxDataType(init.tensor.dtype),
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: path },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(data.byteLength) },
        ],
      });
    } else {
      initializer.push(tensorProto(init.value.name, init.tensor));
    }
  }

  const nodeProtos: onnx.INodeProto[] = nodes.map((n) => ({
    name: n.name,
    opType: n.op.onnx,
    domain: n.op.domain ?? '',
    input: n.op.onnxInputNames ? n.op.onnxInputNames(n.inputs.map((v) => v.name)) : n.inputs.map((v) => v.name),
    output: n.outputs.map((v) => v.name),
    attribute: Object.entries(n.op.attrTypes ?? {})
      .filter(([key]) => n.attrs[key] !== undefined)
      .map(([key, type]) => attribute(key, type, n.attrs[key], domains)),
  }));

  return {
    name: graph.name,
    node: [...nodeProtos, ...renames],
    initializer,
    input: graph.inputs.map((v) => valueInfo(v.name, v)),
    output: graph.outputs.map((o, i) => valueInfo(outputNames[i], o.value)),
  };
}
