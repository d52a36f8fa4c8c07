#!/usr/bin/env node
// `npm run check:gpu`: which GPU providers onnxruntime-node offers on this machine, whether XLM Lab's graphs give
// the CPU's answers on each, and how fast. Runs on the built tree (npm run build: dist/cli.js) with the repository's
// node_modules; nothing else. Without a GPU it runs WebGPU on SwiftShader (Chromium's software Vulkan driver) when
// that is installed, and says so: correctness and op coverage carry over to real GPUs, speed does not.
// Always exits 0: it reports, it does not judge. See README, "Checking a GPU".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const SWIFTSHADER_DIR = '/usr/lib/chromium';
const SWIFTSHADER = { VK_ICD_FILENAMES: `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`, LD_LIBRARY_PATH: SWIFTSHADER_DIR, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() };
const say = (line = '') => process.stdout.write(`${line}\n`);

/** Runs the built `xlm` with extra environment; returns its exit code, output and wall seconds. */
function xlm(args, env = {}) {
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - start) / 1000 };
}

/** float32 tensors of a safetensors file, by name. */
function readSafetensors(file) {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__' || info.dtype !== 'F32') continue;
    const [from, to] = info.data_offsets;
    const data = bytes.subarray(8 + headerLength + from, 8 + headerLength + to);
    out[name] = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }
  return out;
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}

/** The probe a child process runs: can a session start on `device`? (the Vulkan environment is read at process start) */
function probe(device, env) {
  const script = `const ort = require(${JSON.stringify(createRequire(join(ROOT, 'package.json')).resolve('onnxruntime-node'))});
const { onnx } = require(${JSON.stringify(createRequire(join(ROOT, 'package.json')).resolve('onnx-proto'))});
const model = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 18 }], graph: { name: 'p', node: [{ opType: 'Add', input: ['x', 'x'], output: ['y'] }],
  input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }], output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }] } }).finish();
ort.InferenceSession.create(model, { executionProviders: [${JSON.stringify(device)}] }).then(() => console.log('ok'), (e) => console.log(String(e.message).split('\\n')[0]));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return (r.stdout || r.stderr).trim().split('\n').pop() ?? 'no answer';
}

function checkDevice(device, env, cache) {
  const common = ['--threads', '0', '--json'];
  const base = { ...env, XLM_LAB_CACHE: cache };
  const lines = [];
  let ok = true;
  // Inference: fill-mask on the tiny masked-LM model, classification on the tiny classifier.
  const texts = ['The capital of France is <mask>.', 'Le café est très <mask>.', 'Ich <mask> nach Hause.'];
  for (const [command, model, args] of [['fill-mask', 'tiny', texts], ['classify', 'tiny-cls', texts.map((t) => t.replace('<mask>', 'good'))]]) {
    const gpu = xlm([command, '--model', model, '--device', device, ...common, ...args], base);
    const cpu = xlm([command, '--model', model, '--device', 'cpu', ...common, ...args], base);
    if (gpu.code !== 0 || cpu.code !== 0) {
      lines.push(`  ${command}: failed: ${(gpu.code !== 0 ? gpu : cpu).stderr.trim().split('\n').pop()}`);
      ok = false;
      continue;
    }
    const ran = /running on cpu|on cpu/.test(gpu.stderr) ? `fell back to the CPU (${gpu.stderr.trim().split('\n')[0]})` : `ran on ${device}`;
    const scores = (out) => JSON.stringify(JSON.parse(out)).match(/"score":[-0-9.e]+/g)?.map((s) => Number(s.slice(8))) ?? [];
    const diff = maxDiff(scores(gpu.stdout), scores(cpu.stdout));
    ok &&= diff < 1e-4 && !ran.startsWith('fell');
    lines.push(`  ${command}: ${ran}, scores differ from the CPU's by ${diff.toExponential(1)} ${diff < 1e-4 ? '(ok)' : '(MISMATCH)'}; ${gpu.seconds.toFixed(1)} s against ${cpu.seconds.toFixed(1)} s on the CPU, process start and model load included`);
  }
  // Training: three AdamW steps, full fine-tuning, on each device; the written weights compared. The learning rate is
  // fixed and small: AdamW's first steps move each weight by about lr times its gradient's sign, so a weight whose
  // gradient is ~0 on both devices can step ±lr apart from rounding alone (the defaults table's 1e-3 for a 4-row set
  // gave 2.9e-4 on SwiftShader, with every other figure equal); at 2e-5 that bound is under the 1e-4 tolerance.
  const data = join(cache, 'check-gpu.jsonl');
  writeFileSync(data, ['{"text":"The cats sleep.","label":"negative"}', '{"text":"Dogs run far away.","label":"positive"}', '{"text":"Paris is big.","label":"negative"}', '{"text":"A dog.","label":"positive"}'].join('\n'));
  const trained = {};
  for (const d of [device, 'cpu']) {
    const out = join(cache, `train-${d}`);
    const r = xlm(['train', '--model', 'tiny-cls', '--task', 'seq-cls', '--train', data, '--out', out, '--max-steps', '3', '--batch-size', '2', '--lr', '2e-5', '--dropout', '0', '--no-shuffle', '--device', d, '--threads', '0'], base);
    trained[d] = r;
    if (r.code === 0) trained[d].weights = readSafetensors(join(out, 'model.safetensors'));
  }
  if (trained[device].code !== 0 || trained.cpu.code !== 0) {
    lines.push(`  train: failed: ${(trained[device].code !== 0 ? trained[device] : trained.cpu).stderr.trim().split('\n').pop()}`);
    ok = false;
  } else {
    const names = Object.keys(trained.cpu.weights);
    const diff = Math.max(...names.map((n) => maxDiff(trained[device].weights[n], trained.cpu.weights[n])));
    const fellBack = /running on cpu/.test(trained[device].stderr);
    ok &&= diff < 1e-4 && !fellBack;
    lines.push(`  train (3 steps, full): ${fellBack ? 'fell back to the CPU' : `ran on ${device}`}, weights differ from the CPU run's by ${diff.toExponential(1)} ${diff < 1e-4 ? '(ok)' : '(MISMATCH)'}; ${trained[device].seconds.toFixed(1)} s against ${trained.cpu.seconds.toFixed(1)} s`);
  }
  return { ok, lines };
}

