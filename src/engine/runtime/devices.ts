/**
 * Which execution provider runs the engine's graphs. One spelling per device everywhere (the CLI's --device, the
 * xlm.device setting, the protocol, the README): cpu, webgpu, cuda, dml (DirectML, Windows), coreml (macOS), and
 * `auto`, which picks the first present provider whose kernels cover what the graphs need and otherwise runs on
 * the CPU with one line saying why. The choice is pure (backends, platform and a probe are passed in) so it can be
 * tested for machines this one is not.
 */
import { DEVICE_CHOICES, type DeviceChoice, type DeviceName } from '../rpc/protocol.js';

export { DEVICE_CHOICES, type DeviceChoice, type DeviceName };

export const DEVICE_NAMES: readonly DeviceName[] = DEVICE_CHOICES.filter((d): d is DeviceName => d !== 'auto');

/** Inference graphs (fill-mask, classify, embed) or a training step (forward, backward, optimizer update). */
export type GraphPurpose = 'inference' | 'training';

interface Coverage {
  /** Whether the provider's kernels run the whole graph; false leaves nodes on the CPU, with copies each way. */
  inference: boolean;
  training: boolean;
  /** Why, and how it is known: said in `auto`'s line when a provider is passed over. */
  training_gap?: string;
  inference_gap?: string;
}

/**
 * What each provider covers of the graphs XLM Lab builds. WebGPU was checked here on SwiftShader (onnxruntime's
 * verbose node placement): inference graphs run on it but for the int64 position-id arithmetic onnxruntime keeps
 * on the CPU by design; a training step left 239 of 1,539 nodes on the CPU (dropout's integer hash, BitwiseXor
 * and BitShift; LogSoftmax of the loss, since rebuilt from ops WebGPU runs; Unique and NonZero of the sparse
 * embedding update), about 350 copies per step. CUDA, DirectML and CoreML cannot be run here; the README gives the check to run on such a machine.
 */
export const COVERAGE: Record<Exclude<DeviceName, 'cpu'>, Coverage> = {
  cuda: { inference: true, training: true },
  dml: {
    inference: true,
    training: false,
    training_gap: 'DirectML is not checked against the training step (dropout hashes with integer bit operations)',
  },
  webgpu: {
    inference: true,
    training: false,
    training_gap: "WebGPU leaves a training step's integer work on the CPU (dropout's hash, the sparse embedding update's Unique and NonZero), each a copy between devices; every float op runs on the GPU",
  },
  coreml: {
    inference: false,
    training: false,
    inference_gap: 'CoreML is not checked against these graphs (dynamic batch and length); choose coreml to try it',
    training_gap: 'CoreML runs no training graphs',
  },
};

/** auto's order of preference among GPU providers; the CPU comes last. */
const AUTO_ORDER: readonly Exclude<DeviceName, 'cpu'>[] = ['cuda', 'dml', 'webgpu', 'coreml'];

export interface Backend {
  name: string;
  bundled: boolean;
}

export interface DeviceEnvironment {
  /** onnxruntime-node's listSupportedBackends(). */
  backends: readonly Backend[];
  /** Whether the CUDA provider library (not in the npm package) is on disk. */
  cudaInstalled: boolean;
  /**
   * Whether an NVIDIA driver is loaded (Linux: /proc/driver/nvidia exists); undefined where it cannot be told. A
   * machine without one is not told how to install the CUDA provider each time auto runs on the CPU.
   */
  nvidiaDriver?: boolean;
}

export interface DeviceAvailability {
  name: DeviceName;
  available: boolean;
  /** Which provider serves it, or why it is not available. */
  note: string;
}

/** Whether each device can be tried on this machine, with the fix when it cannot. */
export function deviceAvailability(env: DeviceEnvironment): DeviceAvailability[] {
  const has = (name: string) => env.backends.some((b) => b.name === name);
  return DEVICE_NAMES.map((name): DeviceAvailability => {
    switch (name) {
      case 'cpu':
        return { name, available: true, note: "onnxruntime-node's CPU provider" };
      case 'cuda':
        if (!has('cuda')) return { name, available: false, note: 'not in this onnxruntime-node build' };
        return env.cudaInstalled
          ? { name, available: true, note: 'CUDA provider installed (needs CUDA 12 and cuDNN 9)' }
          : { name, available: false, note: 'CUDA provider not installed: in a source checkout run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` (needs CUDA 12 and cuDNN 9)' };
      case 'webgpu':
        return has('webgpu')
          ? { name, available: true, note: 'bundled; runs on Direct3D 12, Metal or Vulkan (Linux needs a Vulkan driver)' }
          : { name, available: false, note: 'not in this onnxruntime-node build' };
      case 'dml':
        return has('dml') ? { name, available: true, note: 'DirectML, bundled on Windows' } : { name, available: false, note: 'DirectML is in the Windows packages only' };
      case 'coreml':
        return has('coreml') ? { name, available: true, note: 'CoreML, bundled on macOS' } : { name, available: false, note: 'CoreML is in the macOS package only' };
    }
  });
}

export interface DeviceDecision {
  device: DeviceName;
  /** One line when the device differs from the one asked for (auto ending on the CPU, or a fallback). */
  notice?: string;
}

/**
 * Resolves a setting to the provider that runs `purpose`'s graphs. `probe` opens a tiny session on a provider and
 * answers why it cannot run (no adapter, a missing driver) or undefined when it can; a provider is probed only when
 * it is otherwise eligible.
 */
export async function chooseDevice(
  choice: DeviceChoice,
  purpose: GraphPurpose,
  env: DeviceEnvironment,
  probe: (device: DeviceName) => Promise<string | undefined>,
): Promise<DeviceDecision> {
  const available = new Map(deviceAvailability(env).map((d) => [d.name, d]));
  if (choice === 'cpu') return { device: 'cpu' };
  if (choice !== 'auto') {
    const a = available.get(choice);
    if (!a) return { device: 'cpu', notice: `device ${choice}: not a device (choose one of ${DEVICE_CHOICES.join(', ')}); running on cpu` };
    const why = a.available ? await probe(choice) : a.note;
    return why ? { device: 'cpu', notice: `device ${choice}: ${choice} is not available (${why}); running on cpu` } : { device: choice };
  }
  const passed: string[] = [];
  for (const name of AUTO_ORDER) {
    const a = available.get(name)!;
    if (!a.available) {
      // Providers that belong to another platform are not worth a word.
      if (name === 'cuda' && env.backends.some((b) => b.name === 'cuda') && env.nvidiaDriver !== false) passed.push(`cuda: ${a.note}`);
      continue;
    }
    const coverage = COVERAGE[name];
    if (!coverage[purpose]) {
      passed.push(coverage[`${purpose}_gap`] ?? `${name} does not cover ${purpose} graphs`);
      continue;
    }
    const why = await probe(name);
    if (!why) return { device: name };
    passed.push(`${name} cannot start (${why})`);
  }
  return { device: 'cpu', notice: `device auto: running ${purpose} on cpu, because ${passed.join('; ') || 'no GPU provider is present'}` };
}
