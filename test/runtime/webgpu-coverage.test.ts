// The GPU path tested without a GPU: onnxruntime-node's WebGPU provider on SwiftShader (Chromium's software Vulkan
// driver) against the CPU provider, for every inference head and for training steps (full and LoRA), and which
// nodes the provider leaves on the CPU (each one a device-to-host copy on a real GPU). Speed here means nothing;
// correctness and op coverage carry over. Without the driver this fails, naming what to install: it never skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const CHROMIUM = '/usr/lib/chromium';
const SWIFTSHADER = { VK_ICD_FILENAMES: `${CHROMIUM}/vk_swiftshader_icd.json`, LD_LIBRARY_PATH: CHROMIUM, XDG_RUNTIME_DIR: '/tmp' };

interface CpuNode {
  name: string;
  op: string;
  readsFloat: boolean;
}
interface Coverage {
  inference: Record<string, { maxDiff: number; values: number; nodes: number; cpu: CpuNode[] }>;
  training: Record<string, { device: string; maxDiff: number; tensors: number; cpu: { op: string; readsFloat: boolean; count: number }[] }>;
}

/**
 * What may stay on the CPU: nodes that read no float tensor, only the int64 ids and mask and shapes. The WebGPU
 * provider has no int64 kernels for these; they work on [batch, seq] integers: position ids from input_ids (Equal,
 * CumSum, Mul, Add), the attention mask's Cast to float, and the shape arithmetic of a Reshape (Slice, Concat, ...).
 */
const INTEGER_OPS_ALLOWED_ON_CPU = new Set(['Equal', 'CumSum', 'Mul', 'Add', 'Sub', 'Cast', 'Slice', 'Concat', 'Unsqueeze', 'Squeeze', 'Shape', 'Reshape', 'Gather', 'ConstantOfShape', 'Where', 'Expand', 'ReduceProd', 'NonZero', 'Unique', 'Range']);

let coverage: Coverage | undefined;
function measure(): Coverage {
  if (coverage) return coverage;
  assert.ok(existsSync(SWIFTSHADER.VK_ICD_FILENAMES), `${SWIFTSHADER.VK_ICD_FILENAMES} is missing: apt-get install -y chromium (its SwiftShader Vulkan driver runs the WebGPU tests)`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'webgpu-coverage.ts'), 'webgpu'], { encoding: 'utf8', env: { ...process.env, ...SWIFTSHADER }, timeout: 900_000 });
  assert.equal(r.status, 0, `the WebGPU coverage fixture failed (is WebGPU available on SwiftShader here?):\n${r.stderr.slice(-3000)}`);
  coverage = JSON.parse(r.stdout) as Coverage;
  return coverage;
}

test('every inference head on WebGPU (SwiftShader) gives the CPU\'s outputs', () => {
  const { inference } = measure();
  assert.deepEqual(Object.keys(inference).sort(), ['embed', 'fill-mask', 'mlm-logits', 'seq-cls', 'token-cls']);
  for (const [task, r] of Object.entries(inference)) {
    assert.ok(r.values > 0 && r.maxDiff < 1e-4, `${task}: WebGPU differs from the CPU by ${r.maxDiff}`);
  }
});

test('inference graphs leave no float compute on the CPU: only the integer ids, mask and shape nodes', () => {
  const { inference } = measure();
  for (const [task, r] of Object.entries(inference)) {
    const float = r.cpu.filter((n) => n.readsFloat);
    assert.deepEqual(float, [], `${task}: nodes reading float tensors fell back to the CPU`);
    const other = r.cpu.filter((n) => !INTEGER_OPS_ALLOWED_ON_CPU.has(n.op));
    assert.deepEqual(other, [], `${task}: unexpected ops on the CPU`);
    // At most the position ids (4 nodes), the mask's Cast and a Reshape's shape arithmetic.
    assert.ok(r.cpu.length <= 8, `${task}: ${r.cpu.length} of ${r.nodes} nodes on the CPU: ${r.cpu.map((n) => n.op).join(', ')}`);
    console.log(`${task}: ${r.cpu.length} of ${r.nodes} nodes on the CPU, all integer: ${r.cpu.map((n) => n.op).join(', ')}`);
  }
});

test('training steps on WebGPU, full and LoRA, end with the CPU run\'s weights and leave no float compute on the CPU (the loss included)', () => {
  const { training } = measure();
  for (const method of ['full', 'lora']) {
    const r = training[method]!;
    assert.equal(r.device, 'webgpu', `${method}: trained on ${r.device}`);
    assert.ok(r.tensors > 0 && r.maxDiff < 1e-4, `${method}: weights differ from the CPU run's by ${r.maxDiff}`);
    assert.deepEqual(r.cpu.filter((c) => c.readsFloat).map((c) => c.op), [], `${method}: float ops on the CPU: ${JSON.stringify(r.cpu.filter((c) => c.readsFloat))}`);
    assert.deepEqual(r.cpu.filter((c) => !c.readsFloat && !INTEGER_OPS_ALLOWED_ON_CPU.has(c.op)), [], `${method}: unexpected ops on the CPU`);
    console.log(`${method}: nodes on the CPU: ${r.cpu.map((c) => `${c.op}${c.readsFloat ? ' (float)' : ''} x${c.count}`).join(', ')}`);
  }
});
