/**
 * The graph builder: symbolic values, nodes, and op definitions.
 *
 * An op is defined once (`defineOp`) with its ONNX name, its attribute types, its shape rule and its
 * gradient rule side by side, in src/engine/graph/ops/. Builders such as `matmul(a, b)` live beside the
 * definition. A graph is encoded to ONNX by encode.ts; autodiff.ts walks it backwards.
 *
 * Dimensions are numbers or symbolic names ('batch', 'seq'). Two equal names mean the same size at run
 * time; that is what lets broadcasting be undone statically (see ops/broadcast.ts).
 *
 * A subgraph (the branches of ops/control.ts's If) is a Graph with a parent. An op applied to values of a
 * subgraph and of its parent goes into the subgraph, which reads the parent's values by name (ONNX's outer
 * scope): each such value is captured once, as a placeholder of the subgraph, and the node that holds the
 * subgraph lists the captured values among its inputs, so they stay live and are encoded.
 */

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint32' | 'bool' | 'float16' | 'uint8' | 'int8';
export type Dim = number | string;
export type Shape = Dim[];

export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'tensor' | 'graph';
export type AttrValue = number | string | number[] | ConstTensor | boolean | Graph | undefined;
export type Attrs = Record<string, AttrValue>;

/** A constant tensor held by the graph (initializer or Constant attribute). */
export interface ConstTensor {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Uint16Array;
}

export interface TypeInfo {
  dtype: DType;
  shape: Shape;
}

/** The context a gradient rule builds its backward ops with. */
export interface GradContext {
  graph: Graph;
  node: Node;
  /** The node's inputs and outputs, for rules that reuse them (softmax reuses its output). */
  inputs: Value[];
  outputs: Value[];
  attrs: Attrs;
}

/**
 * Returns one gradient per input: a Value, or undefined where the input gets none (integer inputs,
 * masks, or an input that does not lie between the loss and a trainable tensor).
 * `needs[i]` says whether input i needs a gradient, so rules can skip work.
 */
export type GradRule = (ctx: GradContext, dOutputs: (Value | undefined)[], needs: boolean[]) => (Value | undefined)[];

export interface OpDef {
  /** Our name for the op (unique); usually the ONNX op type. */
  name: string;
  /** ONNX op type emitted (a composite emits its expansion instead). */
  onnx: string;
  domain?: string;
  /**
   * The node's ONNX input names from ours, for an ONNX op whose optional inputs we leave out ('' marks an absent
   * one, as ONNX spells it); default: the same names in the same order.
   */
  onnxInputNames?: (names: string[]) => string[];
  /** Attributes written to ONNX with their types; any other attrs are ours only (e.g. paddingIdx). */
  attrTypes?: Record<string, AttrType>;
  /** Number of outputs (default 1). A function when it depends on attrs. */
  outputs?: number | ((attrs: Attrs, inputs: Value[]) => number);
  /** The shape rule: output types from input types and attributes; throws on mismatch. */
  infer: (inputs: Value[], attrs: Attrs) => TypeInfo[];
  /** The gradient rule; absent means the op is not differentiable (autodiff fails loudly if it is needed). */
  grad?: GradRule;
  /** Input positions that never carry a gradient (indices, shapes, masks). */
  nonDifferentiable?: number[];
  /**
   * A composite op: its forward is built from other ops (so exports stay plain ONNX, and onnxruntime can fuse
   * the pattern into one kernel), while autodiff applies `grad` to the whole instead of differentiating each
   * piece, whose backward would read every intermediate and so keep the forward from being fused.
   * Single output; the intermediates it builds must not be used outside it.
   */
  expand?: (inputs: Value[], attrs: Attrs) => Value;
}

const registry = new Map<string, OpDef>();

/** Declares an op. Names must be unique: two definitions of one op would be two sources of truth. */
export function defineOp(def: OpDef): OpDef {
  if (registry.has(def.name)) throw new Error(`op ${def.name} is defined twice`);
  registry.set(def.name, def);
  return def;
}

export function definedOps(): OpDef[] {
  return [...registry.values()];
}

