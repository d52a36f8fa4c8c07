// Loading Hugging Face model folders: every layout XLM-R checkpoints come in, and one clear error
// (naming the folder, the file and the tensor) for each way a folder can be wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, statSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmError, describeError } from '../../src/engine/errors.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { EMBEDDINGS, MLM_HEAD, SEQ_CLS_HEAD, TOKEN_CLS_HEAD, layerNames } from '../../src/engine/hf/names.js';
import type { HeadKind } from '../../src/engine/tasks/vocabulary.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { writeSafetensors, type TensorToWrite } from '../../src/engine/hf/safetensors-write.js';
import { writeTinyXlmr, type TinyXlmrOptions } from '../helpers/tiny-model.js';
import { tinyVocabSize } from '../helpers/tiny-tokenizer.js';

function withTiny(opts: TinyXlmrOptions, run: (dir: string, tiny: ReturnType<typeof writeTinyXlmr>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-folder-'));
  try {
    run(dir, writeTinyXlmr(dir, opts));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rewrites model.safetensors after `change` edits its tensors (stored names, F32). */
function rewriteWeights(dir: string, change: (tensors: Map<string, TensorToWrite>) => void): void {
  const path = join(dir, 'model.safetensors');
  const file = openSafetensors(path);
  const tensors = new Map<string, TensorToWrite>();
  for (const name of file.names()) tensors.set(name, { dtype: 'F32', shape: file.info(name).shape, data: file.readFloat32(name) });
  file.close();
  change(tensors);
  writeSafetensors(path, tensors, { format: 'pt' });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expectError(run: () => unknown, code: string, checks: { file?: string; what?: string; message: RegExp }): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof XlmError, `expected an XlmError, got ${String(e)}`);
    assert.equal(e.code, code, describeError(e));
    if (checks.file !== undefined) assert.equal(e.place.file, checks.file);
    if (checks.what !== undefined) assert.equal(e.place.what, checks.what);
    assert.match(describeError(e), checks.message);
    return true;
  });
}

const heads: Array<{ head: TinyXlmrOptions['head']; present: HeadKind[] }> = [
  { head: 'none', present: [] },
  { head: 'mlm', present: ['mlm'] },
  { head: 'seq-cls', present: ['seq-cls'] },
  { head: 'token-cls', present: ['token-cls'] },
  { head: 'all', present: ['mlm', 'seq-cls', 'token-cls'] },
];

for (const { head, present } of heads) {
  test(`a tiny folder with head "${head}" loads, with the weights that were written`, () => {
    withTiny({ head, seed: 5, labels: ['neg', 'pos'] }, (dir, tiny) => {
      const folder = loadModelFolder(dir, { head: present[0] ?? 'encoder' });
      try {
        assert.equal(folder.dir, dir);
        assert.equal(folder.config.vocab_size, tinyVocabSize());
        assert.equal(folder.config.hidden_size, 32);
        assert.equal(folder.config.num_hidden_layers, 2);
        assert.equal(folder.config.layer_norm_eps, 1e-5);
        if (present.some((h) => h !== 'mlm')) assert.deepEqual(folder.config.id2label, ['neg', 'pos']);
        assert.equal((folder.tokenizerJson.model as { type: string }).type, 'Unigram');
        assert.equal(folder.tokenizerConfig?.tokenizer_class, 'XLMRobertaTokenizer');
        assert.equal(folder.specialTokens.mask, '<mask>');
        assert.deepEqual(folder.listTensorNames().sort(), [...tiny.tensors.keys()].sort());
        for (const kind of ['mlm', 'seq-cls', 'token-cls'] as const) assert.equal(folder.weights.hasHead(kind), present.includes(kind), kind);
        for (const [name, { shape, data }] of tiny.tensors) assert.deepEqual(folder.weights.get(name, shape), data, name);
      } finally {
        folder.close();
      }
    });
  });
}

