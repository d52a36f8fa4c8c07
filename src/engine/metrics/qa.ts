/**
 * Extractive QA scores: exact match and token F1 of a predicted answer against the gold answers (the best over
 * them), after normalisation, as the official scripts compute them.
 *
 * - SQuAD (evaluate-v1.1.py / v2.0.py): lower case, drop ASCII punctuation (Python's string.punctuation), drop the
 *   articles a/an/the, split at whitespace. An unanswerable question's gold answer is the empty string: a prediction
 *   scores 1 only when it is empty too (v2.0's rule, which v1.1 data never reaches).
 * - MLQA (mlqa_evaluation_v1.py), for its seven languages: lower case; drop every character of a Unicode
 *   punctuation category (P*) and string.punctuation; drop the language's articles (en a/an/the; es un/una/unos/
 *   unas/el/la/los/las; de ein/eine/einen/einem/eines/einer/der/die/das/den/dem/des; vi của/là/cái/chiếc/những;
 *   ar every ال; hi and zh none); split at whitespace, and for zh also into single characters of U+4E00–U+9FA5
 *   and punctuation (its "mixed segmentation").
 * - Any other language: SQuAD's rules, with whitespace tokens, except that characters of scripts written without
 *   spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are tokens of their own.
 *
 * Python's `\b` is Unicode-aware for str patterns (a word character is a letter, a digit or `_`); JavaScript's is
 * ASCII-only, so article boundaries are written as look-arounds over \p{L}\p{N}_.
 */

export type QaRules = 'squad' | 'mlqa';

const ASCII_PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const UNICODE_PUNCT = /\p{P}/u;

const WORD = '[\\p{L}\\p{N}_]';
const wordsRegex = (words: string) => new RegExp(`(?<!${WORD})(?:${words})(?!${WORD})`, 'gu');
const SQUAD_ARTICLES = wordsRegex('a|an|the');

const MLQA_ARTICLES: Record<string, RegExp | null> = {
  en: SQUAD_ARTICLES,
  es: wordsRegex('un|una|unos|unas|el|la|los|las'),
  de: wordsRegex('ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des'),
  vi: wordsRegex('của|là|cái|chiếc|những'),
  // MLQA's pattern is '\sال^|ال': its first branch never matches, so every ال goes.
  ar: /ال/gu,
  hi: null,
  zh: null,
};

/** The languages MLQA's script defines. */
export const MLQA_LANGUAGES: readonly string[] = Object.keys(MLQA_ARTICLES);

const MLQA_ZH_CHAR = /[\u4e00-\u9fa5]/u;
const UNSPACED_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/** Which rules score a language: MLQA's for its seven, SQuAD's for the rest and when the language is unknown. */
export function rulesFor(language: string | undefined): QaRules {
  return language !== undefined && MLQA_LANGUAGES.includes(language) ? 'mlqa' : 'squad';
}

/** Whitespace tokens, with each character matching `single` a token of its own. */
function segment(text: string, single: (ch: string) => boolean): string[] {
  const out: string[] = [];
  let run = '';
  for (const ch of text) {
    if (single(ch)) {
      if (run) out.push(...splitSpaces(run));
      run = '';
      out.push(ch);
    } else run += ch;
  }
  if (run) out.push(...splitSpaces(run));
  return out;
}

function splitSpaces(text: string): string[] {
  return text.split(/\s+/u).filter((t) => t !== '');
}

/** The answer's tokens after normalisation for `language` (undefined: SQuAD v1.1's rules). */
export function answerTokens(text: string, language?: string): string[] {
  const lower = text.toLowerCase();
  if (rulesFor(language) === 'mlqa') {
    const lang = language!;
    let s = [...lower].filter((ch) => !ASCII_PUNCT.has(ch) && !UNICODE_PUNCT.test(ch)).join('');
    const articles = MLQA_ARTICLES[lang];
    if (articles) s = s.replace(articles, ' ');
    // Punctuation is gone by now, so zh's mixed segmentation splits out its CJK characters only.
    return lang === 'zh' ? segment(s, (ch) => MLQA_ZH_CHAR.test(ch)) : splitSpaces(s);
  }
  const s = [...lower].filter((ch) => !ASCII_PUNCT.has(ch)).join('').replace(SQUAD_ARTICLES, ' ');
  return segment(s, (ch) => UNSPACED_CHAR.test(ch));
}

/** The normalised answer, tokens joined by single spaces (what exact match compares). */
export function normalizeAnswer(text: string, language?: string): string {
  return answerTokens(text, language).join(' ');
}

function f1Of(predicted: string[], gold: string[]): number {
  if (predicted.length === 0 || gold.length === 0) return predicted.length === gold.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of gold) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of predicted) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      same++;
      counts.set(t, n - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predicted.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

export interface QaScore {
  exactMatch: number;
  f1: number;
}

/** Exact match and F1 (0..1) of one prediction against its gold answers (none: unanswerable, gold is ""). */
export function scoreAnswer(predicted: string, goldAnswers: readonly string[], language?: string): QaScore {
  const golds = goldAnswers.length ? goldAnswers : [''];
  const p = answerTokens(predicted, language);
  let exactMatch = 0;
  let f1 = 0;
  for (const gold of golds) {
    const g = answerTokens(gold, language);
    if (p.join(' ') === g.join(' ')) exactMatch = 1;
    f1 = Math.max(f1, f1Of(p, g));
  }
  return { exactMatch, f1 };
}

export interface QaScoredRow {
  id: string;
  language: string;
  /** undefined: the system gave no answer for this question (it scores 0, as the official scripts count it). */
  predicted: string | undefined;
  gold: readonly string[];
}

export interface QaScores {
  /** Percentages, as the official scripts print them. */
  exact_match: number;
  f1: number;
  questions: number;
  /** Questions the predictions did not answer. */
  unanswered: number;
  perLanguage: Record<string, { exact_match: number; f1: number; questions: number }>;
}

/** Scores every row by its own language's rules (`rules` 'squad' forces SQuAD v1.1's everywhere), pooled and per language. */
export function scoreQa(rows: readonly QaScoredRow[], options: { rules?: 'auto' | 'squad' } = {}): QaScores {
  const total = { em: 0, f1: 0, n: 0 };
  const by = new Map<string, { em: number; f1: number; n: number }>();
  let unanswered = 0;
  for (const row of rows) {
    if (row.predicted === undefined) unanswered++;
    const s = row.predicted === undefined ? { exactMatch: 0, f1: 0 } : scoreAnswer(row.predicted, row.gold, options.rules === 'squad' ? undefined : row.language);
    const lang = by.get(row.language) ?? { em: 0, f1: 0, n: 0 };
    for (const acc of [total, lang]) {
      acc.em += s.exactMatch;
      acc.f1 += s.f1;
      acc.n++;
    }
    by.set(row.language, lang);
  }
  const pct = (x: number, n: number) => (n ? (100 * x) / n : 0);
  return {
    exact_match: pct(total.em, total.n),
    f1: pct(total.f1, total.n),
    questions: total.n,
    unanswered,
    perLanguage: Object.fromEntries([...by].map(([l, a]) => [l, { exact_match: pct(a.em, a.n), f1: pct(a.f1, a.n), questions: a.n }])),
  };
}
