/**
 * The handler table: which engine function answers which protocol request. A request whose engine function has
 * not been written yet has no entry here, and the server answers it with MethodNotFound naming the method.
 */
import type { EngineInfo } from './protocol.js';
import type { HandlerTable } from './server.js';

export function createHandlers(): HandlerTable {
  return {};
}

/**
 * Execution providers onnxruntime-node can reach. CPU is always bundled; CUDA needs the provider the
 * postinstall would download (skipped offline); WebGPU is bundled but needs a Vulkan driver on Linux.
 */
export async function probeDevices(): Promise<EngineInfo['devices']> {
  try {
    const ort = await import('onnxruntime-node');
    const backends = ort.listSupportedBackends();
    const has = (name: string) => backends.find((b) => b.name === name);
    const cuda = has('cuda');
    const webgpu = has('webgpu');
    return [
      { name: 'cpu', available: true, note: 'onnxruntime-node CPU provider' },
      {
        name: 'cuda',
        available: Boolean(cuda?.bundled),
        note: cuda?.bundled ? 'CUDA provider installed' : 'CUDA provider not installed: run `npx onnxruntime-node-install cuda` (needs CUDA 12 and cuDNN 9)',
      },
      { name: 'webgpu', available: Boolean(webgpu), note: webgpu ? 'bundled; needs a Vulkan driver on Linux' : 'not in this onnxruntime build' },
    ];
  } catch (e) {
    return [{ name: 'cpu', available: false, note: `onnxruntime-node failed to load: ${e instanceof Error ? e.message : String(e)}` }];
  }
}
