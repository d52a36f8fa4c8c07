/** `xlm fill-mask`: the top-k tokens for every <mask> of each text. */
import { fillMask } from '../tasks/fill-mask.js';
import { PARAM_LIMITS, type MaskCandidate } from '../rpc/protocol.js';
import { XlmError } from '../errors.js';
import type { CommandContext, CommandSpec } from './command.js';
import { DEVICE_OPTION, DTYPE_OPTION, MODEL_OPTION, TEXT_OPTIONS, inputTexts, modelDir, printJson } from './inputs.js';

export const fillMaskCommand: CommandSpec = {
  name: 'fill-mask',
  summary: 'predict the token at each <mask>, with probabilities',
  args: '[TEXT...]',
  options: {
    ...MODEL_OPTION,
    ...DEVICE_OPTION,
    ...DTYPE_OPTION,
    ...TEXT_OPTIONS,
    'top-k': { type: 'string', short: 'k', arg: 'N', help: 'candidates per mask', default: 5 },
    'batch-size': { type: 'string', arg: 'N', help: 'texts per model run', default: 16 },
  },
  details: [
    'Each text holds one or more <mask> tokens, e.g. xlm fill-mask --model DIR "Paris is the <mask> of France."',
    'The → line fills each mask as inline fill-in does: where the mask stands alone between spaces, the most probable',
    'candidate that is a whole word (not a piece glued onto the word before, not punctuation; down to the 50th) in the',
    'scripts the text is written in (a word in another script only when none is), else the top piece;',
    '"top-1 pieces" (transformers\' sequence, --json\'s "filled") follows where a mask\'s offer is not its top piece.',
  ],
  async run(ctx) {
    // Flags are checked before the model loads: a bad one is said at once.
    const k = topK(ctx);
    const batchSize = ctx.int('batch-size');
    const model = await ctx.models().model((await modelDir(ctx)));
    const texts = await inputTexts(ctx);
    const results = await fillMask(model, texts, { topK: k, batchSize });
    if (ctx.values.json) {
      printJson(ctx.io, results.map((r, i) => ({ text: texts[i], ...r })));
      return 0;
    }
    results.forEach((r, i) => {
      // The whole-word offer first (what inline fill-in writes); the top-1 pieces too where they differ from it.
      ctx.io.stdout.write(`${texts[i]}\n  → ${r.filledWords}\n`);
      if (r.masks.some((m) => m.offer.rank !== 0)) ctx.io.stdout.write(`  top-1 pieces: ${r.filled}\n`);
      r.masks.forEach((m, j) => {
        // A piece that does not start a word joins the word before the mask ("the" + "m" reads "them"): "…m", as the panel shows it.
        const list = m.candidates.map((c) => `${JSON.stringify(pieceShown(c, m.words > 0))} ${c.score.toFixed(4)}`).join('  ');
        const below = m.offer.rank >= m.candidates.length ? `  (offered: ${JSON.stringify(m.offer.token)} ${m.offer.score.toFixed(4)}, the ${ordinal(m.offer.rank + 1)} most probable)` : '';
        ctx.io.stdout.write(`  mask ${j + 1}: ${list}${below}\n`);
      });
    });
    return 0;
  },
};

/**
 * A candidate's token as the text output shows it: where the mask stands between spaces and whole words came up
 * (`marked`), "…m" for a piece that joins the word before it; a mark as itself; where the mask touches text
 * (Chinese writes no spaces) every candidate joins it, and none is marked.
 */
export function pieceShown(c: Pick<MaskCandidate, 'token' | 'text' | 'startsWord'>, marked: boolean): string {
  return !marked || c.startsWord || !/[\p{L}\p{N}]/u.test(c.text) ? c.token : `…${c.token}`;
}

/** --top-k, at most the protocol's limit (a vocabulary's worth, 250,000 lines, helps no one). */
function topK(ctx: CommandContext): number {
  const k = ctx.int('top-k');
  if (k > PARAM_LIMITS.topK) throw new XlmError('cli-bad-flag', `--top-k is ${k}; at most ${PARAM_LIMITS.topK} candidates per mask are listed`, { what: '--top-k' });
  return k;
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
