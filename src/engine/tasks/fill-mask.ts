/**
 * Fill-mask: the top-k tokens for every `<mask>` of each text, with probabilities, the text with every mask
 * replaced by its best token, and the text with each mask replaced by the candidate offered first (fill-choice.ts). The MLM head runs on the mask positions only (the vocabulary
 * projection is most of the cost of a full-sequence head), and softmax + top-k run in the session, so
 * k numbers per mask come back instead of a vocabulary's worth.
 */
import { XlmError } from '../errors.js';
import type { FillMaskResult, MaskCandidate } from '../rpc/protocol.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import { cancellableChunks, int64Tensor, modelInputs, type Cancellation } from '../runtime/inputs.js';
import { leadingWords, listOrder, masksStandAlone, offeredRank, OFFER_DEPTH, replaceMasks, scriptsOf } from './fill-choice.js';

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
  for await (const chunk of cancellableChunks(texts, opts.batchSize ?? 16, opts.cancel, `fill-mask ${model.dir} ${model.dtype}`)) results.push(...(await fillChunk(model, chunk, k, results.length)));
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

  // The session's top-k reaches past k so that a mask standing alone can be offered its most probable whole word
  // even when only pieces and marks make the top k (a small model's top 5 after "the" is often "m", "ir", "y": them, their, they).
  const depth = Math.min(Math.max(k, OFFER_DEPTH), model.config.vocab_size);
  const { session } = await model.session('fill-mask');
  const out = await session.run({ ...modelInputs(batch), mask_positions: int64Tensor(positions), top_k: int64Tensor([depth]) });
  const probs = out.probs.data as Float32Array;
  const ids = out.token_ids.data as BigInt64Array;

  let row = 0;
  return perText.map((maskPositions, i) => {
    const filledIds = batch.encodings[i].ids.filter((_, p) => batch.encodings[i].attentionMask[p] === 1);
    const offset = batch.padding === 'left' ? batch.length - filledIds.length : 0;
    // The text's first piece: where byte-level BPE writes no space before a word.
    const firstPiece = batch.encodings[i].specialTokensMask.findIndex((special, p) => !special && batch.encodings[i].attentionMask[p] === 1);
    // Where each mask stands in the text as written. Where the tokenizer found masks the text does not write as its
    // mask token, the masks cannot be matched to their places: each offer is then the top piece.
    const written = masksStandAlone(texts[i], maskToken);
    const matched = written.length === maskPositions.length;
    // The scripts the text is written in: a whole word in another one is offered and listed after those in them.
    const scripts = scriptsOf(texts[i].split(maskToken).join(' '));
    const masks = maskPositions.map((position, m) => {
      const at = row++ * depth;
      const candidate = (j: number): MaskCandidate => {
        const id = Number(ids[at + j]);
        const token = tokenizer.decode([id]);
        return { token, text: tokenizer.pieceText(id, token), id, score: probs[at + j], startsWord: tokenizer.pieceStartsWord(id, position === firstPiece) };
      };
      // Candidates are decoded as far down as the offer needs (past k only when no whole word made the top k).
      const ranked: MaskCandidate[] = [];
      const rankedAt = (j: number): MaskCandidate => (ranked[j] ??= candidate(j));
      const candidates = Array.from({ length: k }, (_, j) => rankedAt(j));
      const alone = matched && written[m] === true;
      const rank = offeredRank(rankedAt, depth, alone, scripts);
      filledIds[position - offset] = candidates[0].id;
      const offer = { ...rankedAt(rank), rank };
      const listed = listOrder(candidates, rank, alone, scripts);
      return { candidates, offer, listed, words: alone ? leadingWords([offer, ...listed.map((j) => candidates[j]!)]) : 0 };
    });
    const filled = tokenizer.decode(filledIds, { skipSpecial: true });
    return { masks, filled, filledWords: matched ? replaceMasks(texts[i], maskToken, masks.map((m) => m.offer.text)) : filled };
  });
}
