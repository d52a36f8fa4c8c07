// An encoder-decoder warm-started from an XLM-R checkpoint, in transformers' EncoderDecoderModel layout: the
// folder it saves holds every tensor the PyTorch reference's EncoderDecoderModel (XLM-R encoder, XLM-R causal LM
// decoder with cross-attention) names, the encoder and decoder start as copies of the checkpoint, and our logits
// equal the reference's to 1e-4; and full fine-tuning's loss and gradients equal the reference's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../../src/engine/graph/graph.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { inferenceContext } from '../../src/engine/model/context.js';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { buildEncoderDecoderLogits, encoderDecoderLoss, warmStartWeights, encoderDecoderTensorSpecs, writeEncoderDecoderFolder } from '../../src/engine/seq2seq/xlmr-encoder-decoder.js';
import { buildGradientGraph, COUNTER_INPUT, SEED_INPUT } from '../../src/engine/train/step-graph.js';
import { frozenFeeds } from '../../src/engine/train/runner.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

test('an XLM-R-initialised EncoderDecoderModel: HF names, warm start, logits equal to PyTorch to 1e-4', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-ed-'));
  try {
    const base = join(root, 'xlmr');
    const tiny = writeTinyXlmr(base, { head: 'mlm', seed: 4 });
    const folder = loadModelFolder(base);
    const config = folder.config;
    const model = encoderDecoderLoss({ config, weight: warmStartWeights(folder.weights), labelSmoothing: 0, initSeed: 1 });
    // A larger std for the new cross-attention than HF's 0.02, so that a wrong wiring cannot hide in near-zero terms.
    const weight = (name: string, shape: number[]) => {
      const w = model.weight(name, shape);
      return name.includes('crossattention') && name.endsWith('.weight') && !name.includes('LayerNorm') ? w.map((v) => v * 15) : w;
    };
    const ed = join(root, 'encoder-decoder');
    writeEncoderDecoderFolder(ed, config, base, weight);
    assert.deepEqual(model.weight('decoder.roberta.encoder.layer.1.attention.self.query.weight', [tiny.config.hidden_size as number, tiny.config.hidden_size as number]),
      folder.weights.get('roberta.encoder.layer.1.attention.self.query.weight'), 'the decoder starts as the checkpoint');

    const graph = new Graph('ed');
    const ctx = inferenceContext(graph, config, { get: (name: string, shape?: readonly number[]) => weight(name, [...(shape ?? [])]) });
    const ids = graph.input('input_ids', 'int64', ['batch', 'src']);
    const mask = graph.input('attention_mask', 'int64', ['batch', 'src']);
    const dec = graph.input('decoder_input_ids', 'int64', ['batch', 'tgt']);
    graph.output(buildEncoderDecoderLogits(ctx, ids, mask, dec), 'logits');
    const { session } = await createSession(graph, { threads: 1 });
    const input_ids = [[0, 5, 9, 14, 2, 1], [0, 7, 8, 9, 10, 2]];
    const attention_mask = input_ids.map((r) => r.map((t) => (t === 1 ? 0 : 1)));
    const decoder_input_ids = [[0, 11, 12, 1], [0, 13, 14, 15]];
    const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
    const out = await session.run({ input_ids: i64(input_ids), attention_mask: i64(attention_mask), decoder_input_ids: i64(decoder_input_ids) });
    await session.release();
    folder.close();

    const r = spawnSync('/usr/bin/python3', [join(__dirname, '..', 'helpers', 'reference_xlmr_encoder_decoder.py')], { input: JSON.stringify({ dir: ed, input_ids, attention_mask, decoder_input_ids }), encoding: 'utf8', maxBuffer: 1 << 27 });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { logits: number[]; names: string[] };
    const ours = encoderDecoderTensorSpecs(config).map((s) => s.name).sort();
    assert.deepEqual(ours, [...ref.names].sort(), 'the saved tensors are the reference module\'s state_dict');
    const logits = out.logits.data as Float32Array;
    let err = 0;
    for (let i = 0; i < logits.length; i++) err = Math.max(err, Math.abs(logits[i] - ref.logits[i]));
    assert.ok(err < 1e-4, `max |ours - PyTorch| ${err}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an XLM-R-initialised EncoderDecoderModel trains as PyTorch does: loss and the gradient of every tensor (label smoothing 0.1, -100 ignored) to 1e-4', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-ed-grad-'));
  try {
    const base = join(root, 'xlmr');
    writeTinyXlmr(base, { head: 'mlm', seed: 5 });
    const folder = loadModelFolder(base);
    const config = folder.config;
    const smoothing = 0.1;
    const model = encoderDecoderLoss({ config, weight: warmStartWeights(folder.weights), labelSmoothing: smoothing, dropout: 0, initSeed: 2 });
    const built = buildGradientGraph(model.build);
    // The folder the reference reads holds the values our graph starts from (the loss caches each tensor it draws).
    const ed = join(root, 'encoder-decoder');
    writeEncoderDecoderFolder(ed, config, base, model.weight);
    folder.close();
    assert.ok(built.trainable.some((p) => p.name.includes('.crossattention.')) && built.trainable.some((p) => p.name.startsWith('encoder.')), 'full fine-tuning trains the encoder, the decoder and the new cross-attention');

    const input_ids = [[0, 5, 9, 14, 2, 1], [0, 7, 8, 9, 10, 2]];
    const attention_mask = input_ids.map((r) => r.map((t) => (t === 1 ? 0 : 1)));
    const decoder_input_ids = [[0, 11, 12, 1], [0, 13, 14, 15]];
    const labels = [[11, 12, 2, -100], [13, 14, 15, 2]];
    const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
    const { session } = await createSession(built.graph, { threads: 1 });
    const params = Object.fromEntries(built.trainable.map((p) => [p.name, new ort.Tensor('float32', p.initial, p.shape)]));
    const out = await session.run({
      input_ids: i64(input_ids), attention_mask: i64(attention_mask), decoder_input_ids: i64(decoder_input_ids), labels: i64(labels), ...params, ...frozenFeeds(built.frozen),
      [SEED_INPUT]: new ort.Tensor('uint32', Uint32Array.of(1), []), [COUNTER_INPUT]: new ort.Tensor('uint32', Uint32Array.of(0), []),
    });
    await session.release();

    const r = spawnSync('/usr/bin/python3', [join(__dirname, '..', 'helpers', 'reference_xlmr_encoder_decoder.py')], { input: JSON.stringify({ dir: ed, input_ids, attention_mask, decoder_input_ids, labels, label_smoothing: smoothing }), encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { loss: number; grads: Record<string, number[]> };
    const loss = Number(out.loss.data[0]);
    assert.ok(Math.abs(loss - ref.loss) < 1e-5 * Math.max(1, ref.loss), `loss ${loss} vs PyTorch ${ref.loss}`);
    for (const p of built.trainable) {
      const theirs = ref.grads[p.name];
      assert.ok(theirs, `PyTorch has a tensor named ${p.name}`);
      const ours = out[`grad.${p.name}`].data as Float32Array;
      assert.equal(ours.length, theirs.length, `${p.name} size`);
      let scale = 0;
      let err = 0;
      for (let i = 0; i < theirs.length; i++) {
        scale = Math.max(scale, Math.abs(theirs[i]));
        err = Math.max(err, Math.abs(ours[i] - theirs[i]));
      }
      // Key biases get an exactly-zero gradient in exact arithmetic (softmax is shift-invariant): rounding noise only.
      assert.ok(err <= 1e-4 * scale || err <= (p.name.endsWith('key.bias') ? 1e-6 : 1e-9), `${p.name}: max error ${err} against max |gradient| ${scale}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
