/**
 * Sequence classification of texts or text pairs: every label of config.json's id2label with its
 * probability, best first. Probabilities as transformers' text-classification pipeline computes them:
 * softmax over the labels; sigmoid per label for multi-label models and single-output models; the raw
 * value for regression models.
 */
import type { ClassifyInput, ClassifyResult, LabelScore } from '../rpc/protocol.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import { cancellableChunks, modelInputs, type Cancellation } from '../runtime/inputs.js';
import type { TruncationStrategy } from '../tokenize/encoding.js';
import { XlmError } from '../errors.js';
import type { XlmLabConfigBlock } from '../model/capabilities.js';

export interface ClassifyOptions {
  /** Inputs per session run (default 16): the most work a cancel waits for. */
  batchSize?: number;
  /** Checked between batches: a cancelled request stops before its next batch. */
  cancel?: Cancellation;
  /** How pairs are cut to the model's maximum length (default longest_first). */
  truncation?: TruncationStrategy;
}

export async function classify(model: LoadedModel, inputs: readonly ClassifyInput[], opts: ClassifyOptions = {}): Promise<ClassifyResult> {
  checkInputKind(model, inputs);
  const results: ClassifyResult = [];
  for await (const chunk of cancellableChunks(inputs, opts.batchSize ?? 16, opts.cancel, `classify ${model.dir} ${model.dtype}`)) {
    const logits = await classifyLogits(model, chunk, opts.truncation);
    results.push(...logits.map((row) => labelScores(model, row)));
  }
  return results;
}

/**
 * A classifier that `xlm train` saved says whether it read single texts or pairs (config.json's xlm_lab.input);
 * the other kind of input gets an answer that means nothing, so it is refused. Models that do not say are not checked.
 */
function checkInputKind(model: LoadedModel, inputs: readonly ClassifyInput[]): void {
  const declared = (model.config.raw.xlm_lab as XlmLabConfigBlock | undefined)?.input;
  const paired = inputs.findIndex((i) => i.textPair !== undefined);
  const single = inputs.findIndex((i) => i.textPair === undefined);
  if (declared === 'single' && paired >= 0) {
    throw new XlmError('classify-input', `this classifier was trained on single texts (config.json: xlm_lab.input "single"), and input ${paired + 1} is a pair of texts: give texts without a pair, or use a pair classifier`, { what: 'textPair' });
  }
  if (declared === 'pair' && single >= 0) {
    throw new XlmError('classify-input', `this classifier was trained on pairs of texts (config.json: xlm_lab.input "pair"), and input ${single + 1} is a single text: give each text with its pair`, { what: 'textPair' });
  }
}

/** Raw logits per input, [inputs][labels]. */
export async function classifyLogits(model: LoadedModel, inputs: readonly ClassifyInput[], truncation?: TruncationStrategy): Promise<Float32Array[]> {
  const batch = model.tokenizer.encodeBatch(
    inputs.map((input) => (input.textPair === undefined ? input.text : ([input.text, input.textPair] as const))),
    { maxLength: model.maxLength, truncation },
  );
  const { session } = await model.session('seq-cls');
  const out = await session.run({ ...modelInputs(batch) });
  const data = out.logits.data as Float32Array;
  const labels = out.logits.dims[1];
  return inputs.map((_, i) => data.slice(i * labels, (i + 1) * labels));
}

function labelScores(model: LoadedModel, logits: Float32Array): LabelScore[] {
  const { problem_type: problem } = model.config;
  const sigmoid = problem === 'multi_label_classification' || (logits.length === 1 && problem !== 'regression');
  const scores = problem === 'regression' ? Array.from(logits) : sigmoid ? Array.from(logits, (x) => 1 / (1 + Math.exp(-x))) : softmax(logits);
  return scores.map((score, id) => ({ label: model.config.id2label[id] ?? `LABEL_${id}`, score })).sort((a, b) => b.score - a.score);
}

export function softmax(logits: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  const e = Array.from(logits, (x) => Math.exp(x - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