function main() {
  if (!existsSync(CLI)) {
    say(`check:gpu needs the built tree: run npm run build first (${CLI} is missing)`);
    return;
  }
  const ort = createRequire(join(ROOT, 'package.json'))('onnxruntime-node');
  const backends = ort.listSupportedBackends();
  say(`onnxruntime-node ${ort.env.versions?.node ?? ''} on ${process.platform}-${process.arch}, Node ${process.version}`);
  say(`providers: ${backends.map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`).join(', ')}`);

  const candidates = [];
  if (backends.some((b) => b.name === 'cuda')) {
    const answer = probe('cuda', {});
    say(`cuda: ${answer === 'ok' ? 'starts' : `cannot start: ${answer}`}`);
    if (answer === 'ok') candidates.push({ device: 'cuda', env: {}, note: 'NVIDIA GPU through CUDA' });
  }
  if (backends.some((b) => b.name === 'webgpu')) {
    const own = probe('webgpu', {});
    if (own === 'ok') {
      const icd = process.env.VK_ICD_FILENAMES;
      say(`webgpu: starts with this machine's own driver${icd ? ` (VK_ICD_FILENAMES=${icd}${icd.includes('swiftshader') ? ', SwiftShader: a software driver' : ''})` : ''}`);
      candidates.push({ device: 'webgpu', env: {}, note: icd?.includes('swiftshader') ? 'WebGPU on SwiftShader (software)' : 'WebGPU on this machine\'s GPU driver' });
    } else {
      say(`webgpu: no GPU adapter with this machine's drivers (${own})`);
      if (existsSync(SWIFTSHADER.VK_ICD_FILENAMES)) {
        const soft = probe('webgpu', SWIFTSHADER);
        say(`webgpu on SwiftShader (${SWIFTSHADER.VK_ICD_FILENAMES}): ${soft === 'ok' ? 'starts; checking on it, so the figures below are a CPU emulating a GPU: parity counts, speed does not' : `cannot start: ${soft}`}`);
        if (soft === 'ok') candidates.push({ device: 'webgpu', env: SWIFTSHADER, note: 'WebGPU on SwiftShader (software, no GPU here)' });
      } else {
        say(`no SwiftShader either (${SWIFTSHADER.VK_ICD_FILENAMES}; apt-get install chromium brings it)`);
      }
    }
  }
  if (!candidates.length) {
    say('no GPU provider can run here: XLM Lab runs on the CPU');
    return;
  }
  const cache = mkdtempSync(join(tmpdir(), 'xlm-check-gpu-'));
  try {
    for (const c of candidates) {
      say('');
      say(`${c.note}:`);
      const { ok, lines } = checkDevice(c.device, c.env, cache);
      for (const l of lines) say(l);
      say(`  ${ok ? 'PASS' : 'FAIL'}: ${c.device} ${ok ? 'gives the CPU\'s answers' : 'does not give the CPU\'s answers (see above)'}`);
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

main();
