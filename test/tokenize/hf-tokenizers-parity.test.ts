/**
 * Our tokenizer against Hugging Face's own Rust `tokenizers` (the npm package, a native binary): over a
 * table of texts in twelve scripts, with emoji, combining marks, NFKC-sensitive characters, whitespace
 * runs, `<mask>` and pairs, on four XLM-R-layout tokenizers, with and without truncation under each
 * strategy, the ids, the word ids and the offsets must be those of `tokenizers`, except for the
 * differences listed in DELIBERATE (each one a choice the README explains).
 *
 * `tokenizers` gives offsets in code points; ours are UTF-16 code units, converted here with
 * {@link codePointOffsets}.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer as HfTokenizer, type Encoding as HfEncoding, type TruncationStrategy as HfStrategy } from 'tokenizers';
import { makeTinyTokenizerConfig, makeTinyTokenizerJson } from '../helpers/tiny-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { codePointOffsets } from '../../src/engine/tokenize/alignment.js';
import type { Encoding, TruncationStrategy } from '../../src/engine/tokenize/encoding.js';

const LAYOUTS: Record<string, () => object> = {
  // XLM-R's layout with the portable normalizer: NFKC, whitespace runs to one space, strip.
  'nfkc-collapse': () => makeTinyTokenizerJson(),
  // No normalizer: every space is a '▁', tabs and newlines reach the model.
  'no-normalizer': () => makeTinyTokenizerJson({ normalizer: null }),
  // NFKC alone: whitespace runs stay.
  nfkc: () => makeTinyTokenizerJson({ normalizer: { type: 'NFKC' } }),
  // XLM-R as first published on the Hub: WhitespaceSplit before Metaspace, RobertaProcessing.
  'hub-whitespace-split': () => ({
    ...(makeTinyTokenizerJson({ normalizer: { type: 'NFKC' } }) as Record<string, unknown>),
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true }] },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: true },
  }),
};

const TEXTS: readonly string[] = [
  // Twelve scripts.
  'The capital of France is Paris.',
  'Le café est très naïve à Paris.',
  'Zażółć gęślą jaźń. Příliš žluťoučký kůň.',
  'Москва — столица России.',
  'Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.',
  '東京は日本の首都です。',
  '北京是中国的首都。',
  '서울은 한국의 수도입니다.',
  'مرحبا بالعالم',
  'नमस्ते दुनिया',
  'Die Hauptstadt von Deutschland ist Berlin, über alles.',
  'El niño está en Madrid, España.',
  // Emoji: surrogate pairs, a ZWJ sequence, unknown characters.
  'I love Paris 😀👍🌍 🎉',
  'a😀b c',
  '👩\u200d💻 ok',
  'x ☃☃ y',
  // Combining marks and what NFKC composes.
  'cafe\u0301 nai\u0308ve',
  'e\u0301\u0301',
  'x \u0301 y',
  '\u0301a',
  '\u1112\u1161\u11ab국',
  // NFKC-sensitive characters.
  'ｆｕｌｌ ﬁx',
  'ﷺ x',
  '① ㎏ ½',
  // Whitespace.
  'El  niño',
  'a b',
  'a\tb',
  'a\u00a0b',
  'a\u3000b',
  'a\nb\n',
  'Paris    is',
  '   Paris  ',
  ' ',
  '',
  // The mask token.
  'a<mask>b',
  'the <mask> of',
  ' <mask> ',
  '<mask>',
  'Paris<mask>ing <mask><mask>',
];

const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['a b', 'c d'],
  ['The capital of France is Paris.', 'Москва — столица России.'],
  ['東京は日本の首都です。', 'I love Paris 😀👍🌍 🎉'],
  ['e\u0301\u0301 x', 'the <mask> of'],
  ['', 'a\tb'],
  ['El  niño', ''],
];

const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];
const HF_STRATEGY: Record<TruncationStrategy, HfStrategy> = { longest_first: 'LongestFirst' as HfStrategy, only_first: 'OnlyFirst' as HfStrategy, only_second: 'OnlySecond' as HfStrategy };

/**
 * Where our offsets differ from tokenizers' on purpose: each rule takes tokenizers' span of a token (in code
 * points of the token's text) and gives the span we emit instead; the first rule that applies is used.
 */
type Span = readonly [number, number];

/** A token as tokenizers gives it, with its neighbours' spans in the same text (null at the ends). */
interface Seen {
  token: string;
  span: Span;
  chars: readonly string[];
  prev: Span | null;
  next: Span | null;
  /** The layout's normalizer. */
  normalize: (text: string) => string;
}

