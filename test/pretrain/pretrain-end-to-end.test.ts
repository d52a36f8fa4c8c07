import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/engine/cli/main.js';
import type { CliIo } from '../../src/engine/cli/io.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { DEFAULT_MODEL_FOLDER, loadDefaultRecipe } from '../../src/engine/pretrain/default-model.js';
import { corpusVersion, PRETRAIN_INFO_FILE, pretrainHash } from '../../src/engine/pretrain/pretrain.js';
import { loadRecipe } from '../../src/engine/pretrain/recipe.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';

const ROOT = resolve(__dirname, '../..');
const TINY = join(ROOT, 'recipes/tiny.json');
let root: string;
let out: string;

function io(env: NodeJS.ProcessEnv = {}) {
  const captured = { stdout: '', stderr: '' };
  const value: CliIo = { stdout: { write: (t: string) => (captured.stdout += t) }, stderr: { write: (t: string) => (captured.stderr += t) }, env, now: Date.now };
  return { io: value, captured };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlm-pretrain-e2e-'));
  out = join(root, 'tiny-model');
  const { io: cliIo, captured } = io();
  const code = await runCli(['pretrain', '--recipe', TINY, '--out', out, '--json'], cliIo);
  assert.equal(code, 0, captured.stderr);
});

after(() => rmSync(root, { recursive: true, force: true }));

test('xlm pretrain --recipe tiny writes an XLM-R masked-LM folder that loadModelFolder accepts', () => {
  const recipe = loadRecipe(TINY);
  const folder = loadModelFolder(out, { head: 'mlm', requireHead: true });
  try {
    assert.equal(folder.config.model_type, 'xlm-roberta');
    assert.deepEqual(folder.config.architectures, ['XLMRobertaForMaskedLM']);
    assert.equal(folder.config.hidden_size, recipe.model.hidden);
    assert.equal(folder.config.num_hidden_layers, recipe.model.layers);
    assert.equal(folder.config.vocab_size, recipe.vocabSize);
    assert.equal(folder.config.max_position_embeddings, recipe.maxLength + 2);
    assert.ok(folder.weights.hasHead('mlm'));
    assert.ok(!folder.listTensorNames().some((n) => n.startsWith('nsp_head')), 'the pre-training-only NSP head is not saved');
    // padding_idx: the position table's pad row starts at zero and never gets a gradient. (The word table's
    // pad row does move, as in HF: the tied MLM decoder scores <pad> like every other piece.)
    const positions = folder.weights.get('roberta.embeddings.position_embeddings.weight', [recipe.maxLength + 2, recipe.model.hidden]);
    assert.ok(positions.subarray(recipe.model.hidden, 2 * recipe.model.hidden).every((v) => v === 0), 'the pad position row stays zero');
    assert.ok(positions.subarray(2 * recipe.model.hidden, 3 * recipe.model.hidden).some((v) => v !== 0));
  } finally {
    folder.close();
  }
});

test('the training loss decreases, and the record names the recipe and its hash', () => {
  const info = JSON.parse(readFileSync(join(out, PRETRAIN_INFO_FILE), 'utf8')) as { losses: number[]; hash: string; recipe: { name: string } };
  const recipe = loadRecipe(TINY);
  assert.equal(info.losses.length, recipe.steps);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const first = mean(info.losses.slice(0, 5));
  const last = mean(info.losses.slice(-5));
  assert.ok(last < first - 0.3, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  assert.equal(info.recipe.name, 'tiny');
  assert.equal(info.hash, pretrainHash(recipe, corpusVersion()));
});

test('fill-mask runs on the pre-trained folder and returns pieces of its own vocabulary', async () => {
  const cache = new ModelCache();
  try {
    const model = await cache.model(out);
    const [result] = await fillMask(model, ['Everyone has the <mask> to life.'], { topK: 5 });
    assert.equal(result.masks.length, 1);
    assert.equal(result.masks[0].candidates.length, 5);
    const scores = result.masks[0].candidates.map((c) => c.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    for (const c of result.masks[0].candidates) assert.ok(c.id >= 0 && c.id < model.config.vocab_size && c.score > 0 && c.score < 1);
  } finally {
    await cache.closeAll();
  }
});

test('--model default and no --model resolve to the default model in the XLM Lab cache', async () => {
  // A folder carrying the default recipe's hash stands in for the real default (minutes to build).
  const cacheDir = join(root, 'cache');
  const defaultDir = join(cacheDir, DEFAULT_MODEL_FOLDER);
  cpSync(out, defaultDir, { recursive: true });
  const info = JSON.parse(readFileSync(join(defaultDir, PRETRAIN_INFO_FILE), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(defaultDir, PRETRAIN_INFO_FILE), JSON.stringify({ ...info, hash: pretrainHash(loadDefaultRecipe(), corpusVersion()) }));
  for (const argv of [['fill-mask', '--model', 'default', '--json', 'Everyone has the <mask>.'], ['fill-mask', '--json', 'Everyone has the <mask>.']]) {
    const { io: cliIo, captured } = io({ XLM_LAB_CACHE: cacheDir });
    assert.equal(await runCli(argv, cliIo), 0, captured.stderr);
    assert.equal((JSON.parse(captured.stdout) as unknown[]).length, 1);
    assert.doesNotMatch(captured.stderr, /pretrain/, 'nothing was built');
  }
  const { io: cliIo, captured } = io({ XLM_LAB_CACHE: cacheDir });
  assert.equal(await runCli(['pretrain', '--recipe', TINY], cliIo), 1);
  assert.match(captured.stderr, /needs both --recipe FILE and --out DIR/);
});
