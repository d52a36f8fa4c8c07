// Checkpoints are HF model folders that load back; writing one never leaves a half-written folder,
// even when the writing process is killed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configForHead, writeHfCheckpoint } from '../../src/engine/hf/checkpoint.js';
import { loadModelFolder, type ModelFolder } from '../../src/engine/hf/folder.js';
import { EMBEDDINGS, SEQ_CLS_HEAD } from '../../src/engine/hf/names.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import type { TensorToWrite } from '../../src/engine/hf/safetensors-write.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

function withTempDir(run: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlm-ckpt-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function tensorsOf(folder: ModelFolder): Map<string, TensorToWrite> {
  const tensors = new Map<string, TensorToWrite>();
  for (const name of folder.listTensorNames()) tensors.set(name, { dtype: 'F32', shape: folder.weights.info(name).shape, data: folder.weights.get(name) });
  return tensors;
}

/** Writes a checkpoint of the tiny model in `source` into `out`. */
function save(source: string, out: string, head: 'mlm' | 'seq-cls' = 'mlm', labels?: string[], extraFiles?: Record<string, string>): void {
  const folder = loadModelFolder(source);
  try {
    writeHfCheckpoint(out, { config: configForHead(folder.config, head, labels), tokenizerFrom: source, tensors: tensorsOf(folder), extraFiles });
  } finally {
    folder.close();
  }
}

function wordEmbeddings(dir: string): Float32Array {
  const folder = loadModelFolder(dir, { head: 'mlm' });
  try {
    return folder.weights.get(EMBEDDINGS.word);
  } finally {
    folder.close();
  }
}

test(
  'a written checkpoint is an HF folder that loads back with its head, labels, tokenizer files and {"format": "pt"}',
  withTempDir((dir) => {
    const source = join(dir, 'source');
    const tiny = writeTinyXlmr(source, { head: 'seq-cls', labels: ['neg', 'pos'], seed: 3 });
    const out = join(dir, 'runs', 'out');
    save(source, out, 'seq-cls', ['negative', 'neutral'], { 'trainer_state.json': '{"global_step": 7}\n' });

    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json']);
    assert.deepEqual(readdirSync(join(dir, 'runs')), ['out'], 'no temporary folder is left beside it');
    for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) assert.deepEqual(readFileSync(join(out, file)), readFileSync(join(source, file)), file);
    assert.equal(readFileSync(join(out, 'trainer_state.json'), 'utf8'), '{"global_step": 7}\n');

    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['XLMRobertaForSequenceClassification']);
    assert.deepEqual(config.id2label, { '0': 'negative', '1': 'neutral' });
    assert.deepEqual(config.label2id, { negative: 0, neutral: 1 });
    assert.equal(config.initializer_range, 0.02, 'keys XLM Lab does not model are kept');
    assert.equal(config.torch_dtype, 'float32', 'torch_dtype names the stored dtype');

    const weights = openSafetensors(join(out, 'model.safetensors'));
    assert.deepEqual(weights.metadata, { format: 'pt' });
    weights.close();
    const loaded = loadModelFolder(out, { head: 'seq-cls', requireHead: true });
    try {
      assert.deepEqual(loaded.config.id2label, ['negative', 'neutral']);
      for (const [name, { data }] of tiny.tensors) assert.deepEqual(loaded.weights.get(name), data, name);
      assert.deepEqual(loaded.weights.info(SEQ_CLS_HEAD.outProjWeight).shape, [2, 32]);
    } finally {
      loaded.close();
    }
  }),
);

