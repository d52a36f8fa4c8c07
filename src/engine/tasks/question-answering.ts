/**
 * Extractive question answering with a model saved as XLMRobertaForQuestionAnswering: the question and the
 * context in run_qa.py's windows, start and end logits from the model's `qa` session, answers decoded over the
 * windows (src/engine/qa/decode.ts). Spans are UTF-16 offsets into the given context (what JavaScript and the
 * editor count); `codePointOffset` converts for Python tools.
 */
import { XlmError } from '../errors.js';
import { DEFAULT_DECODE, type QaDecodeOptions, type QaDecoded } from '../qa/decode.js';
import { collateQa, encodeQuestion, QA_MAX_LENGTH, QA_STRIDE, type QaFeature } from '../qa/features.js';
import { predictAnswers } from '../qa/predict.js';
import { sentenceAround } from '../qa/sentences.js';
import { CancelledError, type Cancellation } from '../runtime/inputs.js';
import type { QaAnswer } from '../rpc/protocol.js';
import type { LoadedModel } from '../runtime/model-cache.js';

export interface QuestionAnsweringOptions {
  /** Tokens per window (default 384, capped at the model's limit). */
  maxLength?: number;
  /** Tokens shared by consecutive windows (default 128, at most a third of the window). */
  stride?: number;
  decode?: Partial<QaDecodeOptions>;
  /** Windows per session run (default 16). */
  batchSize?: number;
  cancel?: Cancellation;
}

export interface QaQuestion {
  question: string;
  context: string;
}

/** The top-k answers to one question with their scores, spans and the sentence around each (the protocol's `qa`). */
export async function answerSpans(model: LoadedModel, question: string, context: string, o: { topK?: number; maxAnswerLength?: number; cancel?: Cancellation }): Promise<QaAnswer[]> {
  const topK = o.topK ?? 5;
  const [decoded] = await answerQuestions(model, [{ question, context }], {
    cancel: o.cancel,
    decode: { nBest: Math.max(DEFAULT_DECODE.nBest, topK), ...(o.maxAnswerLength === undefined ? {} : { maxAnswerLength: o.maxAnswerLength }) },
  });
  return decoded.nBest.slice(0, topK).map((s) => {
    const [sentenceStart, sentenceEnd] = sentenceAround(context, s.start, s.end);
    return { answer: s.text, score: s.probability, start: s.start, end: s.end, sentenceStart, sentenceEnd };
  });
}

/** Decoded answers, one per question, in order. */
export async function answerQuestions(model: LoadedModel, questions: readonly QaQuestion[], o: QuestionAnsweringOptions = {}): Promise<QaDecoded[]> {
  const maxLength = Math.min(o.maxLength ?? QA_MAX_LENGTH, model.maxLength);
  const stride = o.stride ?? Math.min(QA_STRIDE, Math.floor(maxLength / 3));
  const features: QaFeature[] = [];
  questions.forEach((q, i) => {
    if (q.question.trim() === '') throw new XlmError('qa-empty-question', `question ${i + 1} is empty`, { what: 'question' });
    features.push(...encodeQuestion(model.tokenizer, q.question, q.context, { maxLength, stride }, i));
  });
  const { session } = await model.session('qa');
  const decode = { ...DEFAULT_DECODE, ...o.decode };
  return predictAnswers(questions.map((q) => q.context), features, async (batch) => {
    if (o.cancel) {
      // A cancel notification that arrived meanwhile is seen before the next batch runs.
      await new Promise((resolve) => setImmediate(resolve));
      if (o.cancel.isCancellationRequested) throw new CancelledError();
    }
    const { feeds } = collateQa(batch, model.tokenizer.padId);
    const out = await session.run({ input_ids: feeds.input_ids, attention_mask: feeds.attention_mask });
    return { start: out.start_logits.data as Float32Array, end: out.end_logits.data as Float32Array, seq: feeds.input_ids.dims[1] };
  }, o.batchSize ?? 16, decode);
}
