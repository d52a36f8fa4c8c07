import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandHelp } from '../../src/engine/cli/main.js';
import { trainCommand } from '../../src/engine/cli/train.js';
import { chooseDevice, deviceAvailability, DEVICE_CHOICES, DEVICE_NAMES, type Backend, type DeviceChoice, type DeviceName, type GraphPurpose } from '../../src/engine/runtime/devices.js';

// listSupportedBackends() as onnxruntime-node 1.30 answers on each platform (Linux seen here; the others are its
// per-platform builds: DirectML ships in the Windows binaries, CoreML in the macOS one).
const LINUX: Backend[] = [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }, { name: 'cuda', bundled: false }, { name: 'tensorrt', bundled: false }];
const WINDOWS: Backend[] = [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }, { name: 'dml', bundled: true }, { name: 'cuda', bundled: false }, { name: 'tensorrt', bundled: false }];
const MAC: Backend[] = [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }, { name: 'coreml', bundled: true }];

interface Case {
  name: string;
  backends: Backend[];
  cudaInstalled?: boolean;
  nvidiaDriver?: boolean;
  /** Providers whose probe fails, with the reason. */
  broken?: Partial<Record<DeviceName, string>>;
  choice: DeviceChoice;
  purpose: GraphPurpose;
  device: DeviceName;
  /** Pieces the one line must hold; none: no line at all. */
  notice?: RegExp[];
  /** Providers that may be probed (a probe opens a session: only eligible ones). */
  probed: DeviceName[];
}

const NO_ADAPTER = 'Failed to get a WebGPU adapter: No supported adapters';