test('a bare XLMRobertaModel checkpoint (no "roberta." prefix) is read under the prefixed names', () => {
  withTiny({ head: 'none', prefix: false, seed: 2 }, (dir, tiny) => {
    const stored = openSafetensors(join(dir, 'model.safetensors'));
    assert.ok(stored.has('embeddings.word_embeddings.weight') && !stored.has(EMBEDDINGS.word));
    stored.close();
    const folder = loadModelFolder(dir, { head: 'encoder' });
    try {
      const query = layerNames(1).queryWeight;
      assert.deepEqual(folder.weights.get(query, [32, 32]), tiny.tensors.get(query)!.data);
      assert.equal(folder.weights.info(query).storedName, 'encoder.layer.1.attention.self.query.weight');
      assert.ok(folder.listTensorNames().includes(EMBEDDINGS.word));
    } finally {
      folder.close();
    }
  });
});

test('a sharded checkpoint folder loads every tensor from its shard', () => {
  withTiny({ head: 'mlm', shards: 3, seed: 4 }, (dir, tiny) => {
    const folder = loadModelFolder(dir, { head: 'mlm' });
    try {
      assert.equal(folder.weights.path, join(dir, 'model.safetensors.index.json'));
      const files = new Set(folder.listTensorNames().map((n) => folder.weights.info(n).file));
      assert.equal(files.size, 3);
      for (const [name, { data }] of tiny.tensors) assert.deepEqual(folder.weights.get(name), data, name);
    } finally {
      folder.close();
    }
  });
});

for (const dtype of ['F16', 'BF16'] as const) {
  test(`a ${dtype} checkpoint loads as float32 within the format's rounding`, () => {
    withTiny({ head: 'mlm', dtype, seed: 6 }, (dir, tiny) => {
      const folder = loadModelFolder(dir, { head: 'mlm' });
      try {
        assert.equal(folder.weights.info(MLM_HEAD.bias).dtype, dtype);
        const relative = dtype === 'F16' ? 2 ** -11 : 2 ** -8;
        for (const [name, { data }] of tiny.tensors) {
          const got = folder.weights.get(name);
          for (let i = 0; i < data.length; i++) {
            assert.ok(Math.abs(got[i] - data[i]) <= Math.abs(data[i]) * relative + 2 ** -24, `${name}[${i}]: ${got[i]} vs ${data[i]}`);
          }
        }
      } finally {
        folder.close();
      }
    });
  });
}

test('unused keys (pooler, position_ids) are ignored; gamma/beta and lm_head.decoder.bias spellings are understood', () => {
  withTiny({ head: 'mlm', seed: 8 }, (dir, tiny) => {
    rewriteWeights(dir, (t) => {
      t.set('roberta.pooler.dense.weight', { dtype: 'F32', shape: [32, 32], data: new Float32Array(1024) });
      t.set('roberta.pooler.dense.bias', { dtype: 'F32', shape: [32], data: new Float32Array(32) });
      t.set('roberta.embeddings.position_ids', { dtype: 'I64', shape: [1, 40], data: Array.from({ length: 40 }, (_, i) => i) });
      const gamma = t.get(EMBEDDINGS.layerNormWeight)!;
      t.delete(EMBEDDINGS.layerNormWeight);
      t.set('roberta.embeddings.LayerNorm.gamma', gamma);
      const bias = t.get(MLM_HEAD.bias)!;
      t.delete(MLM_HEAD.bias);
      t.set(MLM_HEAD.tiedDecoderBias, bias);
      t.set(MLM_HEAD.tiedDecoderWeight, t.get(EMBEDDINGS.word)!);
    });
    const folder = loadModelFolder(dir, { head: 'mlm', requireHead: true });
    try {
      assert.deepEqual(folder.weights.get(EMBEDDINGS.layerNormWeight, [32]), tiny.tensors.get(EMBEDDINGS.layerNormWeight)!.data);
      assert.deepEqual(folder.weights.get(MLM_HEAD.bias), tiny.tensors.get(MLM_HEAD.bias)!.data);
      assert.ok(folder.listTensorNames().includes('roberta.pooler.dense.weight'));
    } finally {
      folder.close();
    }
  });
});

