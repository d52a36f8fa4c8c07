/**
 * The tokenizers BLEU is computed over, as sacreBLEU 2.x defines them, so our BLEU equals the figure a paper reports
 * with the same signature: 13a (mteval-v13a, WMT's default), intl (mteval-v14's international rules on Unicode
 * punctuation and symbols), zh (every CJK character its own token, then 13a), char (every character a token) and
 * none (the text as it is, for pre-tokenized data).
 *
 * Two details of Python decide the numbers and are kept on purpose: strings are sequences of code points (an emoji
 * outside the BMP is one character, not two UTF-16 units), and `str.split()` splits at Python's own set of
 * whitespace characters, which differs from JavaScript's `\s` (see PY_WHITESPACE).
 */

export const MT_TOKENIZERS = ['13a', 'intl', 'zh', 'char', 'none'] as const;
export type MtTokenizerName = (typeof MT_TOKENIZERS)[number];

/**
 * Python's `str.isspace()` characters, which `str.split()` and `str.strip()` use: JavaScript's `\s` lacks the
 * information separators U+001C–U+001F and NEL (U+0085), and has U+FEFF, which Python keeps as a character.
 */
const PY_WHITESPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'u');
const PY_TRAILING_SPACE = new RegExp(`[${PY_WHITESPACE}]+$`, 'u');
const PY_LEADING_SPACE = new RegExp(`^[${PY_WHITESPACE}]+`, 'u');

/** Python's `s.split()`: the non-empty runs between whitespace. */
export function pySplit(text: string): string[] {
  return text.split(PY_SPACE_RUN).filter((t) => t !== '');
}

/** Python's `s.rstrip()`. */
export function pyRstrip(text: string): string {
  return text.replace(PY_TRAILING_SPACE, '');
}

function pyStrip(text: string): string {
  return pyRstrip(text).replace(PY_LEADING_SPACE, '');
}

/**
 * mteval's language-dependent rules for Western text (the second half of 13a, shared by zh): ASCII punctuation and
 * symbols become tokens; a period or comma does too unless it sits between digits; a dash after a digit is split off.
 */
const MTEVAL_RULES: readonly [RegExp, string][] = [
  [/([{-~[-` -&(-+:-@\/])/gu, ' $1 '],
  [/([^0-9])([.,])/gu, '$1 $2 '],
  [/([.,])([^0-9])/gu, ' $1 $2'],
  [/([0-9])(-)/gu, '$1 $2 '],
];

function mtevalRules(line: string): string {
  for (const [pattern, replacement] of MTEVAL_RULES) line = line.replace(pattern, replacement);
  return pySplit(line).join(' ');
}

function tokenize13a(line: string): string {
  line = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&')) line = line.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  return mtevalRules(` ${line} `);
}

/** mteval-v14's international rules: Unicode punctuation (not between digits) and symbols become tokens. */
const INTL_RULES: readonly [RegExp, string][] = [
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  [/(\p{S})/gu, ' $1 '],
];

function tokenizeIntl(line: string): string {
  for (const [pattern, replacement] of INTL_RULES) line = line.replace(pattern, replacement);
  return pySplit(line).join(' ');
}

/**
 * The code points the zh tokenizer splits into single tokens. The ranges are the reference's, including two it
 * spells as `'\u20000'` and `'\u2f800'`: in Python those are two-character strings (U+2000 then '0'), and its
 * `start <= char <= end` comparison then covers U+2001–U+2A6D and U+2F81–U+2FA1, not Extension B. Scores only
 * agree with sacreBLEU's if we cover exactly what it covers.
 */
const ZH_RANGES: readonly [number, number][] = [
  [0x3400, 0x4db5],
  [0x4e00, 0x9fa5],
  [0x9fa6, 0x9fbb],
  [0xf900, 0xfa2d],
  [0xfa30, 0xfa6a],
  [0xfa70, 0xfad9],
  [0x2001, 0x2a6d],
  [0x2f81, 0x2fa1],
  [0xff00, 0xffef],
  [0x2e80, 0x2eff],
  [0x3000, 0x303f],
  [0x31c0, 0x31ef],
  [0x2f00, 0x2fdf],
  [0x2ff0, 0x2fff],
  [0x3100, 0x312f],
  [0x31a0, 0x31bf],
  [0xfe10, 0xfe1f],
  [0xfe30, 0xfe4f],
  [0x2600, 0x26ff],
  [0x2700, 0x27bf],
  [0x3200, 0x32ff],
  [0x3300, 0x33ff],
];

function isZhChar(codePoint: number): boolean {
  for (const [start, end] of ZH_RANGES) if (codePoint >= start && codePoint <= end) return true;
  return false;
}

function tokenizeZh(line: string): string {
  let spaced = '';
  for (const char of pyStrip(line)) spaced += isZhChar(char.codePointAt(0)!) ? ` ${char} ` : char;
  return mtevalRules(spaced);
}

function tokenizeChar(line: string): string {
  return Array.from(line).join(' ');
}

const TOKENIZE: Record<MtTokenizerName, (line: string) => string> = {
  '13a': tokenize13a,
  intl: tokenizeIntl,
  zh: tokenizeZh,
  char: tokenizeChar,
  none: (line) => line,
};

/** The line as the named tokenizer writes it: tokens separated by single spaces (none: unchanged). */
export function mtTokenize(line: string, tokenizer: MtTokenizerName): string {
  return TOKENIZE[tokenizer](line);
}

export function isMtTokenizer(name: string): name is MtTokenizerName {
  return (MT_TOKENIZERS as readonly string[]).includes(name);
}
