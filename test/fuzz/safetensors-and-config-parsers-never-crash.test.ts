// Property-based fuzzing (fast-check) of the safetensors reader and the config.json parser: random and mutated
// inputs never crash, hang or allocate without bound; every refusal is an XlmError naming the file. The number
// of inputs each property ran is in its test name (fixed seeds, so a failure reproduces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { XlmError } from '../../src/engine/errors.js';
import { parseXlmrConfig, SIZE_LIMITS } from '../../src/engine/hf/config.js';
import { FLOAT_DTYPES, INT_DTYPES } from '../../src/engine/hf/dtype.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { writeSafetensors } from '../../src/engine/hf/safetensors-write.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

const RUNS = { bytes: 3000, mutated: 3000, headers: 3000, config: 5000, folder: 300 };
/** Allocation stays bounded: no input may grow the process's buffers by more than this. */
const MEMORY_BOUND = 256 * 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'xlm-fuzz-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'model.safetensors');

/** Opens the bytes as a safetensors file and reads every tensor; a refusal must be an XlmError naming the file. */
function openAndReadAll(bytes: Uint8Array): void {
  writeFileSync(file, bytes);
  const before = process.memoryUsage().arrayBuffers;
  try {
    const source = openSafetensors(file);
    try {
      for (const name of source.names()) {
        const { dtype } = source.info(name);
        if (FLOAT_DTYPES.includes(dtype)) source.readFloat32(name);
        else if (INT_DTYPES.includes(dtype)) source.readInt64(name);
        else source.readBytes(name);
      }
    } finally {
      source.close();
    }
  } catch (e) {
    assert.ok(e instanceof XlmError, `not an XlmError: ${(e as Error)?.stack ?? String(e)}`);
    assert.equal(e.place.file, file);
  }
  assert.ok(process.memoryUsage().arrayBuffers - before < MEMORY_BOUND, 'allocation stays bounded');
}

function safetensorsBytes(header: unknown, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(text.length));
  return Buffer.concat([length, text, data]);
}

/** A valid file to mutate: a few tensors of several dtypes. */
function validFile(): Buffer {
  const path = join(dir, 'valid.safetensors');
  writeSafetensors(
    path,
    new Map([
      ['a.weight', { dtype: 'F32' as const, shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) }],
      ['a.bias', { dtype: 'F16' as const, shape: [4], data: Float32Array.from([1, -2, 0.5, 3]) }],
      ['b', { dtype: 'BF16' as const, shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
      ['ids', { dtype: 'I64' as const, shape: [3], data: BigInt64Array.from([1n, 2n, 3n]) }],
    ]),
    { format: 'pt' },
  );
  return readFileSync(path);
}

test(`safetensors: ${RUNS.bytes} random byte strings are read or refused with an XlmError`, { timeout: 300_000 }, () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => openAndReadAll(bytes)), { numRuns: RUNS.bytes, seed: 19 });
});

test(`safetensors: ${RUNS.mutated} mutations of a valid file (flipped, cut, inserted bytes; a random header length) are read or refused`, { timeout: 300_000 }, () => {
  const valid = validFile();
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  );
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      let bytes = Buffer.from(valid);
      for (const m of mutations) {
        if (m.kind === 'flip') bytes[m.at % bytes.length] = m.value;
        else if (m.kind === 'cut') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
        else if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, m.at % (bytes.length + 1)), m.bytes, bytes.subarray(m.at % (bytes.length + 1))]);
        else if (bytes.length >= 8) bytes.writeBigUInt64LE(m.value, 0);
      }
      openAndReadAll(bytes);
    }),
    { numRuns: RUNS.mutated, seed: 19 },
  );
});