test('a missing encoder tensor is refused at load, naming the file and the tensor', () => {
  withTiny({ head: 'mlm' }, (dir) => {
    const missing = layerNames(1).intermediateWeight;
    rewriteWeights(dir, (t) => t.delete(missing));
    const file = join(dir, 'model.safetensors');
    expectError(() => loadModelFolder(dir, { head: 'mlm' }), 'hf/tensor-missing', { file, what: missing, message: new RegExp(`^${escape(file)}: no tensor '${escape(missing)}'`) });
    // Without a task nothing is checked up front; asking for the tensor gives the same error.
    const folder = loadModelFolder(dir);
    try {
      expectError(() => folder.weights.get(missing, [64, 32]), 'hf/tensor-missing', { file, what: missing, message: /no tensor/ });
    } finally {
      folder.close();
    }
  });
});

test('a tensor of the wrong shape is refused, naming the tensor, the expected and the actual shape', () => {
  withTiny({ head: 'mlm' }, (dir) => {
    const name = layerNames(1).keyWeight;
    rewriteWeights(dir, (tensors) => tensors.set(name, { dtype: 'F32', shape: [32, 31], data: new Float32Array(32 * 31) }));
    expectError(() => loadModelFolder(dir, { head: 'mlm' }), 'hf/tensor-shape', {
      file: join(dir, 'model.safetensors'),
      what: name,
      message: new RegExp(`tensor '${escape(name)}' has shape \\[32, 31\\], expected \\[32, 32\\]`),
    });
  });
});

test('a config.json whose vocab_size disagrees with the word embeddings is refused, naming config.json and the key', () => {
  withTiny({ head: 'mlm' }, (dir, tiny) => {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, vocab_size: tiny.vocabSize + 6 }));
    expectError(() => loadModelFolder(dir, { head: 'mlm' }), 'hf/config-mismatch', {
      file: join(dir, 'config.json'),
      what: 'vocab_size',
      message: new RegExp(`"vocab_size" is ${tiny.vocabSize + 6}, but the weights .* have ${tiny.vocabSize} \\(rows of roberta\\.embeddings\\.word_embeddings\\.weight\\)`),
    });
  });
});

test('a classifier sized for other labels is refused; a missing head is fine unless required', () => {
  withTiny({ head: 'seq-cls', labels: ['a', 'b', 'c'] }, (dir) => {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, id2label: { '0': 'a', '1': 'b' } }));
    expectError(() => loadModelFolder(dir, { head: 'seq-cls' }), 'hf/tensor-shape', { what: SEQ_CLS_HEAD.outProjWeight, message: /has shape \[3, 32\], expected \[2, 32\]/ });
    // Fine-tuning a token classifier from this checkpoint: no such head yet, which is allowed…
    const folder = loadModelFolder(dir, { head: 'token-cls' });
    assert.equal(folder.weights.hasHead('token-cls'), false);
    folder.close();
    // …but inference needs it.
    expectError(() => loadModelFolder(dir, { head: 'token-cls', requireHead: true }), 'hf/tensor-missing', { what: TOKEN_CLS_HEAD.weight, message: /no tensor 'classifier\.weight'/ });
  });
});

test('a head with some of its tensors missing is refused', () => {
  withTiny({ head: 'mlm' }, (dir) => {
    rewriteWeights(dir, (t) => t.delete(MLM_HEAD.layerNormBias));
    expectError(() => loadModelFolder(dir, { head: 'mlm' }), 'hf/tensor-missing', { what: MLM_HEAD.layerNormBias, message: /lm_head\.layer_norm\.bias/ });
  });
});

