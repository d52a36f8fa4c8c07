/**
 * Which fill-mask candidate the product offers first: inline fill-in's ghost text, the masked-word panel's sentence,
 * the Fill mask command's title and `xlm fill-mask`'s filled line. Where the mask stands alone between spaces it
 * stands for a whole word: the most probable candidate that starts a word (`startsWord`: SentencePiece's ▁,
 * byte-level BPE's Ġ, no WordPiece ##) and holds a letter or digit, among the top k or, when none is there, among
 * the top OFFER_DEPTH. A piece that does not start a word would be glued onto the word before it ("the" + "m" reads
 * "them"), and punctuation is no word; either is offered only when no candidate is a word. A word written in a script
 * the text does not use (a Japanese word in an English sentence; a multilingual model's top 5 holds such words) is
 * offered only when no word in the text's scripts is found. Where the mask touches other text (`un<mask>able`), the
 * most probable piece.
 */
import type { MaskCandidate } from '../rpc/protocol.js';

const HOLDS_WORD = /^[\p{L}\p{N}]/u;

/** The mask at `at` in `text` has a space (or the text's edge) on both sides: it stands for a whole word, not a piece or a mark. */
export function maskStandsAlone(text: string, at: number, maskToken: string): boolean {
  const end = at + maskToken.length;
  return (at === 0 || /\s/.test(text[at - 1]!)) && (end === text.length || /[\s.,;:!?)\]"'»”]/.test(text[end]!));
}

/** How far down the model's order fill-mask looks for a whole word to offer when none made the top k. */
export const OFFER_DEPTH = 50;

/** A candidate that is a whole word: it starts a word and begins with a letter or digit. */
export function isWord(c: Pick<MaskCandidate, 'text' | 'startsWord'>): boolean {
  return c.startsWord && HOLDS_WORD.test(c.text);
}

/**
 * Scripts told apart, by Unicode's Script property. Han, Hiragana, Katakana and Bopomofo count as one (Japanese writes
 * Han and both kana in one sentence). Letters of the Common and Inherited scripts (the long-vowel mark ー, the Arabic
 * tatweel, the modifier apostrophe ʼ) count as none, as digits, marks and punctuation do. A letter of a script not
 * listed counts by its block of 128 code points, so two scripts missing from the list are still told apart.
 */
const SCRIPTS = [
  'Latin', 'Cyrillic', 'Greek', 'Arabic', 'Hebrew', 'Armenian', 'Georgian', 'Ethiopic', 'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya',
  'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Hangul', 'Han', 'Hiragana', 'Katakana',
  'Bopomofo', 'Thaana', 'Cherokee', 'Tifinagh', 'Vai', 'Yi', 'Mongolian', 'Canadian_Aboriginal', 'Syriac', 'Nko', 'Coptic', 'Glagolitic',
  'Javanese', 'Ol_Chiki', 'Adlam', 'Balinese', 'Sundanese', 'Buginese', 'Tagalog', 'Batak', 'Cham', 'Tai_Le', 'New_Tai_Lue', 'Tai_Tham',
  'Tai_Viet', 'Lepcha', 'Limbu', 'Meetei_Mayek', 'Saurashtra', 'Syloti_Nagri', 'Runic', 'Ogham', 'Gothic', 'Osage', 'Bamum', 'Samaritan',
  'Mandaic', 'Osmanya', 'Hanifi_Rohingya', 'Chakma', 'Kayah_Li', 'Lisu', 'Miao', 'Mro', 'Newa', 'Nyiakeng_Puachue_Hmong', 'Pahawh_Hmong',
  'Wancho', 'Mende_Kikakui', 'Bassa_Vah', 'Warang_Citi',
].map((name) => ({ name: ['Hiragana', 'Katakana', 'Bopomofo'].includes(name) ? 'Han' : name, test: new RegExp(`\\p{Script=${name}}`, 'u') }));
const LETTER = /\p{L}/u;
const NO_SCRIPT = /[\p{Script=Common}\p{Script=Inherited}]/u;

/** Each character's script once looked up (fill-mask runs on every pause of the editor's cursor); null: none. */
const scriptOfChar = new Map<string, string | null>();

