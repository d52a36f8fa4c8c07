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
    labels: { type: 'string', arg: 'A,B,...', help: "label names of a classifier head, when the adapter folder has no config.json (else the base's, or LABEL_i when the count differs)" },
  },
  details: [
    "W + (lora_alpha / r) * B @ A on every adapted Linear (rank_pattern / alpha_pattern, use_rslora, use_dora, lora_bias and trained biases as PEFT applies them); the adapter's saved head (modules_to_save) replaces the base's, its label count read from its tensors.",
  ],
  async run(ctx) {
    const adapter = ctx.values.adapter as string | undefined;
    const out = ctx.values.out as string | undefined;
    if (!adapter) throw new XlmError('cli-bad-flag', 'merge needs --adapter DIR', { what: '--adapter' });
    if (!out) throw new XlmError('cli-bad-flag', 'merge needs --out DIR', { what: '--out' });
    const labelsFlag = ctx.values.labels as string | undefined;
    const labels = labelsFlag === undefined ? undefined : labelsFlag.split(',').map((l) => l.trim());
    if (labels && (labels.some((l) => l === '') || new Set(labels).size !== labels.length)) {
      throw new XlmError('cli-bad-flag', `--labels is ${JSON.stringify(labelsFlag)}; expected distinct, non-empty names separated by commas`, { what: '--labels' });
    }
    const result = mergeAdapter(await modelDir(ctx), adapter, out, { labels });
    const labelNote = result.labelsFrom === 'generic' ? '; labels LABEL_0.. (the adapter folder names none: pass --labels to name them)' : '';
    ctx.io.stdout.write(`${result.out} (${result.merged} LoRA modules merged${labelNote})\n`);
    return 0;
  },
};
