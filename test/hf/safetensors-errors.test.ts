// Every way a safetensors file can be broken gives one XlmError that names the file (and the tensor
// when one is at fault) at open, before any tensor is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmError, describeError } from '../../src/engine/errors.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { writeSafetensors } from '../../src/engine/hf/safetensors-write.js';
import { openShardedSafetensors } from '../../src/engine/hf/sharded.js';

/** A safetensors file from a header object (or raw header text) and a data section of `dataBytes` bytes. */
function craft(header: unknown, dataBytes: number, options: { declaredLength?: bigint } = {}): Buffer {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(options.declaredLength ?? BigInt(text.length));
  return Buffer.concat([length, text, Buffer.alloc(dataBytes)]);
}

const good = { __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] } };

interface Case {
  name: string;
  bytes: Buffer;
  code: string;
  /** The tensor the error must name, when one is at fault. */
  tensor?: string;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'a file shorter than the length field', bytes: Buffer.from([1, 2, 3]), code: 'hf/safetensors-header', message: /3 bytes long, too short/ },
  { name: 'a header length beyond the file size', bytes: craft(good, 24, { declaredLength: 10_000n }), code: 'hf/safetensors-header', message: /header length of 10000 bytes.*holds only/ },
  { name: 'an absurd header length (not safetensors at all)', bytes: craft(good, 24, { declaredLength: 2n ** 63n }), code: 'hf/safetensors-header', message: /header length of 9223372036854775808/ },
  { name: 'a header over the 100 MB limit', bytes: craft(good, 24, { declaredLength: 150_000_000n }), code: 'hf/safetensors-header', message: /header length of 150000000 bytes, over the limit of 100000000 bytes \(100 MB\)/ },
  { name: 'a header that is not JSON', bytes: craft('{"w": {"dtype": "F32",', 0), code: 'hf/safetensors-header', message: /not valid JSON/ },
  { name: 'a header that is a JSON array', bytes: craft([1, 2], 0), code: 'hf/safetensors-header', message: /an array; expected an object of tensors/ },
  { name: 'an unknown dtype', bytes: craft({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), code: 'hf/safetensors-header', tensor: 'w', message: /dtype the string "F128"; expected one of .*BF16/ },
  { name: 'a negative dimension', bytes: craft({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), code: 'hf/safetensors-header', tensor: 'w', message: /shape \[-1\]/ },
  { name: 'offsets that are not a pair', bytes: craft({ w: { dtype: 'F32', shape: [1], data_offsets: [4] } }, 4), code: 'hf/safetensors-header', tensor: 'w', message: /data_offsets \[4\]/ },
  { name: 'end before begin', bytes: craft({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8), code: 'hf/safetensors-header', tensor: 'w', message: /0 ≤ begin ≤ end/ },
  {
    name: 'a shape × dtype size that disagrees with the offsets',
    bytes: craft({ w: { dtype: 'F16', shape: [3, 2], data_offsets: [0, 24] } }, 24),
    code: 'hf/safetensors-header',
    tensor: 'w',
    message: /shape \[3, 2\] of F16, which needs 12 bytes, but its data_offsets \[0, 24\] span 24 bytes/,
  },
  {
    name: 'overlapping tensors',
    bytes: craft({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, 16),
    code: 'hf/safetensors-header',
    tensor: 'b',
    message: /overlap tensor 'a'/,
  },
  {
    name: 'a hole between tensors',
    bytes: craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12),
    code: 'hf/safetensors-header',
    tensor: 'b',
    message: /bytes 4\.\.8 belong to no tensor/,
  },
  { name: 'a tensor past the end of the file (truncated)', bytes: craft(good, 20), code: 'hf/safetensors-truncated', tensor: 'b', message: /is truncated: tensor 'b' needs data bytes 16\.\.24.*only 20 bytes/ },
  { name: 'bytes after the last tensor', bytes: craft(good, 32), code: 'hf/safetensors-header', message: /8 more bytes after them/ },
  { name: 'metadata that is not strings', bytes: craft({ __metadata__: { step: 5 }, ...{ w: good.w } }, 16), code: 'hf/safetensors-header', message: /"__metadata__.step" is number 5; metadata values must be strings/ },
];

for (const c of cases) {
  test(`safetensors with ${c.name} is refused, naming the file${c.tensor ? ' and the tensor' : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlm-st-bad-'));
    try {
      const path = join(dir, 'model.safetensors');
      writeFileSync(path, c.bytes);
      assert.throws(
        () => openSafetensors(path),
        (e: unknown) => {
          assert.ok(e instanceof XlmError, `expected an XlmError, got ${String(e)}`);
          assert.equal(e.code, c.code);
          assert.equal(e.place.file, path);
          assert.ok(describeError(e).startsWith(`${path}: `), `the printed error starts with the file: ${describeError(e)}`);
          assert.equal(describeError(e).split(path).length, 2, `the file is named once: ${describeError(e)}`);
          assert.match(e.message, c.message);
          if (c.tensor) {
            assert.equal(e.place.what, c.tensor);
            assert.ok(e.message.includes(`'${c.tensor}'`), `the message names tensor ${c.tensor}: ${e.message}`);
          }
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('the control case of the table above opens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-st-bad-'));
  try {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, craft(good, 24));
    const file = openSafetensors(path);
    assert.deepEqual(file.names(), ['w', 'b']);
    file.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a real file cut short by a failed copy names the file and the first tensor it lost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-st-bad-'));
  try {
    const path = join(dir, 'model.safetensors');
    writeSafetensors(path, {
      first: { dtype: 'F32', shape: [64], data: new Float32Array(64).fill(1) },
      second: { dtype: 'F16', shape: [64], data: new Float32Array(64).fill(2) },
    });
    const size = readFileSync(path).length;
    truncateSync(path, size - 100);
    assert.throws(() => openSafetensors(path), (e: unknown) => e instanceof XlmError && e.code === 'hf/safetensors-truncated' && e.place.what === 'second' && describeError(e).startsWith(`${path}: the file is truncated: tensor 'second'`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sharded index that is broken, points at a missing shard, or lists a tensor its shard lacks is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-st-bad-'));
  try {
    const index = join(dir, 'model.safetensors.index.json');
    const shard = 'model-00001-of-00001.safetensors';
    writeSafetensors(join(dir, shard), { a: { dtype: 'F32', shape: [1], data: [1] } });
    const refuses = (content: string, code: string, pattern: RegExp, what?: string) => {
      writeFileSync(index, content);
      assert.throws(
        () => openShardedSafetensors(index),
        (e: unknown) => e instanceof XlmError && e.code === code && pattern.test(describeError(e)) && (what === undefined || e.place.what === what),
      );
    };
    refuses('{"weight_map": ', 'hf/json-syntax', /model\.safetensors\.index\.json:1:\d+: not valid JSON/);
    refuses('{"metadata": {}}', 'hf/safetensors-index', /"weight_map" is undefined/);
    refuses(JSON.stringify({ weight_map: { a: 'model-00002-of-00002.safetensors' } }), 'hf/file-missing', /puts tensor 'a' in model-00002-of-00002\.safetensors, but .* does not exist/, 'a');
    refuses(JSON.stringify({ weight_map: { a: shard, b: shard } }), 'hf/tensor-missing', /puts tensor 'b' in model-00001-of-00001\.safetensors, but .* has no such tensor/, 'b');
    refuses(JSON.stringify({ weight_map: { a: '../elsewhere.safetensors' } }), 'hf/safetensors-index', /expected a file name in the same folder/, 'a');
    writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), craft(good, 10));
    refuses(JSON.stringify({ weight_map: { a: shard, w: 'model-00002-of-00002.safetensors' } }), 'hf/safetensors-truncated', /model-00002-of-00002\.safetensors: the file is truncated/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
