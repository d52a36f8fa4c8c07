/**
 * onnxruntime input tensors from tokenizer batches: optimum's names, int64, [batch, seq].
 */
import { batchInputs, type Batch } from '../tokenize/encoding.js';
import { ort } from './session.js';

export interface ModelInputs {
  input_ids: ort.Tensor;
  attention_mask: ort.Tensor;
}

export function modelInputs(batch: Batch): ModelInputs {
  const { inputIds, attentionMask, dims } = batchInputs(batch);
  return {
    input_ids: new ort.Tensor('int64', inputIds, dims),
    attention_mask: new ort.Tensor('int64', attentionMask, dims),
  };
}

export function int64Tensor(values: readonly number[], dims: readonly number[] = [values.length]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/** Splits `items` into chunks of at most `size`, keeping order. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