interface Deliberate {
  rule: string;
  why: string;
  applies: (t: Seen) => boolean;
  ours: (t: Seen) => [number, number];
}

const isSpace = (ch: string | undefined) => ch !== undefined && /\s/u.test(ch);
const spaceOnly = (token: string) => token.replace(/\u2581/g, '').trim() === '';
const holdsSpace = ([s, e]: readonly [number, number], chars: readonly string[]) => chars.slice(s, e).some(isSpace);
const holdsOther = ([s, e]: readonly [number, number], chars: readonly string[]) => chars.slice(s, e).some((ch) => !isSpace(ch));
const attaches = (ch: string | undefined) => ch !== undefined && /[\p{M}\u1160-\u11ff]/u.test(ch);
/** Whether the normalizer composes the mark (or jamo) at `e` into the character before it. */
const composes = ({ span, chars, next, normalize }: Seen, e: number) => {
  if (!attaches(chars[e]) || (next !== null && next[0] <= e)) return false;
  const length = (k: number) => Array.from(normalize(chars.slice(span[0], k).join(''))).length;
  return length(e + 1) === length(e);
};

const DELIBERATE: readonly Deliberate[] = [
  {
    rule: 'a token with content leaves out whitespace at its ends',
    why: 'tokenizers gives `▁word` the space before it (and a collapsed run of spaces, a tab or a newline it swallowed); a span of the word alone is what an editor highlights and what NER spans hold',
    applies: ({ token, span, chars }) => !spaceOnly(token) && holdsOther(span, chars) && (isSpace(chars[span[0]]) || isSpace(chars[span[1] - 1])),
    ours: ({ span: [start, end], chars }) => {
      let [s, e] = [start, end];
      while (s < e && isSpace(chars[s])) s++;
      while (e > s && isSpace(chars[e - 1])) e--;
      return [s, e];
    },
  },
  {
    rule: 'a character a normalizer composed covers what it was composed from',
    why: 'tokenizers spans NFKC\'s é (e + U+0301) or 한 (three jamo) over the first code point only, leaving the marks to no token',
    applies: (t) => !spaceOnly(t.token) && t.span[1] > t.span[0] && composes(t, t.span[1]),
    ours: (t) => {
      let e = t.span[1];
      while (composes(t, e)) e++;
      return [t.span[0], e];
    },
  },
  {
    rule: 'a space mark Metaspace prepended covers the whitespace before its word, or is empty where there is none',
    why: 'tokenizers aligns a prepended `▁` with the first character of its word, so two tokens claim that character; ours stands for the whitespace the pre-tokenizer dropped before the word (WhitespaceSplit), as a `▁` that replaced a space does, and for no character at the start of the text',
    applies: ({ token, span, chars, prev }) => spaceOnly(token) && span[1] > span[0] && !holdsSpace(span, chars) && !(prev !== null && prev[0] === span[0] && prev[1] === span[1]),
    ours: ({ span: [s], chars }) => {
      if (!isSpace(chars[s - 1])) return [s, s];
      let start = s;
      while (isSpace(chars[start - 1])) start--;
      return [start, start + 1];
    },
  },
];

/**
 * Inputs whose ids differ: tokenizers 0.23.2 returns, for these, the reverse of what its own
 * truncate_encodings (tokenizers/src/utils/truncation.rs, longest_first) computes: it keeps the second
 * text's token although the first text is the longer one. We follow truncation.rs; a grid of a-token and
 * b-token texts shows it only at budgets of 1, 3 and 5 with a > b >= 5.
 */
const DIFFERENT_IDS: ReadonlyArray<{ text: string; pair: string; maxLength: number }> = [
  { text: 'The capital of France is Paris.', pair: 'Москва — столица России.', maxLength: 5 },
];

/** How often each deliberate rule was needed: a rule nothing needs any more is taken off the list. */
const ruleUses = new Map<string, number>();

interface Case {
  layout: string;
  text: string;
  pair: string | null;
  maxLength?: number;
  truncation?: TruncationStrategy;
}

function describe(c: Case): string {
  const limit = c.maxLength === undefined ? '' : ` max ${c.maxLength} ${c.truncation}`;
  return `${c.layout} ${JSON.stringify(c.text)}${c.pair === null ? '' : ` + ${JSON.stringify(c.pair)}`}${limit}`;
}

