/**
 * What must hold for offsets and word ids of any encoding, written once and used by several tests.
 * Returns a list of problems (empty when everything holds) so a failing assertion shows all of them.
 */
import type { Encoding } from '../../src/engine/tokenize/encoding.js';
import type { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
/** Whether a boundary at k falls between the two halves of a surrogate pair. */
const cutsPair = (text: string, k: number) => k > 0 && k < text.length && isHighSurrogate(text.charCodeAt(k - 1)) && isLowSurrogate(text.charCodeAt(k));

export function offsetProblems(tok: XlmTokenizer, texts: readonly [string, string?], enc: Encoding): string[] {
  const problems: string[] = [];
  const unk = tok.unkId;
  for (const sequence of [0, 1] as const) {
    const text = texts[sequence];
    if (text === undefined) continue;
    const idx = enc.sequenceIds.flatMap((s, i) => (s === sequence ? [i] : []));
    const covered = new Array<boolean>(text.length).fill(false);
    let prev: [number, number] | null = null;
    let previousWord: number | null = null;
    // Tokens that share one span (NFKC turned one character into several pieces) are checked together.
    let group: number[] = [];
    const flushGroup = () => {
      if (group.length === 0) return;
      const [s, e] = enc.offsets[group[0]];
      const slice = text.slice(s, e);
      const surfaces = group.map((i) => enc.tokens[i].replace(/\u2581/g, ''));
      const hasUnknown = group.some((i) => enc.ids[i] === unk);
      const joined = surfaces.join('');
      const where = `seq ${sequence} tokens ${group.join(',')} ${JSON.stringify(group.map((i) => enc.tokens[i]))} at [${s},${e}] = ${JSON.stringify(slice)}`;
      if (hasUnknown) {
        if (slice === '') problems.push(`${where}: an unknown token must cover the characters it replaces`);
      } else if (joined === '') {
        if (slice.trim() !== '') problems.push(`${where}: a space-only token must cover only whitespace`);
      } else if (tok.normalize(slice).replace(/\s/g, '') !== joined.replace(/\s/g, '')) {
        problems.push(`${where}: normalized slice differs from the token surface ${JSON.stringify(joined)}`);
      }
      group = [];
    };
    for (const i of idx) {
      const [s, e] = enc.offsets[i];
      if (!(s >= 0 && s <= e && e <= text.length)) {
        problems.push(`seq ${sequence} token ${i} ${enc.tokens[i]}: span [${s},${e}] outside the text of length ${text.length}`);
        continue;
      }
      if (cutsPair(text, s) || cutsPair(text, e)) {
        problems.push(`seq ${sequence} token ${i}: span [${s},${e}] cuts a surrogate pair`);
      }
      const same = prev !== null && prev[0] === s && prev[1] === e && s < e;
      if (prev !== null && !same && s < prev[1] && s < e) problems.push(`seq ${sequence} token ${i}: span [${s},${e}] overlaps the previous [${prev[0]},${prev[1]}]`);
      if (!same) flushGroup();
      group.push(i);
      for (let k = s; k < e; k++) covered[k] = true;
      const w = enc.wordIds[i];
      const before: number | null = previousWord;
      if (w === null || (before !== null && w !== before && w !== before + 1)) {
        problems.push(`seq ${sequence} token ${i} ${enc.tokens[i]} has word id ${w} after word ${before}: words are numbered in order, one step at a time`);
      }
      previousWord = w;
      prev = [s, e];
    }
    flushGroup();
    for (let k = 0; k < text.length; k++) {
      if (!covered[k] && /\S/.test(text[k]) && enc.truncatedTokens === 0) {
        problems.push(`seq ${sequence}: character ${k} ${JSON.stringify(text[k])} is covered by no token`);
        break;
      }
    }
  }
  enc.specialTokensMask.forEach((special, i) => {
    if (special && (enc.offsets[i][0] !== 0 || enc.offsets[i][1] !== 0 || enc.wordIds[i] !== null || enc.sequenceIds[i] !== null)) {
      problems.push(`special token ${i} ${enc.tokens[i]} must have offsets [0,0], word id null, sequence id null`);
    }
  });
  return problems;
}