test(
  'saving over an existing checkpoint replaces the weights, keeps unchanged files untouched, and leaves other contents of the folder alone',
  withTempDir((dir) => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeTinyXlmr(a, { seed: 1 });
    const tinyB = writeTinyXlmr(b, { seed: 2 });
    const out = join(dir, 'out');
    save(a, out);
    mkdirSync(join(out, 'checkpoint-10'));
    writeFileSync(join(out, 'metrics.jsonl'), '{"step": 1}\n');
    const configInode = statSync(join(out, 'config.json')).ino;
    const weightsInode = statSync(join(out, 'model.safetensors')).ino;

    save(b, out);
    assert.deepEqual(wordEmbeddings(out), tinyB.tensors.get(EMBEDDINGS.word)!.data);
    assert.equal(statSync(join(out, 'config.json')).ino, configInode, 'an unchanged config.json is not rewritten');
    assert.notEqual(statSync(join(out, 'model.safetensors')).ino, weightsInode, 'the weights are a new file renamed into place');
    assert.deepEqual(readdirSync(out).sort(), ['checkpoint-10', 'config.json', 'metrics.jsonl', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);

    save(b, out, 'seq-cls', ['x', 'y', 'z'].slice(0, 3));
    assert.notEqual(statSync(join(out, 'config.json')).ino, configInode, 'a changed config.json is replaced');
  }),
);

test('configForHead sets the class and the labels and keeps every other key', () => {
  const base = { model_type: 'xlm-roberta', architectures: ['XLMRobertaForMaskedLM'], hidden_size: 8, id2label: { '0': 'LABEL_0' }, custom: [1] };
  const config = configForHead(base, 'token-cls', ['O', 'B-PER', 'I-PER']);
  assert.deepEqual(config, {
    model_type: 'xlm-roberta',
    architectures: ['XLMRobertaForTokenClassification'],
    hidden_size: 8,
    id2label: { '0': 'O', '1': 'B-PER', '2': 'I-PER' },
    label2id: { O: 0, 'B-PER': 1, 'I-PER': 2 },
    custom: [1],
  });
  assert.deepEqual(base.architectures, ['XLMRobertaForMaskedLM'], 'the base is not modified');
  assert.deepEqual(configForHead(base, 'none').architectures, ['XLMRobertaModel']);
});

/** Starts the child writer and kills it (SIGKILL) as soon as its temporary weights file appears. */
function killDuringSave(source: string, out: string, temporaryWeights: (pid: number) => string): Promise<number> {
  return new Promise((resolvePid, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'write-checkpoint.ts'), source, out, String(24_000_000)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const pid = child.pid!;
    const poll = setInterval(() => {
      if (existsSync(temporaryWeights(pid))) {
        clearInterval(poll);
        child.kill('SIGKILL');
      }
    }, 2);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL') resolvePid(pid);
      else reject(new Error(`the writer was not killed mid-save (exit ${code}, stdout ${JSON.stringify(stdout)}): ${stderr}`));
    });
  });
}

test(
  'a process killed while replacing a checkpoint leaves the previous one loadable, and the next save cleans up',
  withTempDir(async (dir) => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const tinyA = writeTinyXlmr(a, { seed: 1 });
    const tinyB = writeTinyXlmr(b, { seed: 2 });
    const out = join(dir, 'out');
    save(a, out);

    const pid = await killDuringSave(b, out, (pid) => join(out, `.xlm-staging-${pid}`, `model.safetensors.tmp-${pid}`));
    assert.deepEqual(wordEmbeddings(out), tinyA.tensors.get(EMBEDDINGS.word)!.data, 'the previous checkpoint is intact');
    assert.ok(existsSync(join(out, `.xlm-staging-${pid}`)), 'the killed write left its staging folder');

    save(b, out);
    assert.deepEqual(wordEmbeddings(out), tinyB.tensors.get(EMBEDDINGS.word)!.data);
    assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), [], 'the leftover staging folder is gone');
  }),
);

test(
  'a process killed while writing a new checkpoint leaves no folder under its name, and the next save cleans up',
  withTempDir(async (dir) => {
    const a = join(dir, 'a');
    writeTinyXlmr(a, { seed: 1 });
    const out = join(dir, 'checkpoint-5');

    const pid = await killDuringSave(a, out, (pid) => join(`${out}.tmp-${pid}`, `model.safetensors.tmp-${pid}`));
    assert.equal(existsSync(out), false, 'no half-written checkpoint-5');
    assert.ok(existsSync(`${out}.tmp-${pid}`));

    save(a, out);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    assert.deepEqual(readdirSync(dir).sort(), ['a', 'checkpoint-5']);
  }),
);
