/**
 * Whether a string names a language the way translation data and models do: an ISO 639-1 code (de), an ISO 639-2/3
 * code (deu), a BCP-47 tag (de-AT, zh-Hant, sr-Latn-RS), or a model family's code (mBART's de_DE and en_XX, NLLB's
 * deu_Latn: BCP-47 with an underscore). Two-letter codes must be real ISO 639-1 codes (ICU knows all 184), which
 * catches typos such as `eg`; three-letter codes only need the right shape, since ISO 639-3 has thousands that ICU
 * does not name (NLLB's taq, fuv, ...).
 */
const SHAPE = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/;
const names = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

const EXAMPLES = 'an ISO 639 code (en, deu), a BCP-47 tag (en-US, zh-Hant) or the model\'s code (de_DE, deu_Latn)';

/** Why `code` is not a language code, or undefined when it is one. */
export function languageCodeProblem(code: string): string | undefined {
  if (code.trim() === '') return `the language code is empty; expected ${EXAMPLES}`;
  if (!SHAPE.test(code)) return `"${code}" is not a language code; expected ${EXAMPLES}`;
  try {
    Intl.getCanonicalLocales(code.replaceAll('_', '-'));
  } catch {
    return `"${code}" is not a well-formed language tag; expected ${EXAMPLES}`;
  }
  const primary = code.split(/[-_]/)[0].toLowerCase();
  if (primary.length === 2 && names.of(primary) === undefined) return `"${code}": ${primary} is not an ISO 639-1 language code; expected ${EXAMPLES}`;
  return undefined;
}

/**
 * Whether a string is surely a language code and not a word: a code ICU names (de, deu, yue) or one with a script or
 * region part (de_DE, deu_Latn). Used to tell a header row `en<TAB>de` from a first row of text.
 */
export function looksLikeLanguageHeader(field: string): boolean {
  if (languageCodeProblem(field) !== undefined || field !== field.trim()) return false;
  if (/[-_]/.test(field)) return true;
  return field === field.toLowerCase() && names.of(field) !== undefined;
}
