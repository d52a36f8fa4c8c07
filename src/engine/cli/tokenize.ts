/** `xlm tokenize`: ids, tokens, offsets and word ids of each text (or text pair). */
import { tokenize } from '../tasks/tokenize.js';
import type { CommandSpec } from './command.js';
import { MODEL_OPTION, TEXT_OPTIONS, inputTexts, modelDir, positiveInt, printJson } from './inputs.js';

export const tokenizeCommand: CommandSpec = {
  name: 'tokenize',
  summary: 'show the tokens of texts, with ids, character offsets and word ids',
  args: '[TEXT...]',
  options: {
    ...MODEL_OPTION,
    ...TEXT_OPTIONS,
    pair: { type: 'string', arg: 'TEXT', help: 'second text of a pair (<s> A </s></s> B </s>)' },
    'max-length': { type: 'string', arg: 'N', help: 'truncate to N tokens, special tokens included' },
  },
  async run(ctx) {
    const tokenizer = ctx.models().tokenizer((await modelDir(ctx)));
    const maxLength = ctx.values['max-length'] === undefined ? undefined : positiveInt(ctx.values['max-length'], '--max-length', 0);
    const results = (await inputTexts(ctx)).map((text) => ({ text, ...tokenize(tokenizer, text, ctx.values.pair as string | undefined, maxLength) }));
    if (ctx.values.json) {
      printJson(ctx.io, results);
      return 0;
    }
    for (const r of results) {
      ctx.io.stdout.write(`${r.text}\n`);
      r.ids.forEach((id, i) => {
        const [start, end] = r.offsets[i];
        const word = r.wordIds[i] === null ? '' : `word ${r.wordIds[i]}`;
        ctx.io.stdout.write(`  ${String(i).padStart(3)}  ${String(id).padStart(6)}  ${JSON.stringify(r.tokens[i]).padEnd(16)} ${`${start}..${end}`.padEnd(9)} ${word}\n`);
      });
    }
    return 0;
  },
};