test(`safetensors: ${RUNS.headers} generated headers (any dtype string, huge or odd shapes and offsets, any JSON) are read or refused`, { timeout: 300_000 }, () => {
  const dimension = fc.oneof(fc.nat(8), fc.constantFrom(0, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e300, -1, 0.5), fc.anything());
  const entry = fc.record(
    {
      dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'U16', 'U32', 'BOOL', 'F8_E4M3'), fc.string(), fc.anything()),
      shape: fc.oneof(fc.array(dimension, { maxLength: 4 }), fc.anything()),
      data_offsets: fc.oneof(fc.tuple(fc.nat(64), fc.nat(64)), fc.array(dimension, { maxLength: 3 }), fc.anything()),
    },
    { requiredKeys: [] },
  );
  const header = fc.oneof(
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__metadata__', '__proto__', 'constructor')), fc.oneof(entry, fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())))),
    fc.json(),
  );
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 128 }), (h, data) => openAndReadAll(safetensorsBytes(h, data))),
    { numRuns: RUNS.headers, seed: 19 },
  );
});

const VALID_CONFIG = {
  model_type: 'xlm-roberta', vocab_size: 250002, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, layer_norm_eps: 1e-5,
  id2label: { 0: 'a', 1: 'b' }, label2id: { a: 0, b: 1 }, architectures: ['XLMRobertaForMaskedLM'],
};

test(`config.json: ${RUNS.config} random and mutated configs are parsed within bounds or refused naming the key`, { timeout: 300_000 }, () => {
  const value = fc.oneof(
    fc.integer(),
    fc.constantFrom(0, -1, 1e9, 1e12, 2 ** 53, 2 ** 53 + 2, 1e308, Infinity, NaN, 0.5),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('0', '1', '1000000000', '01', '-1')), fc.oneof(fc.string(), fc.integer())),
    fc.anything(),
  );
  const mutated = fc
    .tuple(fc.dictionary(fc.constantFrom(...Object.keys(VALID_CONFIG), 'hidden_act', 'position_embedding_type', 'is_decoder', 'problem_type', 'classifier_dropout', 'hidden_dropout_prob'), value), fc.subarray(Object.keys(VALID_CONFIG)))
    .map(([changes, removed]) => {
      const config: Record<string, unknown> = { ...VALID_CONFIG, ...changes };
      for (const key of removed) delete config[key];
      return config as unknown;
    });
  fc.assert(
    fc.property(fc.oneof(mutated, fc.anything(), fc.json().map((t) => JSON.parse(t) as unknown)), (json) => {
      try {
        const config = parseXlmrConfig(json, '/m/config.json');
        for (const [key, max] of Object.entries(SIZE_LIMITS)) assert.ok((config as unknown as Record<string, number>)[key] <= max, key);
        assert.ok(config.id2label.length <= Object.keys((json as Record<string, unknown>).id2label ?? { a: 0, b: 0 }).length);
      } catch (e) {
        assert.ok(e instanceof XlmError, `not an XlmError: ${(e as Error)?.stack ?? String(e)}`);
        assert.equal(e.place.file, '/m/config.json');
      }
    }),
    { numRuns: RUNS.config, seed: 19 },
  );
});

test(`model folder: ${RUNS.folder} mutated configs over real tiny weights load or are refused before building anything`, { timeout: 300_000 }, () => {
  const folder = join(dir, 'tiny');
  writeTinyXlmr(folder, { head: 'mlm', numLayers: 2 });
  const base = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  const size = fc.oneof(fc.nat(64), fc.constantFrom(0, 1, 2, 3, 31, 32, 33, 1e9, 2 ** 31, 2 ** 53));
  const changes = fc.dictionary(fc.constantFrom('vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'), size);
  fc.assert(
    fc.property(changes, fc.constantFrom(undefined, 'mlm', 'encoder') as fc.Arbitrary<'mlm' | 'encoder' | undefined>, (change, task) => {
      writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...base, ...change }));
      const before = process.memoryUsage().arrayBuffers;
      try {
        loadModelFolder(folder, task ? { head: task } : {}).close();
      } catch (e) {
        assert.ok(e instanceof XlmError, `not an XlmError: ${(e as Error)?.stack ?? String(e)}`);
        assert.match(e.place.file ?? '', /tiny/);
      }
      assert.ok(process.memoryUsage().arrayBuffers - before < MEMORY_BOUND);
    }),
    { numRuns: RUNS.folder, seed: 19 },
  );
});
