// Writing then reading safetensors keeps names, shapes, metadata and values; the file appears atomically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmError } from '../../src/engine/errors.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { writeSafetensors } from '../../src/engine/hf/safetensors-write.js';
import { openShardedSafetensors } from '../../src/engine/hf/sharded.js';
import { createRng, normalArray } from '../../src/engine/rng/rng.js';

function withTempDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-st-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('F32, I64 and I32 tensors round-trip exactly with their shapes and metadata', () => {
  withTempDir((dir) => {
    const path = join(dir, 'model.safetensors');
    const rng = createRng(1);
    const weight = normalArray(rng, 6 * 5, 0.3);
    const bias = normalArray(rng, 6, 0.3);
    writeSafetensors(
      path,
      {
        'dense.weight': { dtype: 'F32', shape: [6, 5], data: weight },
        'dense.bias': { dtype: 'F32', shape: [6], data: Array.from(bias) },
        position_ids: { dtype: 'I64', shape: [1, 4], data: [0, 1, 2, 3] },
        counts: { dtype: 'I32', shape: [2], data: new Int32Array([-3, 2 ** 31 - 1]) },
        scalar: { dtype: 'F32', shape: [], data: [2.5] },
      },
      { format: 'pt' },
    );
    assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'no temporary file is left beside the result');
    const file = openSafetensors(path);
    try {
      assert.deepEqual(file.names(), ['dense.weight', 'dense.bias', 'position_ids', 'counts', 'scalar']);
      assert.deepEqual(file.metadata, { format: 'pt' });
      assert.deepEqual(file.info('dense.weight').shape, [6, 5]);
      assert.equal(file.info('dense.weight').dtype, 'F32');
      assert.deepEqual(file.readFloat32('dense.weight'), weight);
      assert.deepEqual(file.readFloat32('dense.bias'), bias);
      const into = new Float32Array(30);
      assert.equal(file.readFloat32('dense.weight', into), into, 'reads into the buffer it is given');
      assert.deepEqual(into, weight);
      assert.deepEqual([...file.readInt64('position_ids')], [0n, 1n, 2n, 3n]);
      assert.deepEqual([...file.readInt64('counts')], [-3n, 2n ** 31n - 1n]);
      assert.deepEqual([...file.readFloat32('scalar')], [2.5]);
      assert.equal(file.readBytes('dense.bias').length, 24);
    } finally {
      file.close();
    }
  });
});

test('the header is padded so the data starts on an 8-byte boundary', () => {
  withTempDir((dir) => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const path = join(dir, `${name}.safetensors`);
      writeSafetensors(path, { [name]: { dtype: 'F32', shape: [1], data: [1] } });
      const bytes = readFileSync(path);
      const headerLength = Number(bytes.readBigUInt64LE(0));
      assert.equal((8 + headerLength) % 8, 0, `header of ${name}`);
      assert.match(bytes.subarray(8, 8 + headerLength).toString(), /^\{.*\} *$/);
    }
  });
});

test('F16 and BF16 tensors read back as the nearest representable float32 values', () => {
  withTempDir((dir) => {
    const path = join(dir, 'half.safetensors');
    const values = new Float32Array([0, 1, -2, 0.5, 3.140625, 65504, 1e-3, -0.1]);
    writeSafetensors(path, {
      h: { dtype: 'F16', shape: [8], data: values },
      b: { dtype: 'BF16', shape: [2, 4], data: values },
    });
    const file = openSafetensors(path);
    try {
      const h = file.readFloat32('h');
      const b = file.readFloat32('b');
      // Exactly representable in both formats: unchanged.
      for (const i of [0, 1, 2, 3, 4]) {
        assert.equal(h[i], values[i]);
        assert.equal(b[i], values[i]);
      }
      assert.equal(h[5], 65504);
      // F16 keeps 11 significant bits, BF16 8: relative error within half an ulp.
      for (const i of [6, 7]) {
        assert.ok(Math.abs(h[i] - values[i]) <= Math.abs(values[i]) * 2 ** -11, `F16 ${h[i]} vs ${values[i]}`);
        assert.ok(Math.abs(b[i] - values[i]) <= Math.abs(values[i]) * 2 ** -8, `BF16 ${b[i]} vs ${values[i]}`);
        assert.notEqual(b[i], values[i]);
      }
      assert.equal(file.readBytes('h').length, 16);
    } finally {
      file.close();
    }
  });
});

test('a float reader refuses an integer tensor and an integer reader a float tensor, naming both', () => {
  withTempDir((dir) => {
    const path = join(dir, 'mixed.safetensors');
    writeSafetensors(path, { ids: { dtype: 'I64', shape: [1], data: [4] }, w: { dtype: 'F32', shape: [1], data: [4] } });
    const file = openSafetensors(path);
    try {
      assert.throws(() => file.readFloat32('ids'), (e: unknown) => e instanceof XlmError && e.code === 'hf/tensor-dtype' && /ids.*I64/.test(e.message) && e.place.file === path);
      assert.throws(() => file.readInt64('w'), (e: unknown) => e instanceof XlmError && /'w' is F32/.test(e.message));
      assert.throws(() => file.info('nope'), (e: unknown) => e instanceof XlmError && e.code === 'hf/tensor-missing' && e.place.what === 'nope' && e.place.file === path);
    } finally {
      file.close();
    }
  });
});

test('the writer refuses data that does not fill the shape, and leaves no file', () => {
  withTempDir((dir) => {
    const path = join(dir, 'bad.safetensors');
    assert.throws(() => writeSafetensors(path, { w: { dtype: 'F32', shape: [2, 3], data: [1, 2, 3] } }), /shape \[2, 3\] \(6 elements\) but 3 values/);
    assert.throws(() => writeSafetensors(path, { w: { dtype: 'I64', shape: [1], data: [1.5] } }), /not an integer/);
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('a sharded checkpoint reads each tensor from the shard its index names', () => {
  withTempDir((dir) => {
    const a = new Float32Array([1, 2, 3]);
    const b = new Float32Array([4, 5]);
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { a: { dtype: 'F32', shape: [3], data: a } });
    writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { b: { dtype: 'BF16', shape: [2], data: b } });
    const indexPath = join(dir, 'model.safetensors.index.json');
    writeFileSync(indexPath, JSON.stringify({ metadata: { total_size: 16 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }));
    const source = openShardedSafetensors(indexPath);
    try {
      assert.equal(source.path, indexPath);
      assert.deepEqual(source.names().sort(), ['a', 'b']);
      assert.deepEqual(source.readFloat32('a'), a);
      assert.deepEqual(source.readFloat32('b'), b);
      assert.equal(source.info('b').file, join(dir, 'model-00002-of-00002.safetensors'));
      assert.equal(source.metadata.total_size, '16');
      assert.throws(() => source.readFloat32('c'), (e: unknown) => e instanceof XlmError && e.place.file === indexPath && e.place.what === 'c');
    } finally {
      source.close();
    }
  });
});
