/** `xlm qa`: the answer to a question in a text, with its score and its character span, from a QA model. */
import { readFileSync } from 'node:fs';
import { codePointOffset } from '../data/index.js';
import { XlmError } from '../errors.js';
import { answerQuestions } from '../tasks/question-answering.js';
import type { CommandSpec } from './command.js';
import { DEVICE_OPTION, MODEL_OPTION, modelDir, positiveInt, printJson } from './inputs.js';

export const qaCommand: CommandSpec = {
  name: 'qa',
  summary: 'answer a question from a text (--context or --context-file) with a model trained with --task qa',
  options: {
    ...MODEL_OPTION,
    ...DEVICE_OPTION,
    question: { type: 'string', short: 'q', arg: 'Q', help: 'the question' },
    context: { type: 'string', arg: 'TEXT', help: 'the text holding the answer' },
    'context-file': { type: 'string', arg: 'FILE', help: 'read the text from a UTF-8 file instead (of any length: it is read in overlapping windows)' },
    'top-k': { type: 'string', arg: 'N', help: 'answers to list, best first', default: 1 },
    'max-answer-length': { type: 'string', arg: 'N', help: 'longest answer in tokens (default 30)' },
    offsets: { type: 'string', arg: 'UNIT', help: 'utf16 (default: what JavaScript and VS Code count) or code-points (what Python and SQuAD files count)' },
  },
  details: [
    'Each answer: its text, its score (a probability over the n-best spans) and its [start, end) character span in the text.',
    'The model must be saved as XLMRobertaForQuestionAnswering (xlm train --task qa, or a SQuAD-fine-tuned XLM-R from the Hub).',
  ],
  async run(ctx) {
    const question = ctx.values.question as string | undefined;
    if (!question || question.trim() === '') throw new XlmError('cli-bad-flag', 'qa needs --question Q', { what: '--question' });
    const inline = ctx.values.context as string | undefined;
    const file = ctx.values['context-file'] as string | undefined;
    if ((inline === undefined) === (file === undefined)) throw new XlmError('cli-bad-flag', 'qa needs exactly one of --context TEXT and --context-file FILE', { what: '--context' });
    const unit = (ctx.values.offsets as string | undefined) ?? 'utf16';
    if (unit !== 'utf16' && unit !== 'code-points') throw new XlmError('cli-bad-flag', `--offsets is "${unit}"; it must be utf16 or code-points`, { what: '--offsets' });
    let context = inline ?? '';
    if (file !== undefined) {
      try {
        context = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
      } catch (e) {
        throw new XlmError('file-unreadable', `cannot read the context: ${(e as Error).message}`, { file });
      }
    }
    const topK = ctx.int('top-k');
    const model = await ctx.models().model(await modelDir(ctx));
    const [decoded] = await answerQuestions(model, [{ question, context }], {
      decode: { nBest: Math.max(20, topK), ...(ctx.values['max-answer-length'] === undefined ? {} : { maxAnswerLength: positiveInt(ctx.values['max-answer-length'], '--max-answer-length', 30) }) },
    });
    const at = (n: number) => (unit === 'code-points' ? codePointOffset(context, n) : n);
    const answers = decoded.nBest.slice(0, topK).map((s) => ({ answer: s.text, score: s.probability, start: at(s.start), end: at(s.end) }));
    if (ctx.values.json) printJson(ctx.io, { question, answers });
    else for (const a of answers) ctx.io.stdout.write(`${(100 * a.score).toFixed(1).padStart(5)}%  [${a.start}, ${a.end})  ${a.answer}\n`);
    return 0;
  },
};
