// Our safetensors reader and writer against files written and checked by Python (numpy, PyTorch):
// the byte layout, and F16/BF16 rounding and decoding, must match theirs bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { writeSafetensors } from '../../src/engine/hf/safetensors-write.js';
import { createRng } from '../../src/engine/rng/rng.js';

function python(script: string, ...args: string[]): string {
  const run = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
  return run.stdout;
}

/** Values that exercise rounding: ties, subnormals, overflow, signed zeros, infinities, NaN, and a wide random spread. */
function trickyFloats(): Float32Array {
  const fixed = [
    0, -0, 1, -1, 0.1, 1 / 3, 65504, 65519.99, 65520, 1e6, -1e6, Infinity, -Infinity, NaN,
    1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20,
    2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -25, 2 ** -14, 2 ** -14 - 2 ** -25, 6.1e-5, 1e-8, 1e-40, -1e-40,
    3.4e38, 1.7e38, 255.5, 256.5, 2049, 2051,
  ];
  const rng = createRng(7);
  const out = new Float32Array(fixed.length + 2000);
  out.set(fixed);
  for (let i = fixed.length; i < out.length; i++) out[i] = (rng.next() < 0.5 ? -1 : 1) * Math.exp(rng.next() * 60 - 40);
  return out;
}

const PY_HEADER_IO = `
import json, struct, sys
import numpy as np
import torch
def read_st(path):
    data = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return n, header, body
def write_st(path, tensors, metadata):
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
`;

test('tensors written by Python (numpy F16, torch BF16, I64, I32) read back with the values numpy and torch decode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-st-py-'));
  try {
    const path = join(dir, 'from-python.safetensors');
    python(
      PY_HEADER_IO +
        `
rng = np.random.default_rng(3)
src = np.concatenate([np.array([0, -0.0, 1, 65504, 65520, 1e-7, 2**-24, 2**-25, np.inf, -np.inf, np.nan], dtype=np.float32),
                      (rng.standard_normal(997) * np.exp(rng.uniform(-20, 12, 997))).astype(np.float32)])
f16 = src.astype(np.float16)
bf16 = torch.from_numpy(src).to(torch.bfloat16)
i64 = np.array([0, -1, 2**62, -2**62, 250001, 7], dtype=np.int64)
i32 = np.array([[1, -2, 3], [2**31 - 1, -2**31, 0]], dtype=np.int32)
write_st(sys.argv[1], {
  'f32': ('F32', [2, 504], src.tobytes()),
  'f16': ('F16', [1008], f16.tobytes()),
  'f16_decoded': ('F32', [1008], f16.astype(np.float32).tobytes()),
  'bf16': ('BF16', [4, 252], bf16.view(torch.int16).numpy().tobytes()),
  'bf16_decoded': ('F32', [1008], bf16.float().numpy().tobytes()),
  'i64': ('I64', [6], i64.tobytes()),
  'i32': ('I32', [2, 3], i32.tobytes()),
}, {'format': 'pt', 'source': 'python'})
`,
      path,
    );
    const file = openSafetensors(path);
    try {
      assert.deepEqual(file.metadata, { format: 'pt', source: 'python' });
      assert.deepEqual(file.info('bf16').shape, [4, 252]);
      const sameBits = (actual: Float32Array, expected: Float32Array, what: string) => {
        assert.equal(actual.length, expected.length);
        for (let i = 0; i < actual.length; i++) {
          if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(actual[i]), `${what}[${i}] should be NaN`);
          else assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
        }
      };
      sameBits(file.readFloat32('f16'), file.readFloat32('f16_decoded'), 'f16');
      sameBits(file.readFloat32('bf16'), file.readFloat32('bf16_decoded'), 'bf16');
      assert.equal(file.readFloat32('f32')[3], 65504);
      assert.deepEqual([...file.readInt64('i64')], [0n, -1n, 2n ** 62n, -(2n ** 62n), 250001n, 7n]);
      assert.deepEqual([...file.readInt64('i32')], [1n, -2n, 3n, 2n ** 31n - 1n, -(2n ** 31n), 0n]);
    } finally {
      file.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files we write parse in Python, with F16/BF16 bytes equal to numpy and torch rounding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-st-py-'));
  try {
    const path = join(dir, 'from-ts.safetensors');
    const src = trickyFloats();
    writeSafetensors(
      path,
      {
        src: { dtype: 'F32', shape: [src.length], data: src },
        f16: { dtype: 'F16', shape: [src.length], data: src },
        bf16: { dtype: 'BF16', shape: [src.length], data: src },
        i64: { dtype: 'I64', shape: [2, 2], data: new BigInt64Array([-5n, 2n ** 40n, 0n, 9n]) },
        ids: { dtype: 'I64', shape: [3], data: [1, 250001, -7] },
        empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      },
      { format: 'pt', note: 'héllo' },
    );
    const report = JSON.parse(
      python(
        PY_HEADER_IO +
          `
n, header, body = read_st(sys.argv[1])
def raw(name):
    b, e = header[name]['data_offsets']
    return body[b:e]
src = np.frombuffer(raw('src'), dtype=np.float32)
want_f16 = src.astype(np.float16)
got_f16 = np.frombuffer(raw('f16'), dtype=np.float16)
want_bf16 = torch.from_numpy(src.copy()).to(torch.bfloat16).view(torch.int16).numpy()
got_bf16 = np.frombuffer(raw('bf16'), dtype=np.int16)
nan = np.isnan(src)
print(json.dumps({
  'aligned': (8 + n) % 8 == 0,
  'metadata': header['__metadata__'],
  'order': [k for k in header if k != '__metadata__'],
  'f16_mismatches': int(((want_f16.view(np.int16) != got_f16.view(np.int16)) & ~nan).sum()),
  'f16_nan_ok': bool(np.isnan(got_f16[nan]).all()),
  'bf16_mismatches': int(((want_bf16 != got_bf16) & ~nan).sum()),
  'bf16_nan_ok': bool(np.isnan(torch.from_numpy(got_bf16.copy()).view(torch.bfloat16).float().numpy()[nan]).all()),
  'i64': np.frombuffer(raw('i64'), dtype=np.int64).reshape(header['i64']['shape']).tolist(),
  'ids': np.frombuffer(raw('ids'), dtype=np.int64).tolist(),
  'empty_shape': header['empty']['shape'],
  'data_size_ok': max(t['data_offsets'][1] for k, t in header.items() if k != '__metadata__') == len(body),
}))
`,
        path,
      ),
    );
    assert.deepEqual(report, {
      aligned: true,
      metadata: { format: 'pt', note: 'héllo' },
      order: ['src', 'f16', 'bf16', 'i64', 'ids', 'empty'],
      f16_mismatches: 0,
      f16_nan_ok: true,
      bf16_mismatches: 0,
      bf16_nan_ok: true,
      i64: [[-5, 2 ** 40], [0, 9]],
      ids: [1, 250001, -7],
      empty_shape: [0, 4],
      data_size_ok: true,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
