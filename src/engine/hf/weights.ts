import { hfError } from './hf-error.js';
import { ENCODER_PREFIX, HEAD_TENSOR_NAMES, MLM_HEAD, encoderTensorSpecs, headTensorSpecs, type ModelSizes, type TensorSpec } from './names.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import type { TensorInfo, TensorSource } from './safetensors.js';

/**
 * A checkpoint's tensors under the canonical names of names.ts, whatever spelling the checkpoint
 * used: the bare encoder (XLMRobertaModel) saves "embeddings.…" where task models save
 * "roberta.embeddings.…"; old conversions call LayerNorm parameters gamma/beta; older MLM saves keep
 * the output bias as lm_head.decoder.bias. Tensors are read from disk only when asked for.
 */
export interface ModelWeights {
  /** The safetensors file (or sharded index) the tensors come from: the file errors name. */
  readonly path: string;
  /** Canonical names of every stored tensor, unused ones (pooler) included. */
  names(): string[];
  has(name: string): boolean;
  /** Dtype, stored shape, file and stored name of a tensor; XlmError naming file and tensor if absent. */
  info(name: string): TensorInfo & { storedName: string };
  /**
   * The tensor as float32. With `expectedShape`, an XlmError naming the file, the tensor, the
   * expected and the actual shape when they differ. `into` receives the data when given.
   */
  get(name: string, expectedShape?: readonly number[], into?: Float32Array): Float32Array;
  /** Whether the checkpoint holds any tensor of this head (a base model has none of the classifiers). */
  hasHead(head: HeadKind): boolean;
  /** Checks presence and shape of every listed tensor without reading data; the first problem throws. */
  check(specs: readonly TensorSpec[]): void;
  close(): void;
}

const ENCODER_PARTS = ['embeddings.', 'encoder.', 'pooler.'];

export function modelWeights(source: TensorSource): ModelWeights {
  const stored = source.names();
  const unprefixed = !stored.some((n) => n.startsWith(ENCODER_PREFIX)) && stored.some((n) => ENCODER_PARTS.some((p) => n.startsWith(p)));
  const canonicalToStored = new Map<string, string>();
  for (const name of stored) {
    let canonical = unprefixed && ENCODER_PARTS.some((p) => name.startsWith(p)) ? ENCODER_PREFIX + name : name;
    canonical = canonical.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    // An exact spelling wins over an alias of it when a checkpoint has both.
    if (!canonicalToStored.has(canonical) || canonical === name) canonicalToStored.set(canonical, name);
  }
  if (!canonicalToStored.has(MLM_HEAD.bias) && canonicalToStored.has(MLM_HEAD.tiedDecoderBias)) {
    canonicalToStored.set(MLM_HEAD.bias, MLM_HEAD.tiedDecoderBias);
  }

  const storedName = (name: string): string => {
    const found = canonicalToStored.get(name);
    if (found === undefined) {
      const spelled = unprefixed && name.startsWith(ENCODER_PREFIX) ? ` (looked for '${name.slice(ENCODER_PREFIX.length)}', this checkpoint has no '${ENCODER_PREFIX}' prefix)` : '';
      throw hfError('tensor-missing', source.path, `no tensor '${name}' in this checkpoint${spelled}`, name);
    }
    return found;
  };
  const info = (name: string) => {
    const stored = storedName(name);
    return { ...source.info(stored), storedName: stored };
  };
  const checkShape = (name: string, expected: readonly number[]) => {
    const found = info(name);
    if (!sameShape(found.shape, expected)) {
      throw hfError('tensor-shape', found.file, `tensor '${found.storedName}' has shape [${found.shape.join(', ')}], expected [${expected.join(', ')}]`, found.storedName);
    }
    return found;
  };

  return {
    path: source.path,
    names: () => [...canonicalToStored.keys()],
    has: (name) => canonicalToStored.has(name),
    info,
    get: (name, expectedShape, into) => {
      const found = expectedShape ? checkShape(name, expectedShape) : info(name);
      return assertFinite(source.readFloat32(found.storedName, into), found);
    },
    hasHead: (head) => HEAD_TENSOR_NAMES[head].some((name) => canonicalToStored.has(name)),
    check: (specs) => {
      for (const spec of specs) checkShape(spec.name, spec.shape);
    },
    close: () => source.close(),
  };
}

/** The tensors a model with `head` needs: the encoder's, plus the head's. */
export function requiredTensorSpecs(config: ModelSizes & { id2label: string[] }, head?: HeadKind): TensorSpec[] {
  const specs = encoderTensorSpecs(config);
  return head ? specs.concat(headTensorSpecs(config, head, config.id2label.length)) : specs;
}

/**
 * NaN or infinite weights (a diverged run, a broken conversion) would print NaN probabilities with no error;
 * they are refused at load, naming the tensor, the first bad element and how many there are.
 */
function assertFinite(data: Float32Array, found: TensorInfo & { storedName: string }): Float32Array {
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for every finite x and NaN for NaN and ±Infinity: one test per element.
    if (data[i] - data[i] !== 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return data;
  let count = 0;
  for (let i = first; i < data.length; i++) if (!Number.isFinite(data[i])) count++;
  throw hfError(
    'tensor-not-finite',
    found.file,
    `tensor '${found.storedName}' holds ${count} value${count === 1 ? '' : 's'} that are NaN or infinite (the first, ${data[first]}, at element ${first} of ${data.length}); ` +
      'the weights are damaged (a training run that diverged, or a broken conversion). Use another checkpoint, or train again with a lower learning rate',
    found.storedName,
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
