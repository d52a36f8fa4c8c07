/** `xlm export onnx`: our inference graph in the layout transformers.js and optimum read. */
import { XlmError } from '../errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../hf/json.js';
import { exportOnnx, type ExportHead } from '../model/export-onnx.js';
import type { InferenceDtype } from '../rpc/protocol.js';
import { SEQ2SEQ_FAMILIES } from '../seq2seq/config.js';
import { exportSeq2SeqOnnx } from '../seq2seq/export.js';
import type { CommandSpec } from './command.js';
import { MODEL_OPTION, modelDir, printJson } from './inputs.js';

const HEADS: readonly ExportHead[] = ['mlm', 'seq-cls', 'token-cls', 'qa', 'none'];

export const exportOnnxCommand: CommandSpec = {
  name: 'export onnx',
  summary: 'write the model as onnx/model.onnx + config + tokenizer files (transformers.js layout)',
  options: {
    ...MODEL_OPTION,
    out: { type: 'string', short: 'o', arg: 'DIR', help: 'output folder (created)' },
    dtype: { type: 'string', arg: 'T', help: 'fp32 (default): onnx/model.onnx; int8: the --dtype int8 graph as onnx/model_quantized.onnx, what transformers.js loads for dtype "q8"' },
    head: { type: 'string', arg: 'HEAD', help: `head to export: ${HEADS.join(', ')} (default: the one config.json's architectures names)` },
  },
  details: [
    'Inputs input_ids and attention_mask (int64 [batch, seq]); output logits (last_hidden_state for --head none;',
    'start_logits and end_logits for --head qa, what transformers.js\'s question-answering pipeline reads).',
    'A masked-LM export computes logits at every position, as transformers.js fill-mask expects.',
    'Weights are stored inline below 2 GB, otherwise in onnx/model.onnx_data.',
    'A translation model (Marian, M2M100 / NLLB, MBart; e.g. what xlm train --task translation wrote) exports to optimum\'s',
    'layout instead: onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx, which xlm translate reads.',
  ],
  async run(ctx) {
    const out = ctx.values.out as string | undefined;
    if (!out) throw new XlmError('cli-bad-flag', 'export onnx needs --out DIR, the folder to write', { what: '--out' });
    const head = ctx.values.head as ExportHead | undefined;
    if (head !== undefined && !HEADS.includes(head)) {
      throw new XlmError('cli-bad-flag', `--head is "${head}"; expected one of ${HEADS.join(', ')}`, { what: '--head' });
    }
    // main.ts has checked --dtype against INFERENCE_DTYPES.
    const dtype = ctx.values.dtype as InferenceDtype | undefined;
    const dir = await modelDir(ctx);
    if (isSeq2SeqFolder(dir)) {
      if (head !== undefined) throw new XlmError('cli-bad-flag', '--head applies to XLM-R models; a translation model exports its encoder and decoder', { what: '--head' });
      if (dtype === 'int8') throw new XlmError('cli-bad-flag', '--dtype int8 applies to XLM-R models; a translation model exports in fp32', { what: '--dtype' });
      const result = exportSeq2SeqOnnx(dir, out);
      if (ctx.values.json) printJson(ctx.io, result);
      else ctx.io.stdout.write(`${result.encoder}\n${result.decoder}\n`);
      return 0;
    }
    const result = exportOnnx(dir, out, { head, dtype });
    if (ctx.values.json) printJson(ctx.io, result);
    else ctx.io.stdout.write(`${result.modelFile}\n`);
    return 0;
  },
};

function isSeq2SeqFolder(dir: string): boolean {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return false;
  const config = readJsonFile(file) as { model_type?: unknown } | null;
  // An XLM-R EncoderDecoderModel (a translation run from an XLM-R checkpoint) exports as the seq2seq families do.
  return (SEQ2SEQ_FAMILIES as readonly unknown[]).includes(config?.model_type) || config?.model_type === 'encoder-decoder';
}
