/** `xlm export onnx`: our inference graph in the layout transformers.js and optimum read. */
import { XlmError } from '../errors.js';
import { exportOnnx, type ExportHead } from '../model/export-onnx.js';
import type { CommandSpec } from './command.js';
import { MODEL_OPTION, modelDir, printJson } from './inputs.js';

const HEADS: readonly ExportHead[] = ['mlm', 'seq-cls', 'token-cls', 'qa', 'none'];

export const exportOnnxCommand: CommandSpec = {
  name: 'export onnx',
  summary: 'write the model as onnx/model.onnx + config + tokenizer files (transformers.js layout)',
  options: {
    ...MODEL_OPTION,
    out: { type: 'string', short: 'o', arg: 'DIR', help: 'output folder (created)' },
    head: { type: 'string', arg: 'HEAD', help: `head to export: ${HEADS.join(', ')} (default: the one config.json's architectures names)` },
  },
  details: [
    'Inputs input_ids and attention_mask (int64 [batch, seq]); output logits (last_hidden_state for --head none;',
    'start_logits and end_logits for --head qa, what transformers.js\'s question-answering pipeline reads).',
    'A masked-LM export computes logits at every position, as transformers.js fill-mask expects.',
    'Weights are stored inline below 2 GB, otherwise in onnx/model.onnx_data.',
  ],
  async run(ctx) {
    const out = ctx.values.out as string | undefined;
    if (!out) throw new XlmError('cli-bad-flag', 'export onnx needs --out DIR, the folder to write', { what: '--out' });
    const head = ctx.values.head as ExportHead | undefined;
    if (head !== undefined && !HEADS.includes(head)) {
      throw new XlmError('cli-bad-flag', `--head is "${head}"; expected one of ${HEADS.join(', ')}`, { what: '--head' });
    }
    const result = exportOnnx((await modelDir(ctx)), out, { head });
    if (ctx.values.json) printJson(ctx.io, result);
    else ctx.io.stdout.write(`${result.modelFile}\n`);
    return 0;
  },
};
