/**
 * Runs test/helpers/reference_train.py (plain PyTorch XLM-R gradients and AdamW steps) for a tiny model.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface ReferenceBatch {
  input_ids: number[][];
  attention_mask: number[][];
  labels?: number[] | number[][];
  mlm_positions?: number[];
  mlm_labels?: number[];
  start_positions?: number[];
  end_positions?: number[];
}

export interface TrainReferenceRequest {
  model: string;
  task: 'seq-cls' | 'token-cls' | 'mlm' | 'qa';
  mode: 'grads' | 'train';
  init: Record<string, number[]>;
  lora?: { r: number; alpha: number; targets: string[] } | null;
  batches: ReferenceBatch[][];
  hp?: Record<string, number | string>;
}

export function runTrainReference<T>(request: TrainReferenceRequest): T {
  const r = spawnSync('/usr/bin/python3', [join(__dirname, 'reference_train.py')], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`reference_train.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
