// `npm test`: every test the project has, in three stages, then one summary line.
//   1. unit and numerics tests (Node's test runner; PyTorch and sentencepiece references via /usr/bin/python3)
//   2. extension-host tests inside a real VS Code (code-server + headless Chromium)
//   3. end to end: the packaged .vsix installed into code-server and driven through its UI
// `npm test -- --unit` runs stage 1 only (a quick loop while working on the engine).
import { spawn, spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');

function missingPrerequisites() {
  const missing = [];
  const py = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy, sentencepiece'], { encoding: 'utf8' });
  if (py.status !== 0) missing.push('python3-torch python3-numpy python3-sentencepiece (reference implementations the numerics tests compare with)');
  const chromium = spawnSync('sh', ['-c', 'command -v chromium']);
  if (chromium.status !== 0) {
    missing.push(unitOnly
      ? 'chromium (its SwiftShader Vulkan driver runs the WebGPU device test)'
      : 'chromium libkrb5-dev ripgrep (the VS Code tests run code-server in headless Chromium; its SwiftShader driver runs the WebGPU test)');
  }
  return missing;
}

/** Runs a command, passing its output through, and returns [passed, failed] read from its output. */
function stage(name, command, args, count) {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const pass = (stream, to) => stream.on('data', (chunk) => { text += chunk; to.write(chunk); });
    pass(child.stdout, process.stdout);
    pass(child.stderr, process.stderr);
    child.on('close', (code) => {
      const [passed, failed] = count(text);
      // A stage that failed to run at all counts as one failure, never as a pass.
      resolve({ name, code, passed, failed: code !== 0 && failed === 0 ? 1 : failed });
    });
  });
}

const lastNumber = (text, re) => {
  const all = [...text.matchAll(re)];
  return all.length ? Number(all[all.length - 1][1]) : 0;
};

const missing = missingPrerequisites();
if (missing.length) {
  console.error('npm test needs Debian packages that are not installed:');
  for (const m of missing) console.error(`  - ${m}`);
  console.error('Install them with: apt-get install -y python3-torch python3-numpy python3-sentencepiece chromium libkrb5-dev ripgrep');
  process.exit(1);
}

const results = [];
results.push(await stage('unit and numerics', process.execPath, ['test/run.mjs'], (t) => [lastNumber(t, /^ℹ pass (\d+)$/gm), lastNumber(t, /^ℹ fail (\d+)$/gm)]));
if (!unitOnly) {
  const install = spawnSync('bash', ['test/vscode/install-code-server.sh'], { stdio: 'inherit' });
  if (install.status !== 0) {
    results.push({ name: 'code-server install', code: install.status, passed: 0, failed: 1 });
  } else {
    results.push(await stage('extension host (code-server)', process.execPath, ['test/vscode/run-ext-tests.mjs'], (t) => [lastNumber(t, /^# (\d+) passed, \d+ failed/gm), lastNumber(t, /^# \d+ passed, (\d+) failed/gm)]));
    results.push(await stage('end to end (packaged .vsix)', process.execPath, ['test/vscode/e2e.mjs'], (t) => (/\[e2e\] RESULT: PASS/.test(t) ? [1, 0] : [0, 1])));
  }
}

console.log('\n=== summary');
for (const r of results) console.log(`${r.name}: ${r.passed} passed, ${r.failed} failed (exit ${r.code})`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed || results.some((r) => r.code !== 0) ? 1 : 0);