/** Every difference between their encoding and ours, one line each (empty when they agree). */
function differences(c: Case, theirs: HfEncoding | Error, ours: Encoding | Error, normalize: (text: string) => string): string[] {
  if (theirs instanceof Error || ours instanceof Error) {
    if (theirs instanceof Error && ours instanceof Error) return [];
    return [`error: theirs ${theirs instanceof Error ? theirs.message : 'none'}, ours ${ours instanceof Error ? ours.message : 'none'}`];
  }
  const out: string[] = [];
  const listed = DIFFERENT_IDS.some((d) => d.text === c.text && d.pair === c.pair && d.maxLength === c.maxLength && c.truncation === 'longest_first');
  if (listed) return JSON.stringify(theirs.getIds()) === JSON.stringify(ours.ids) ? ['listed in DIFFERENT_IDS but now equal: take it off the list'] : [];
  if (JSON.stringify(theirs.getIds()) !== JSON.stringify(ours.ids)) out.push(`ids: theirs ${JSON.stringify(theirs.getIds())}, ours ${JSON.stringify(ours.ids)}`);
  else {
    const theirWords = theirs.getWordIds().map((w) => w ?? null);
    if (JSON.stringify(theirWords) !== JSON.stringify(ours.wordIds)) out.push(`words: theirs ${JSON.stringify(theirWords)}, ours ${JSON.stringify(ours.wordIds)}`);
    const texts = [c.text, c.pair ?? ''];
    const ourOffsets = ours.offsets.map((span, i) => {
      const sequence = ours.sequenceIds[i];
      return sequence === null ? span : codePointOffsets(texts[sequence], [span])[0];
    });
    const theirOffsets = theirs.getOffsets();
    const chars = texts.map((t) => Array.from(t));
    const spanIn = (k: number, sequence: number): Span | null => (ours.sequenceIds[k] === sequence ? (theirOffsets[k] as unknown as Span) : null);
    ourOffsets.forEach((span, i) => {
      const sequence = ours.sequenceIds[i];
      let their = theirOffsets[i] as [number, number];
      if (sequence !== null) {
        const seen: Seen = { token: ours.tokens[i], span: their, chars: chars[sequence], prev: spanIn(i - 1, sequence), next: spanIn(i + 1, sequence), normalize };
        const rule = DELIBERATE.find((d) => d.applies(seen));
        if (rule) {
          their = rule.ours(seen);
          ruleUses.set(rule.rule, (ruleUses.get(rule.rule) ?? 0) + 1);
        }
      }
      if (span[0] !== their[0] || span[1] !== their[1]) out.push(`offsets of token ${i} ${ours.tokens[i]}: theirs [${their.join(',')}], ours [${span.join(',')}]`);
    });
  }
  return out;
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const layout of Object.keys(LAYOUTS)) {
    for (const text of TEXTS) all.push({ layout, text, pair: null });
    for (const [text, pair] of PAIRS) {
      all.push({ layout, text, pair });
      for (const truncation of STRATEGIES) for (let maxLength = 4; maxLength <= 12; maxLength++) all.push({ layout, text, pair, maxLength, truncation });
    }
    for (const text of TEXTS.slice(0, 6)) for (const truncation of ['longest_first', 'only_first'] as const) for (const maxLength of [2, 3, 5]) all.push({ layout, text, pair: null, maxLength, truncation });
  }
  return all;
}

test('ids, word ids and offsets equal those of Hugging Face tokenizers, but for the deliberate differences', async () => {
  const ours = new Map<string, XlmTokenizer>();
  const theirs = new Map<string, HfTokenizer>();
  for (const [name, make] of Object.entries(LAYOUTS)) {
    const json = make();
    ours.set(name, new XlmTokenizer({ tokenizerJson: json, tokenizerConfig: makeTinyTokenizerConfig(json) }));
    theirs.set(name, HfTokenizer.fromString(JSON.stringify(json)));
  }
  const found: string[] = [];
  for (const c of cases()) {
    const hf = theirs.get(c.layout)!;
    if (c.maxLength === undefined) hf.disableTruncation();
    else hf.setTruncation(c.maxLength, { strategy: HF_STRATEGY[c.truncation!] });
    const their = await hf.encode(c.text, c.pair).catch((e: unknown) => e as Error);
    let our: Encoding | Error;
    try {
      our = ours.get(c.layout)!.encode(c.text, c.pair, { maxLength: c.maxLength, truncation: c.truncation });
    } catch (e) {
      our = e as Error;
    }
    const tok = ours.get(c.layout)!;
    for (const d of differences(c, their, our, (t) => tok.normalize(t))) found.push(`${describe(c)}: ${d}`);
  }
  assert.equal(found.length, 0, `${found.length} differences:\n${found.join('\n')}`);
  for (const d of DELIBERATE) assert.ok((ruleUses.get(d.rule) ?? 0) > 0, `no case needs the rule "${d.rule}" any more`);
  assert.ok(cases().length > 900, `the table covers every layout, text and truncation variant (${cases().length} cases)`);
});
