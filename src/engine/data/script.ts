/**
 * The writing system of a text, from the Unicode Script property of its letters (V8's regex \p{Script=...}
 * tables, so no hand-kept ranges to drift). A script names a language only when one language dominates it
 * (Hangul → ko, Thai → th, Greek → el ...); Latin, Cyrillic, Arabic or Devanagari text is reported by its
 * script, since guessing a language from those would be a coin toss between many.
 */

export const SCRIPTS = [
  'Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana',
  'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala',
  'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Mongolian', 'Ethiopic', 'Cherokee', 'Tifinagh',
  'Han', 'Hiragana', 'Katakana', 'Hangul',
] as const;

export type ScriptName = (typeof SCRIPTS)[number] | 'Kana' | 'Unknown';

const SCRIPT_PATTERNS: [ScriptName, RegExp][] = SCRIPTS.map((s) => [s, new RegExp(`^\\p{Script=${s}}$`, 'u')]);
const LETTER = /^[\p{L}\p{M}]$/u;

/** Script of each code point seen so far; texts repeat their characters, so each is classified once. */
const cache = new Map<number, ScriptName | null>();

function scriptOf(codePoint: number): ScriptName | null {
  if (codePoint < 0x80) {
    return (codePoint >= 0x41 && codePoint <= 0x5a) || (codePoint >= 0x61 && codePoint <= 0x7a) ? 'Latin' : null;
  }
  const known = cache.get(codePoint);
  if (known !== undefined) return known;
  const char = String.fromCodePoint(codePoint);
  let found: ScriptName | null = null;
  if (LETTER.test(char)) {
    found = 'Unknown';
    for (const [name, pattern] of SCRIPT_PATTERNS) {
      if (pattern.test(char)) {
        found = name;
        break;
      }
    }
  }
  if (cache.size < 200_000) cache.set(codePoint, found);
  return found;
}

/** Letters per script (digits, punctuation, spaces and emoji count for none). */
export function scriptCounts(text: string): Map<ScriptName, number> {
  const counts = new Map<ScriptName, number>();
  for (const char of text) {
    const script = scriptOf(char.codePointAt(0)!);
    if (script !== null) counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  return counts;
}

/**
 * The script most of the text's letters are written in. Japanese mixes Han with kana: a text with a tenth or
 * more of its letters in Hiragana/Katakana is 'Kana' (Japanese), even when Han letters are the majority.
 */
export function detectScript(text: string): ScriptName {
  const counts = scriptCounts(text);
  let letters = 0;
  for (const n of counts.values()) letters += n;
  if (letters === 0) return 'Unknown';
  const kana = (counts.get('Hiragana') ?? 0) + (counts.get('Katakana') ?? 0);
  if (kana > 0 && kana * 10 >= letters) return 'Kana';
  let best: ScriptName = 'Unknown';
  let bestCount = 0;
  for (const [script, n] of counts) {
    if (n > bestCount) {
      best = script;
      bestCount = n;
    }
  }
  return best;
}

/** Scripts that one language dominates, so the script is a fair guess at the language (ISO 639-1). */
const LANGUAGE_OF_SCRIPT: Partial<Record<ScriptName, string>> = {
  Hangul: 'ko',
  Kana: 'ja',
  Hiragana: 'ja',
  Katakana: 'ja',
  Han: 'zh',
  Thai: 'th',
  Lao: 'lo',
  Khmer: 'km',
  Myanmar: 'my',
  Greek: 'el',
  Hebrew: 'he',
  Armenian: 'hy',
  Georgian: 'ka',
  Sinhala: 'si',
  Tamil: 'ta',
  Telugu: 'te',
  Kannada: 'kn',
  Malayalam: 'ml',
  Gujarati: 'gu',
  Gurmukhi: 'pa',
  Oriya: 'or',
  Tibetan: 'bo',
  Thaana: 'dv',
  Bengali: 'bn',
};

/** A language code when the script points to one language, else undefined (Latin, Cyrillic, Arabic, ...). */
export function languageOfScript(script: ScriptName): string | undefined {
  return LANGUAGE_OF_SCRIPT[script];
}
