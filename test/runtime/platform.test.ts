import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NATIVE_TARGETS, nativeBinDir, nativeRuntimeProblem } from '../../src/engine/runtime/platform.js';

test('every platform onnxruntime-node ships a binary for passes the native-runtime check', () => {
  for (const target of Object.keys(NATIVE_TARGETS)) {
    const [os, arch] = target.split('-');
    assert.equal(nativeRuntimeProblem(os, arch), undefined, target);
  }
});

test('an Intel Mac is told in words that onnxruntime-node has no build for it, and where XLM Lab does run', () => {
  const problem = nativeRuntimeProblem('darwin', 'x64') ?? '';
  assert.match(problem, /^XLM Lab cannot run on macOS on Intel \(darwin-x64\)/);
  assert.match(problem, /Linux x64, Linux Arm64, macOS on Apple silicon, Windows x64, Windows on Arm/);
  assert.match(problem, /remote workspace/);
});

test('a supported platform whose binaries are missing (another platform\'s package) is told which package to install', () => {
  const problem = nativeRuntimeProblem('linux', 'arm64', '/nonexistent/bin/napi-v6') ?? '';
  assert.match(problem, /native runtime for Linux Arm64 \(linux-arm64\) is missing from \/nonexistent\/bin\/napi-v6\/linux\/arm64: install the XLM Lab package built for linux-arm64/);
  assert.ok(nativeBinDir()?.endsWith('napi-v6'));
});
