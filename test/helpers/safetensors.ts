/** Every tensor of a safetensors file as float32, by name: what tests compare checkpoints with. */
import { openSafetensors } from '../../src/engine/hf/safetensors.js';

export function readAllFloat32(file: string): Map<string, Float32Array> {
  const s = openSafetensors(file);
  try {
    return new Map(s.names().map((n) => [n, s.readFloat32(n)]));
  } finally {
    s.close();
  }
}
