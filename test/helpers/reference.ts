/**
 * Runs test/helpers/reference_xlmr.py (plain PyTorch XLM-R) with Debian's Python and returns its output.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const REFERENCE_SCRIPT = join(__dirname, 'reference_xlmr.py');

export interface ReferenceRequest {
  model: string;
  head: 'mlm' | 'seq-cls' | 'token-cls' | 'qa' | 'encoder';
  input_ids: number[][];
  attention_mask: number[][];
  dtype?: 'float32' | 'float64';
}

export function runReference(request: ReferenceRequest): { shape: number[]; data: number[] } {
  const result = spawnSync('/usr/bin/python3', [REFERENCE_SCRIPT], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`reference_xlmr.py failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as { shape: number[]; data: number[] };
}
