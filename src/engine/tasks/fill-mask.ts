/**
 * Fill-mask: the top-k tokens for every `<mask>` of each text, with probabilities, the text with every mask
 * replaced by its best token, and the text with each mask replaced by the candidate offered first (fill-choice.ts). The MLM head runs on the mask positions only (the vocabulary
 * projection is most of the cost of a full-sequence head), and softmax + top-k run in the session, so
 * k numbers per mask come back instead of a vocabulary's worth.
 */
import { XlmError } from '../errors.js';
import type { FillMaskResult } from '../rpc/protocol.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import { cancellableChunks, int64Tensor, modelInputs, type Cancellation } from '../runtime/inputs.js';
import { masksStandAlone, preferredIndex, replaceMasks } from './fill-choice.js';

export interface FillMaskOptions {
  /** Candidates per mask (default 5). */
  topK?: number;
  /** Texts per session run (default 16): the most work a cancel waits for. */
  batchSize?: number;
  /** Checked between batches: a cancelled request stops before its next batch. */
  cancel?: Cancellation;
}

export async function fillMask(model: LoadedModel, texts: readonly string[], opts: FillMaskOptions = {}): Promise<FillMaskResult[]> {
  const topK = opts.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new XlmError('bad-top-k', `top-k is ${topK}; it must be a whole number of at least 1`, { what: 'topK' });
  const k = Math.min(topK, model.config.vocab_size);
  const results: FillMaskResult[] = [];
  for await (const chunk of cancellableChunks(texts, opts.batchSize ?? 16, opts.cancel)) results.push(...(await fillChunk(model, chunk, k, results.length)));
  return results;
}

async function fillChunk(model: LoadedModel, texts: string[], k: number, firstIndex: number): Promise<FillMaskResult[]> {
  const { tokenizer } = model;
  const maskToken = tokenizer.maskToken;
  const batch = tokenizer.encodeBatch(texts, { maxLength: model.maxLength });
  const positions: number[] = [];
  const perText: number[][] = batch.encodings.map((encoding, i) => {
    const found = tokenizer.maskPositions(encoding);
    const written = texts[i].split(maskToken).length - 1;
    const which = `text ${firstIndex + i + 1}`;
    if (written === 0) throw new XlmError('no-mask', `${which} has no ${maskToken}; fill-mask predicts the token at each ${maskToken} of the text`, { what: which });
    if (found.length < written) {
      throw new XlmError('mask-truncated', `${which} is longer than the model's ${model.maxLength} tokens and a ${maskToken} was cut off; shorten the text`, { what: which });
    }
    for (const p of found) positions.push(i * batch.length + p);
    return found;
  });

  const { session } = await model.session('fill-mask');
  const out = await session.run({ ...modelInputs(batch), mask_positions: int64Tensor(positions), top_k: int64Tensor([k]) });
  const probs = out.probs.data as Float32Array;
  const ids = out.token_ids.data as BigInt64Array;

  let row = 0;
  return perText.map((maskPositions, i) => {
    const filledIds = batch.encodings[i].ids.filter((_, p) => batch.encodings[i].attentionMask[p] === 1);
    const offset = batch.padding === 'left' ? batch.length - filledIds.length : 0;
    // The text's first piece: where byte-level BPE writes no space before a word.
    const firstPiece = batch.encodings[i].specialTokensMask.findIndex((special, p) => !special && batch.encodings[i].attentionMask[p] === 1);
    const masks = maskPositions.map((position) => {
      const candidates = [];
      for (let j = 0; j < k; j++) {
        const id = Number(ids[row * k + j]);
        const token = tokenizer.decode([id]);
        candidates.push({ token, text: tokenizer.pieceText(id, token), id, score: probs[row * k + j], startsWord: tokenizer.pieceStartsWord(id, position === firstPiece) });
      }
      filledIds[position - offset] = candidates[0].id;
      row++;
      return { candidates, preferred: 0 };
    });
    const filled = tokenizer.decode(filledIds, { skipSpecial: true });
    // The offer of each mask as the text writes it (a mask cut off by truncation was refused above). Where the
    // tokenizer found masks the text does not write as its mask token, the masks cannot be matched to their places:
    // each offer is then its top piece, and the filled text transformers' sequence.
    const alone = masksStandAlone(texts[i], maskToken);
    if (alone.length !== masks.length) return { masks, filled, filledWords: filled };
    for (const [j, m] of masks.entries()) m.preferred = preferredIndex(m.candidates, alone[j]);
    return { masks, filled, filledWords: replaceMasks(texts[i], maskToken, masks.map((m) => m.candidates[m.preferred].text)) };
  });
}