export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    public name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly producer: Node | undefined,
    readonly outputIndex: number,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}:${this.dtype}[${this.shape.join(',')}]`;
  }
}

export class Node {
  constructor(
    readonly id: number,
    readonly op: OpDef,
    readonly inputs: Value[],
    readonly attrs: Attrs,
    public outputs: Value[] = [],
    public name = `${op.name}_${id}`,
  ) {}
}


export interface Initializer {
  value: Value;
  tensor: ConstTensor;
  /** Large frozen weights go to external data (kept out of the 2 GB protobuf). */
  external: boolean;
}

/** Initializers of at least this many values go to external data unless asked otherwise. */
const EXTERNAL_MIN_VALUES = 1024;

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly initializers: Initializer[] = [];
  readonly outputs: { name: string; value: Value }[] = [];
  private nextId = 0;
  private readonly names = new Set<string>();
  /** Composite nodes (OpDef.expand) by the value they output; they are not in `nodes`, their pieces are. */
  private readonly composites = new Map<Value, Node>();
  /** Name scope prefix for generated value names (e.g. 'layer.3.attention'). */
  private scopes: string[] = [];

  /** Outer values a subgraph reads, each with its placeholder here. */
  private readonly captures = new Map<Value, Value>();
  /** 0 for a model's graph, 1 for a subgraph of it. */
  readonly depth: number;
  /** A subgraph whose node exists takes no more ops (they would never be encoded). */
  private sealed = false;

  /** `parent` makes this a subgraph: its value names are prefixed with `name`, so no name repeats one outside it. */
  constructor(
    readonly name = 'xlm_lab',
    readonly parent?: Graph,
  ) {
    this.depth = parent ? parent.depth + 1 : 0;
    if (parent) this.scopes = [name];
  }

  /** Ends a subgraph: an op on its values is an error from now on. */
  seal(): void {
    this.sealed = true;
  }

  /** This graph's placeholder for `v`: `v` itself when it is ours, a capture when it is the parent's. */
  capture(v: Value): Value {
    if (v.graph === this) return v;
    if (!this.parent || v.graph !== this.parent) throw new Error(`input ${v.name} belongs to another graph`);
    let placeholder = this.captures.get(v);
    if (!placeholder) {
      placeholder = new Value(this, this.nextId++, v.name, v.dtype, [...v.shape], undefined, 0);
      this.captures.set(v, placeholder);
    }
    return placeholder;
  }

  /** The parent's values this subgraph reads, with their placeholders (names are synced to the parent's when encoded). */
  captured(): { outer: Value; inner: Value }[] {
    return [...this.captures].map(([outer, inner]) => ({ outer, inner }));
  }

  private uniqueName(base: string): string {
    let name = base;
    let k = 1;
    while (this.names.has(name)) name = `${base}_${k++}`;
    this.names.add(name);
    return name;
  }

  private newValue(base: string, type: TypeInfo, producer?: Node, index = 0): Value {
    const name = this.uniqueName(base);
    return new Value(this, this.nextId++, name, type.dtype, [...type.shape], producer, index);
  }

  /** Runs `build` with names of the values it creates prefixed by `scope`. */
  scope<T>(scope: string, build: () => T): T {
    this.scopes.push(scope);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** A run-time input (ids, masks, trainable parameters, optimizer state). */
  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.names.has(name)) throw new Error(`graph input name ${name} is already used`);
    const value = this.newValue(name, { dtype, shape });
    this.inputs.push(value);
    return value;
  }

  /** A constant tensor stored in the model (frozen weights, small constants). */
  initializer(name: string, tensor: ConstTensor, opts: { external?: boolean } = {}): Value {
    if (this.names.has(name)) throw new Error(`initializer name ${name} is already used`);
    const size = tensor.shape.reduce((a, b) => a * b, 1);
    if (size !== tensor.data.length) throw new Error(`initializer ${name}: shape [${tensor.shape}] holds ${size} values, data has ${tensor.data.length}`);
    const value = this.newValue(name, { dtype: tensor.dtype, shape: tensor.shape });
    this.initializers.push({ value, tensor, external: opts.external ?? size >= EXTERNAL_MIN_VALUES });
    return value;
  }

  /** Turns a run-time input into a stored constant holding `tensor` (a frozen weight a GPU should keep in its memory). */
  bakeInput(value: Value, tensor: ConstTensor): void {
    const at = this.inputs.indexOf(value);
    if (at < 0) throw new Error(`${value.name} is not an input of graph ${this.name}`);
    this.inputs.splice(at, 1);
    this.initializers.push({ value, tensor, external: tensor.data.length >= EXTERNAL_MIN_VALUES });
  }

  /** Small constant; scalars are rank-0. */
  constant(data: number | number[], dtype: DType = 'float32', shape?: number[]): Value {
    const values = typeof data === 'number' ? [data] : data;
    const dims = shape ?? (typeof data === 'number' ? [] : [values.length]);
    const base = this.scoped(`const_${dtype}`);
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    return this.initializer(name, makeTensor(dtype, dims, values), { external: false });
  }

  /**
   * Marks a value as a graph output under `name`. A computed value that is not yet an output takes the name
   * itself, so its node writes the output directly: an Identity copy per output would be a whole extra pass
   * (and buffer) for every parameter and optimizer state a training step returns.
   */
  output(value: Value, name?: string): void {
    const outName = name ?? value.name;
    if (this.outputs.some((o) => o.name === outName)) throw new Error(`graph output ${outName} is declared twice`);
    if (outName !== value.name && value.producer && !this.outputs.some((o) => o.value === value) && !this.names.has(outName)) {
      this.names.delete(value.name);
      value.name = outName;
      this.names.add(outName);
    }
    this.outputs.push({ name: outName, value });
  }

  private scoped(base: string): string {
    return this.scopes.length ? `${this.scopes.join('/')}/${base}` : base;
  }

  /** Applies an op and returns all its outputs. */
  apply(op: OpDef, inputs: Value[], attrs: Attrs = {}): Value[] {
    // An op on a subgraph's values and its parent's belongs to the subgraph.
    const deepest = inputs.reduce<Graph | undefined>((g, v) => (v.graph.depth > (g?.depth ?? this.depth) ? v.graph : g), undefined);
    if (deepest) return deepest.apply(op, inputs, attrs);
    if (this.sealed) throw new Error(`${op.name}: ${inputs.find((v) => v.graph === this)?.name ?? 'an input'} is a value inside a finished If branch; use the If's outputs`);
    try {
      inputs = inputs.map((v) => this.capture(v));
    } catch (e) {
      throw new Error(`${op.name}: ${(e as Error).message}`);
    }
    let types: TypeInfo[];
    try {
      types = op.infer(inputs, attrs);
    } catch (e) {
      throw new Error(`${op.name}(${inputs.map(String).join(', ')}): ${(e as Error).message}`);
    }
    const node = new Node(this.nextId++, op, inputs, attrs);
    node.name = this.uniqueName(this.scoped(`${op.name}_${node.id}`));
    if (op.expand) return [this.expandComposite(node, types)];
    node.outputs = types.map((t, i) => this.newValue(this.scoped(`${op.name.toLowerCase()}_${node.id}${types.length > 1 ? `_${i}` : ''}`), t, node, i));
    this.nodes.push(node);
    return node.outputs;
  }

  private expandComposite(node: Node, types: TypeInfo[]): Value {
    const { op } = node;
    if (types.length !== 1) throw new Error(`composite op ${op.name} must have one output`);
    const out = op.expand!(node.inputs, node.attrs);
    if (!out.producer || node.inputs.includes(out) || this.composites.has(out)) throw new Error(`composite op ${op.name} must build a new value`);
    if (out.dtype !== types[0].dtype || out.shape.join() !== types[0].shape.join()) {
      throw new Error(`composite op ${op.name} built ${out}, its shape rule says ${types[0].dtype}[${types[0].shape.join(',')}]`);
    }
    node.outputs = [out];
    this.composites.set(out, node);
    return out;
  }

  /** The composite node whose output `value` is, if any: autodiff uses its rule in place of its pieces'. */
  compositeOf(value: Value): Node | undefined {
    return this.composites.get(value);
  }

  /** Applies a single-output op. */
  apply1(op: OpDef, inputs: Value[], attrs: Attrs = {}): Value {
    return this.apply(op, inputs, attrs)[0];
  }
}

export function makeTensor(dtype: DType, shape: number[], values: ArrayLike<number> | ArrayLike<bigint>): ConstTensor {
  const n = values.length;
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: Float32Array.from(values as ArrayLike<number>) };
    case 'float64':
      return { dtype, shape, data: Float64Array.from(values as ArrayLike<number>) };
    case 'int64': {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) data[i] = BigInt((values as ArrayLike<number | bigint>)[i]);
      return { dtype, shape, data };
    }
    case 'int32':
      return { dtype, shape, data: Int32Array.from(values as ArrayLike<number>) };
    case 'uint32':
      return { dtype, shape, data: Uint32Array.from(values as ArrayLike<number>) };
    case 'bool':
    case 'uint8':
      return { dtype, shape, data: Uint8Array.from(values as ArrayLike<number>) };
    case 'int8':
      return { dtype, shape, data: Int8Array.from(values as ArrayLike<number>) };
    case 'float16':
      throw new Error('float16 constants are not built from numbers; pass raw Uint16Array data');
  }
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
