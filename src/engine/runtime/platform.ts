/**
 * Whether onnxruntime-node's native runtime is here for this platform, checked before anything loads it: on a
 * platform it has no build for (macOS on Intel) loading it throws "Cannot find module", and the engine would die
 * at start with no word for the user. Kept free of onnxruntime imports for that reason.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The platforms onnxruntime-node 1.30 ships native binaries for, as VS Code and Node name them. */
export const NATIVE_TARGETS: Record<string, string> = {
  'linux-x64': 'Linux x64',
  'linux-arm64': 'Linux Arm64',
  'darwin-arm64': 'macOS on Apple silicon',
  'win32-x64': 'Windows x64',
  'win32-arm64': 'Windows on Arm',
};

const PLATFORM_NAMES: Record<string, string> = { 'darwin-x64': 'macOS on Intel', 'linux-arm': 'Linux 32-bit Arm', 'win32-ia32': 'Windows 32-bit' };

/** onnxruntime-node's bin/napi-v6 folder, found through module resolution so bundles and tests agree. */
export function nativeBinDir(): string | undefined {
  try {
    return join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6');
  } catch {
    return undefined;
  }
}

/** Why the native runtime cannot load on this platform, in words for the user; undefined when it can. */
export function nativeRuntimeProblem(platform: string = process.platform, arch: string = process.arch, binDir = nativeBinDir()): string | undefined {
  const target = `${platform}-${arch}`;
  if (binDir && existsSync(join(binDir, platform, arch, 'onnxruntime_binding.node'))) return undefined;
  const supported = Object.values(NATIVE_TARGETS).join(', ');
  if (!(target in NATIVE_TARGETS)) {
    const name = PLATFORM_NAMES[target] ?? target;
    return `XLM Lab cannot run on ${name} (${target}): it runs its models on onnxruntime-node, which has no native build for this platform. It runs on ${supported}; on this computer, open a remote workspace on one of those (Remote-SSH, WSL, Dev Containers or Codespaces) and XLM Lab runs there.`;
  }
  return `onnxruntime-node's native runtime for ${NATIVE_TARGETS[target]} (${target}) is missing${binDir ? ` from ${join(binDir, platform, arch)}` : ' (the onnxruntime-node package is not installed)'}: install the XLM Lab package built for ${target}, or run npm install in a source checkout.`;
}