const CASES: Case[] = [
  { name: 'Linux without a GPU: auto falls back to cpu, naming the missing CUDA provider and the absent adapter', backends: LINUX, broken: { webgpu: NO_ADAPTER }, choice: 'auto', purpose: 'inference', device: 'cpu', notice: [/^device auto: running inference on cpu, because /, /cuda: CUDA provider not installed: in a source checkout run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`/, /webgpu cannot start \(Failed to get a WebGPU adapter: No supported adapters\)/], probed: ['webgpu'] },
  { name: 'Linux without an NVIDIA driver: auto falls back to cpu without the CUDA install advice', backends: LINUX, nvidiaDriver: false, broken: { webgpu: NO_ADAPTER }, choice: 'auto', purpose: 'inference', device: 'cpu', notice: [/^device auto: running inference on cpu, because webgpu cannot start \(Failed to get a WebGPU adapter: No supported adapters\)$/], probed: ['webgpu'] },
  { name: 'Linux with a Vulkan GPU: auto runs inference on webgpu, silently', backends: LINUX, choice: 'auto', purpose: 'inference', device: 'webgpu', probed: ['webgpu'] },
  { name: 'Linux with a Vulkan GPU: auto trains on cpu, because WebGPU leaves training ops on the CPU', backends: LINUX, choice: 'auto', purpose: 'training', device: 'cpu', notice: [/^device auto: running training on cpu, because /, /WebGPU leaves a training step's integer work on the CPU/], probed: [] },
  { name: 'Linux with the CUDA provider: auto trains on cuda', backends: LINUX, cudaInstalled: true, choice: 'auto', purpose: 'training', device: 'cuda', probed: ['cuda'] },
  { name: 'CUDA installed but its driver missing: auto goes on to webgpu for inference', backends: LINUX, cudaInstalled: true, broken: { cuda: 'libcudart.so.12: cannot open shared object file' }, choice: 'auto', purpose: 'inference', device: 'webgpu', probed: ['cuda', 'webgpu'] },
  { name: 'Windows: auto runs inference on DirectML', backends: WINDOWS, choice: 'auto', purpose: 'inference', device: 'dml', probed: ['dml'] },
  { name: 'Windows: auto trains on cpu, saying DirectML and WebGPU do not cover training', backends: WINDOWS, choice: 'auto', purpose: 'training', device: 'cpu', notice: [/DirectML is not checked against the training step/, /WebGPU leaves/, /cuda: CUDA provider not installed/], probed: [] },
  { name: 'Windows with DirectML failing: auto takes WebGPU (Direct3D 12)', backends: WINDOWS, broken: { dml: 'no DirectX 12 device' }, choice: 'auto', purpose: 'inference', device: 'webgpu', probed: ['dml', 'webgpu'] },
  { name: 'macOS: auto runs inference on WebGPU (Metal), not the unchecked CoreML', backends: MAC, choice: 'auto', purpose: 'inference', device: 'webgpu', probed: ['webgpu'] },
  { name: 'macOS without a usable adapter: cpu, and the line says why CoreML was passed over', backends: MAC, broken: { webgpu: NO_ADAPTER }, choice: 'auto', purpose: 'inference', device: 'cpu', notice: [/webgpu cannot start/, /CoreML is not checked against these graphs/], probed: ['webgpu'] },
  { name: 'coreml asked for on macOS runs on coreml', backends: MAC, choice: 'coreml', purpose: 'inference', device: 'coreml', probed: ['coreml'] },
  { name: 'dml asked for on Linux falls back to cpu, saying it is in the Windows packages only', backends: LINUX, choice: 'dml', purpose: 'inference', device: 'cpu', notice: [/^device dml: dml is not available \(DirectML is in the Windows packages only\); running on cpu$/], probed: [] },
  { name: 'webgpu asked for without an adapter falls back to cpu with the reason', backends: LINUX, broken: { webgpu: NO_ADAPTER }, choice: 'webgpu', purpose: 'training', device: 'cpu', notice: [/^device webgpu: webgpu is not available \(Failed to get a WebGPU adapter: No supported adapters\); running on cpu$/], probed: ['webgpu'] },
  { name: 'webgpu asked for trains on webgpu (the user chose it, coverage or not)', backends: LINUX, choice: 'webgpu', purpose: 'training', device: 'webgpu', probed: ['webgpu'] },
  { name: 'cpu never probes anything', backends: WINDOWS, choice: 'cpu', purpose: 'inference', device: 'cpu', probed: [] },
];

for (const c of CASES) {
  test(`device choice: ${c.name}`, async () => {
    const probed: DeviceName[] = [];
    const decision = await chooseDevice(c.choice, c.purpose, { backends: c.backends, cudaInstalled: c.cudaInstalled ?? false, ...(c.nvidiaDriver === undefined ? {} : { nvidiaDriver: c.nvidiaDriver }) }, async (d) => {
      probed.push(d);
      return c.broken?.[d];
    });
    assert.equal(decision.device, c.device);
    if (!c.notice) assert.equal(decision.notice, undefined);
    else {
      assert.ok(decision.notice, 'expected one line saying why');
      assert.ok(!decision.notice.includes('\n'), 'one line');
      for (const piece of c.notice) assert.match(decision.notice, piece);
    }
    assert.deepEqual(probed, c.probed);
  });
}

test('every device has an availability line, and the unavailable ones say how to get them', () => {
  const linux = deviceAvailability({ backends: LINUX, cudaInstalled: false });
  assert.deepEqual(linux.map((d) => d.name), [...DEVICE_NAMES]);
  assert.deepEqual(linux.filter((d) => d.available).map((d) => d.name), ['cpu', 'webgpu']);
  for (const d of linux) assert.ok(d.note.length > 10, `${d.name} has a note`);
  assert.deepEqual(deviceAvailability({ backends: WINDOWS, cudaInstalled: true }).filter((d) => d.available).map((d) => d.name), ['cpu', 'webgpu', 'cuda', 'dml']);
});

test('one spelling for each device: the setting\'s enum, xlm train --help and the README list the same words', () => {
  const repo = join(__dirname, '..', '..');
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { enum?: string[]; enumDescriptions?: string[]; default?: string }> } } };
  const setting = manifest.contributes.configuration.properties['xlm.device']!;
  assert.deepEqual(setting.enum, [...DEVICE_CHOICES]);
  assert.equal(setting.enumDescriptions?.length, DEVICE_CHOICES.length);
  assert.equal(setting.default, 'auto');
  assert.match(commandHelp(trainCommand), new RegExp(DEVICE_CHOICES.join(' \\| ')));
  assert.ok(readFileSync(join(repo, 'README.md'), 'utf8').includes(`--device ${DEVICE_CHOICES.join('|')}`));
});
