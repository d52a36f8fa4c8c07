// The GPU path without a GPU: onnxruntime-node's WebGPU provider on SwiftShader, the software Vulkan driver that
// Debian's chromium package ships (with the Vulkan loader beside it). Speed means nothing here; the device `auto`
// picks, the fallback line and the numbers carry over to real GPUs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const CHROMIUM = '/usr/lib/chromium';
const SWIFTSHADER = { VK_ICD_FILENAMES: `${CHROMIUM}/vk_swiftshader_icd.json`, LD_LIBRARY_PATH: CHROMIUM, XDG_RUNTIME_DIR: '/tmp' };
const fixture = join(__dirname, 'fixtures', 'device-check.ts');

interface Run {
  device: string;
  notices: string[];
  training: { device: string; notice?: string };
  maxDiff: number;
  values: number;
}

function run(env: Record<string, string>): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  assert.equal(r.status, 0, `the WebGPU fixture failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Run;
}

test('auto runs inference on WebGPU when an adapter is there (SwiftShader), matching the CPU, and trains on the CPU saying why', () => {
  assert.ok(existsSync(SWIFTSHADER.VK_ICD_FILENAMES), `${SWIFTSHADER.VK_ICD_FILENAMES} is missing: apt-get install -y chromium (its SwiftShader Vulkan driver runs this test)`);
  const r = run(SWIFTSHADER);
  assert.equal(r.device, 'webgpu');
  assert.deepEqual(r.notices, []);
  assert.ok(r.values > 100 && r.maxDiff < 1e-4, `WebGPU and CPU logits differ by ${r.maxDiff}`);
  assert.equal(r.training.device, 'cpu');
  assert.match(r.training.notice ?? '', /^device auto: running training on cpu, because .*WebGPU leaves a training step's integer work on the CPU/);
});

test('without a Vulkan driver, auto falls back to the CPU with one line naming the missing adapter', () => {
  const r = run({ VK_ICD_FILENAMES: '/nonexistent/icd.json', LD_LIBRARY_PATH: '', XDG_RUNTIME_DIR: '/tmp' });
  assert.equal(r.device, 'cpu');
  assert.equal(r.notices.length, 1, JSON.stringify(r.notices));
  assert.match(r.notices[0]!, /^device auto: running inference on cpu, because .*webgpu cannot start \(.*adapter/);
  assert.equal(r.maxDiff, 0);
});