test('pickled weights are refused with the reason and the conversion to run', () => {
  withTiny({ head: 'mlm' }, (dir) => {
    unlinkSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'PK\u0003\u0004 pretend pickle');
    expectError(() => loadModelFolder(dir), 'hf/weights-pickle', {
      file: dir,
      what: 'pytorch_model.bin',
      message: new RegExp(`pytorch_model\\.bin, a pickled PyTorch checkpoint.*unpickling can run any code.*XLMRobertaForMaskedLM\\.from_pretrained\\("${escape(dir)}"\\)\\.save_pretrained\\("${escape(dir)}", safe_serialization=True\\)`),
    });
  });
});

test('pickled weights next to model.safetensors do not matter: the safetensors file is used', () => {
  withTiny({ head: 'mlm' }, (dir) => {
    writeFileSync(join(dir, 'pytorch_model.bin'), 'pretend pickle');
    const folder = loadModelFolder(dir, { head: 'mlm' });
    assert.equal(folder.weights.path, join(dir, 'model.safetensors'));
    folder.close();
  });
});

for (const missing of ['config.json', 'tokenizer.json', 'model.safetensors']) {
  test(`a folder without ${missing} is refused, naming the folder and the file`, () => {
    withTiny({ head: 'mlm' }, (dir) => {
      unlinkSync(join(dir, missing));
      expectError(() => loadModelFolder(dir), 'hf/file-missing', { file: dir, what: missing, message: new RegExp(`^${escape(dir)}: the model folder has no ${escape(missing)}`) });
    });
  });
}

test('a path that is not a folder is refused', () => {
  expectError(() => loadModelFolder('/nonexistent/xlm-model'), 'hf/folder-missing', { file: '/nonexistent/xlm-model', message: /not a folder/ });
});

test('a folder of another model type is refused, listing the supported types', () => {
  withTiny({ head: 'mlm', configOverrides: { model_type: 'bert' } }, (dir) => {
    expectError(() => loadModelFolder(dir), 'hf/config-model-type', { file: join(dir, 'config.json'), what: 'model_type', message: /"bert".*"xlm-roberta", "roberta"/ });
  });
});

test('a truncated model.safetensors is refused at load, naming it', () => {
  withTiny({ head: 'mlm' }, (dir) => {
    const file = join(dir, 'model.safetensors');
    truncateSync(file, statSync(file).size - 1000);
    expectError(() => loadModelFolder(dir), 'hf/safetensors-truncated', { file, message: new RegExp(`^${escape(file)}: the file is truncated: tensor '`) });
  });
});

test('tokenizer_config.json and special_tokens_map.json are optional, and read when present', () => {
  withTiny({ head: 'mlm' }, (dir) => {
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ mask_token: { content: '[MASK]', lstrip: true }, unk_token: '[UNK]' }));
    const withMap = loadModelFolder(dir);
    assert.equal(withMap.specialTokens.mask, '[MASK]');
    assert.equal(withMap.specialTokens.unk, '[UNK]');
    assert.equal(withMap.specialTokens.bos, '<s>', 'from tokenizer_config.json');
    withMap.close();
    unlinkSync(join(dir, 'special_tokens_map.json'));
    unlinkSync(join(dir, 'tokenizer_config.json'));
    const bare = loadModelFolder(dir);
    assert.equal(bare.tokenizerConfig, undefined);
    assert.equal(bare.specialTokensMap, undefined);
    assert.deepEqual(bare.specialTokens, { bos: '<s>', eos: '</s>', unk: '<unk>', sep: '</s>', pad: '<pad>', cls: '<s>', mask: '<mask>' });
    bare.close();
    writeFileSync(join(dir, 'tokenizer_config.json'), '{"model_max_length": 512,}');
    expectError(() => loadModelFolder(dir), 'hf/json-syntax', { file: join(dir, 'tokenizer_config.json'), message: /tokenizer_config\.json:1:\d+: not valid JSON/ });
  });
});
