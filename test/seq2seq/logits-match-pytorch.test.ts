// Our Marian, M2M100 / NLLB and MBart graphs, built from an HF folder, give transformers' logits: checked against
// the plain-PyTorch reference (test/helpers/reference_hf_seq2seq.py) on tiny random models of every family, with
// weights of std 0.3 (so a missing scale or a wrong position table moves the logits far beyond 1e-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, ort } from '../../src/engine/runtime/session.js';
import { loadSeq2SeqConfig } from '../../src/engine/seq2seq/config.js';
import { buildSeq2SeqGraph } from '../../src/engine/seq2seq/inference.js';
import { openSeq2SeqWeights } from '../../src/engine/seq2seq/weights.js';
import { runHfReference, writeTinyHfSeq2Seq, type TinyFamily } from '../helpers/tiny-hf-seq2seq.js';

const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

const cases: { name: string; family: TinyFamily; config?: Record<string, unknown>; names: (n: string[]) => void }[] = [
  { name: 'Marian (tied, final_logits_bias)', family: 'marian', names: (n) => assert.ok(n.includes('model.shared.weight') && n.includes('final_logits_bias') && !n.includes('lm_head.weight')) },
  { name: 'Marian with an untied lm_head and separate encoder/decoder tables', family: 'marian', config: { tie_word_embeddings: false, share_encoder_decoder_embeddings: false }, names: (n) => assert.ok(n.includes('lm_head.weight') && n.includes('model.decoder.embed_tokens.weight') && !n.includes('model.shared.weight')) },
  { name: 'M2M100 / NLLB (pre-LayerNorm, fairseq positions)', family: 'm2m100', names: (n) => assert.ok(n.includes('model.encoder.layer_norm.weight') && !n.includes('final_logits_bias')) },
  { name: 'MBart (learned positions, embedding LayerNorm)', family: 'mbart', names: (n) => assert.ok(n.includes('model.encoder.embed_positions.weight') && n.includes('model.decoder.layernorm_embedding.weight')) },
];

for (const c of cases) {
  test(`${c.name}: logits match PyTorch to 1e-4`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlm-s2s-'));
    try {
      const tiny = writeTinyHfSeq2Seq(dir, c.family, { seed: 3, config: c.config });
      c.names(tiny.names);
      assert.ok(tiny.names.includes('model.decoder.layers.1.encoder_attn.q_proj.weight'));
      const config = loadSeq2SeqConfig(dir);
      const weights = openSeq2SeqWeights(dir, config);
      weights.check();
      const graph = buildSeq2SeqGraph('logits', config, weights);
      weights.close();
      const { session } = await createSession(graph, { threads: 1 });
      // Source rows of different lengths (right padding); decoder rows start with the family's start token and end in pads.
      const v = tiny.vocabSize;
      const pick = (k: number) => 4 + ((k * 7919) % (v - 4));
      const input_ids = [[pick(1), pick(2), pick(3), pick(4), 2, 1, 1], [pick(5), pick(6), pick(7), pick(8), pick(9), pick(10), 2]];
      const attention_mask = input_ids.map((r) => r.map((t) => (t === 1 ? 0 : 1)));
      const start = config.decoderStartTokenId;
      const decoder_input_ids = [[start, pick(11), pick(12), pick(13), 1], [start, pick(14), pick(15), pick(16), pick(17)]];
      const out = await session.run({ input_ids: i64(input_ids), attention_mask: i64(attention_mask), decoder_input_ids: i64(decoder_input_ids) });
      await session.release();
      const ours = out.logits.data as Float32Array;
      const ref = runHfReference<{ logits: number[] }>({ command: 'logits', dir, input_ids, attention_mask, decoder_input_ids });
      assert.equal(ours.length, ref.logits.length);
      let err = 0;
      let scale = 0;
      for (let i = 0; i < ours.length; i++) { err = Math.max(err, Math.abs(ours[i] - ref.logits[i])); scale = Math.max(scale, Math.abs(ref.logits[i])); }
      assert.ok(scale > 1, `logits of a std-0.3 model should be far from zero (max ${scale})`);
      assert.ok(err < 1e-4, `max |ours - PyTorch| = ${err}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