/** The script of one character's letter (Common and Inherited letters, digits and marks: null). */
export function scriptOf(ch: string): string | null {
  let script = scriptOfChar.get(ch);
  if (script === undefined) {
    script = !LETTER.test(ch) || NO_SCRIPT.test(ch) ? null : (SCRIPTS.find((s) => s.test.test(ch))?.name ?? `block ${ch.codePointAt(0)! >> 7}`);
    if (scriptOfChar.size < 65_536) scriptOfChar.set(ch, script);
  }
  return script;
}

/** The scripts of the letters of `text` (digits, marks, punctuation and Common letters belong to none). */
export function scriptsOf(text: string): Set<string> {
  const found = new Set<string>();
  for (const ch of text) {
    const script = scriptOf(ch);
    if (script !== null) found.add(script);
  }
  return found;
}

/** Whether every letter of `text` is in one of `scripts` (a text without letters fits any). */
export function fitsScripts(text: string, scripts: ReadonlySet<string>): boolean {
  for (const ch of text) {
    const script = scriptOf(ch);
    if (script !== null && !scripts.has(script)) return false;
  }
  return true;
}

/**
 * The rank of the candidate offered first among `count` candidates (most probable first; `candidateAt(j)` gives
 * rank j, asked for in order and only as far as needed): where the mask stands alone, the first whole word in one
 * of `scripts` (the text's own; every script when not given or empty), else the first whole word, else 0.
 */
export function offeredRank(candidateAt: (rank: number) => Pick<MaskCandidate, 'text' | 'startsWord'>, count: number, alone: boolean, scripts?: ReadonlySet<string>): number {
  if (!alone) return 0;
  // A text without letters ("<mask> 2024.") says nothing of the script its word is in.
  if (scripts?.size === 0) scripts = undefined;
  let firstWord = -1;
  for (let j = 0; j < count; j++) {
    const c = candidateAt(j);
    if (!isWord(c)) continue;
    if (!scripts || fitsScripts(c.text, scripts)) return j;
    if (firstWord < 0) firstWord = j;
  }
  return Math.max(firstWord, 0);
}

/**
 * The order in which an editor lists a mask's candidates after the offer (indices into `candidates`, the offer's
 * own left out): where the mask stands alone, whole words in the text's scripts, then other whole words, then
 * pieces and marks, each most probable first; where it touches other text, the model's order.
 */
export function listOrder(candidates: readonly Pick<MaskCandidate, 'text' | 'startsWord'>[], offer: number, alone: boolean, scripts?: ReadonlySet<string>): number[] {
  const others = candidates.map((_, j) => j).filter((j) => j !== offer);
  if (!alone) return others;
  const tiers = candidates.map((c) => (isWord(c) ? (!scripts?.size || fitsScripts(c.text, scripts) ? 0 : 1) : 2));
  return others.sort((a, b) => tiers[a]! - tiers[b]! || a - b);
}

/** How many of `ordered` (an offer and its listed candidates) are whole words before the first that is not. */
export function leadingWords(ordered: readonly Pick<MaskCandidate, 'text' | 'startsWord'>[]): number {
  const first = ordered.findIndex((c) => !isWord(c));
  return first < 0 ? ordered.length : first;
}

/** Where each mask of `text` starts, in order. */
function maskStarts(text: string, maskToken: string): number[] {
  const starts: number[] = [];
  for (let at = text.indexOf(maskToken); at >= 0; at = text.indexOf(maskToken, at + maskToken.length)) starts.push(at);
  return starts;
}

/** Whether each mask of `text`, in order, stands alone. */
export function masksStandAlone(text: string, maskToken: string): boolean[] {
  return maskStarts(text, maskToken).map((at) => maskStandsAlone(text, at, maskToken));
}

/** `text` with its masks, in order, replaced by `words` (a mask past the list's end stays). */
export function replaceMasks(text: string, maskToken: string, words: readonly string[]): string {
  let out = '';
  let from = 0;
  maskStarts(text, maskToken).forEach((at, i) => {
    out += text.slice(from, at) + (words[i] ?? maskToken);
    from = at + maskToken.length;
  });
  return out + text.slice(from);
}
