/** `xlm merge`: fold a PEFT LoRA adapter into its base model, giving a plain HF model folder. */
import { XlmError } from '../errors.js';
import { mergeAdapter } from '../train/merge.js';
import type { CommandSpec } from './command.js';
import { MODEL_OPTION, modelDir } from './inputs.js';

export const mergeCommand: CommandSpec = {
  name: 'merge',
  summary: 'merge a LoRA adapter (adapter_config.json + adapter_model.safetensors) into its base model',
  options: {
    ...MODEL_OPTION,
    adapter: { type: 'string', arg: 'DIR', help: 'folder with adapter_config.json and adapter_model.safetensors' },
    out: { type: 'string', short: 'o', arg: 'DIR', help: 'output model folder' },
  },
  details: ["W + (lora_alpha / r) * B @ A on every adapted Linear; the adapter's saved head (modules_to_save) replaces the base's."],
  async run(ctx) {
    const adapter = ctx.values.adapter as string | undefined;
    const out = ctx.values.out as string | undefined;
    if (!adapter) throw new XlmError('cli-bad-flag', 'merge needs --adapter DIR', { what: '--adapter' });
    if (!out) throw new XlmError('cli-bad-flag', 'merge needs --out DIR', { what: '--out' });
    const result = mergeAdapter((await modelDir(ctx)), adapter, out);
    ctx.io.stdout.write(`${result.out} (${result.merged} LoRA modules merged)\n`);
    return 0;
  },
};
