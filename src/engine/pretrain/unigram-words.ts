/**
 * The trainer's view of its text: distinct Metaspace words (▁ + word) as arrays of character ids, each with
 * its weighted count, plus what a piece may span. Training works on distinct words, never on each occurrence:
 * the UDHR repeats the same words thousands of times.
 */
/** SentencePiece's visible space: the Metaspace replacement and prefix. */
export const METASPACE = '\u2581';

export interface WeightedText {
  text: string;
  /** How many times the text counts (sampling weights make it fractional). */
  weight: number;
}

export interface WordTable {
  /** Character id -> character (one code point). */
  alphabet: string[];
  charIds: Map<string, number>;
  /** Script class per character id (see scriptClassOf). */
  charClass: Int32Array;
  /** Concatenated character ids of all distinct words; word w spans chars[wordStart[w] .. wordStart[w+1]). */
  chars: Int32Array;
  wordStart: Int32Array;
  /** Weighted count of each distinct word. */
  weight: Float64Array;
  /** Unweighted occurrences of each distinct word in the text. */
  occurrences: Float64Array;
  /** Weighted count of each character (0 for characters that are only required). */
  charWeight: Float64Array;
}

// Script classes. A piece may not mix classes (after its leading ▁), as SentencePiece's split_by_unicode_script;
// digits form a class of their own (split_by_number); combining marks join the class of the character before.
export const CLASS_METASPACE = 0;
export const CLASS_INHERITED = 1;
const CLASS_DIGIT = 2;
const CLASS_COMMON = 3;
const CLASS_OTHER = 4;
const SCRIPTS = [
  'Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Devanagari', 'Bengali',
  'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai', 'Lao', 'Tibetan',
  'Myanmar', 'Khmer', 'Mongolian', 'Ethiopic', 'Cherokee', 'Canadian_Aboriginal', 'Tifinagh', 'Hangul', 'Han', 'Yi',
  'Bopomofo', 'Vai', 'Nko', 'Javanese', 'Balinese', 'Sundanese', 'Ol_Chiki', 'Adlam', 'Coptic', 'Runic', 'Ogham',
];
const SCRIPT_TESTS = SCRIPTS.map((name) => new RegExp(`^\\p{Script=${name}}$`, 'u'));
const KANA = /^[\p{Script=Hiragana}\p{Script=Katakana}\u30fc]$/u;

export function scriptClassOf(ch: string): number {
  if (ch === METASPACE) return CLASS_METASPACE;
  if (/^\p{Nd}$/u.test(ch)) return CLASS_DIGIT;
  if (/^\p{Script=Inherited}$/u.test(ch)) return CLASS_INHERITED;
  // Japanese writes one word in Kanji and Kana together; SentencePiece treats Kana as Han for the same reason.
  if (KANA.test(ch)) return CLASS_OTHER + 1 + SCRIPTS.indexOf('Han');
  for (let i = 0; i < SCRIPT_TESTS.length; i++) if (SCRIPT_TESTS[i].test(ch)) return CLASS_OTHER + 1 + i;
  if (/^\p{Script=Common}$/u.test(ch)) return CLASS_COMMON;
  return CLASS_OTHER;
}

/**
 * What the written tokenizer.json's normalizer does (DEFAULT_NORMALIZER in tokenize/tokenizer-json.ts, the
 * portable form of XLM-R's nmt_nfkc): NFKC, each run of whitespace to one space, no space at either end.
 * Training text goes through the same steps, so the pieces are made of what encoding will see.
 */
export function tokenizerNormalize(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** Metaspace pre-tokenization of normalized text: spaces become ▁, each word starts with one. */
export function metaspaceWords(text: string): string[] {
  const normalized = tokenizerNormalize(text);
  return normalized ? normalized.split(' ').map((w) => METASPACE + w) : [];
}

class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

export function buildWordTable(texts: readonly WeightedText[], requiredCharacters: Iterable<string> = []): WordTable {
  const counts = new Map<string, { weight: number; occurrences: number }>();
  for (const { text, weight } of texts) {
    if (!(weight > 0)) continue;
    for (const word of metaspaceWords(text)) {
      const entry = counts.get(word);
      if (entry) {
        entry.weight += weight;
        entry.occurrences += 1;
      } else counts.set(word, { weight, occurrences: 1 });
    }
  }
  // Sorted so ids (and everything downstream) do not depend on the order texts arrived in.
  const words = [...counts.keys()].sort();
  const alphabetSet = new Set<string>([METASPACE]);
  for (const w of words) for (const ch of w) alphabetSet.add(ch);
  for (const ch of requiredCharacters) for (const c of tokenizerNormalize(ch)) if (!/^\s$/u.test(c)) alphabetSet.add(c);
  const alphabet = [...alphabetSet].sort();
  const charIds = new Map(alphabet.map((ch, i) => [ch, i]));
  const charClass = Int32Array.from(alphabet, scriptClassOf);
  const charWeight = new Float64Array(alphabet.length);

  const chars = new IntList();
  const wordStart = new Int32Array(words.length + 1);
  const weight = new Float64Array(words.length);
  const occurrences = new Float64Array(words.length);
  words.forEach((w, i) => {
    const entry = counts.get(w)!;
    weight[i] = entry.weight;
    occurrences[i] = entry.occurrences;
    for (const ch of w) {
      const id = charIds.get(ch)!;
      chars.push(id);
      charWeight[id] += entry.weight;
    }
    wordStart[i + 1] = chars.length;
  });
  return { alphabet, charIds, charClass, chars: chars.toArray(), wordStart, weight, occurrences, charWeight };
}

/**
 * Whether characters chars[from..to) may form one piece: ▁ only first, one script class.
 * `classOf` gives the class of each character id.
 */
export function isValidSpan(chars: Int32Array, from: number, to: number, charClass: Int32Array): boolean {
  let current = -1;
  for (let i = from; i < to; i++) {
    let cls = charClass[chars[i]];
    if (cls === CLASS_METASPACE) {
      if (i !== from) return false;
      continue;
    }
    if (cls === CLASS_INHERITED && current !== -1) cls = current;
    if (current !== -1 && cls !== current) return false;
    current = cls;
  }
  return true;
}

export { IntList };
