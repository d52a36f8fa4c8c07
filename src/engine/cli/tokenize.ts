/** `xlm tokenize`: ids, tokens, offsets and word ids of each text (or text pair). */
import { tokenize } from '../tasks/tokenize.js';
import type { CommandSpec } from './command.js';
import { XlmError } from '../errors.js';
import { codePointOffsets } from '../tokenize/alignment.js';
import { MODEL_OPTION, PAIR_OPTIONS, TEXT_OPTIONS, inputPairs, modelDir, positiveInt, printJson, truncationStrategy } from './inputs.js';

export const tokenizeCommand: CommandSpec = {
  name: 'tokenize',
  summary: 'show the tokens of texts, with ids, character offsets and word ids',
  args: '[TEXT...]',
  options: {
    ...MODEL_OPTION,
    ...TEXT_OPTIONS,
    ...PAIR_OPTIONS,
    'max-length': { type: 'string', arg: 'N', help: 'truncate to N tokens, special tokens included' },
    offsets: { type: 'string', arg: 'UNIT', help: 'utf16 (default: what JavaScript and VS Code count) or code-points (what Python and Hugging Face tokenizers count)' },
  },
  details: [
    'Lines on stdin are texts, one result per line (a blank line is an empty text); TEXT<TAB>PAIR is a pair.',
    'Word ids are those of Hugging Face tokenizers: a word ends at a space of the normalized text and at an added token such as <mask>.',
  ],
  async run(ctx) {
    const tokenizer = ctx.models().tokenizer((await modelDir(ctx)));
    const maxLength = ctx.values['max-length'] === undefined ? undefined : positiveInt(ctx.values['max-length'], '--max-length', 0);
    const truncation = truncationStrategy(ctx);
    const unit = (ctx.values.offsets as string | undefined) ?? 'utf16';
    if (unit !== 'utf16' && unit !== 'code-points') throw new XlmError('cli-bad-flag', `--offsets is "${unit}"; it must be utf16 or code-points`, { what: '--offsets' });
    const results = (await inputPairs(ctx)).map(({ text, textPair }) => {
      const r = tokenize(tokenizer, text, textPair, maxLength, truncation);
      if (unit === 'code-points') {
        r.offsets = r.offsets.map((span, i) => (r.sequenceIds[i] === null ? span : codePointOffsets(r.sequenceIds[i] === 1 ? textPair ?? '' : text, [span])[0]));
      }
      return textPair === undefined ? { text, ...r } : { text, textPair, ...r };
    });
    if (ctx.values.json) {
      printJson(ctx.io, results);
      return 0;
    }
    for (const r of results) {
      ctx.io.stdout.write(`${'textPair' in r ? `${r.text} ‖ ${r.textPair}` : r.text}\n`);
      r.ids.forEach((id, i) => {
        const [start, end] = r.offsets[i];
        const word = r.wordIds[i] === null ? '' : `word ${r.wordIds[i]}`;
        ctx.io.stdout.write(`  ${String(i).padStart(3)}  ${String(id).padStart(6)}  ${JSON.stringify(r.tokens[i]).padEnd(16)} ${`${start}..${end}`.padEnd(9)} ${word}\n`);
      });
    }
    return 0;
  },
};
