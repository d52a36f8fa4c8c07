/**
 * Int8 weights for `--dtype int8` inference, made at load time from the checkpoint's float weights (fp32, fp16 or
 * bf16 alike: the loader hands them over as float32), so a model needs no extra files to run quantized.
 *
 * Symmetric, per output channel: each output's weights share one scale, max|w| / 127, and zero maps to zero. A
 * channel's scale follows its own largest weight, so one large row (an embedding of a frequent token) costs the
 * others no precision. The activations are quantized at run time by DynamicQuantizeMatMul (graph/ops/quantized.ts).
 */

import type { InferenceDtype } from '../rpc/protocol.js';

export type { InferenceDtype };

export interface QuantizedMatrix {
  /** int8 [in, out], the layout a MatMul's right operand has (B [K, N]). */
  weight: Int8Array;
  /** float32 [out]: weight[i, o] * scale[o] ≈ the float weight. */
  scale: Float32Array;
}

/** A weight stored [out, in] (nn.Linear's layout, or an embedding table used as a decoder) → int8 [in, out] with per-output scales. */
export function quantizePerOutput(stored: Float32Array, outFeatures: number, inFeatures: number): QuantizedMatrix {
  if (stored.length !== outFeatures * inFeatures) throw new Error(`weight of ${stored.length} values is not [${outFeatures}, ${inFeatures}]`);
  const scale = new Float32Array(outFeatures);
  for (let o = 0; o < outFeatures; o++) {
    let largest = 0;
    for (let i = o * inFeatures, end = i + inFeatures; i < end; i++) largest = Math.max(largest, Math.abs(stored[i]!));
    // An all-zero output (a pruned unit) keeps scale 1: its int8 weights are 0 whatever the scale.
    scale[o] = largest > 0 ? largest / 127 : 1;
  }
  // Transposed while quantized, in blocks so that both sides stay in cache (a 250k-word decoder table too).
  const weight = new Int8Array(outFeatures * inFeatures);
  const B = 64;
  for (let o0 = 0; o0 < outFeatures; o0 += B) {
    const o1 = Math.min(outFeatures, o0 + B);
    for (let i0 = 0; i0 < inFeatures; i0 += B) {
      const i1 = Math.min(inFeatures, i0 + B);
      for (let o = o0; o < o1; o++) {
        const row = o * inFeatures;
        const s = scale[o]!;
        for (let i = i0; i < i1; i++) weight[i * outFeatures + o] = Math.max(-127, Math.min(127, Math.round(stored[row + i]! / s)));
      }
    }
  }
  return { weight, scale };
}
