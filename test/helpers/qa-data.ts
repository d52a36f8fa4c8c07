/**
 * Generated question-answering data in the tiny tokenizer's vocabulary: each context is a few sentences, one of
 * which says which city is the capital of the country the question names, at a random position among
 * distractors (other cities, other countries). English questions train; German ones test zero-shot transfer.
 * Written as Hugging Face JSON Lines (answer_start in code points; these contexts hold no character outside the BMP).
 */
import { writeFileSync } from 'node:fs';
import { createRng } from '../../src/engine/rng/rng.js';

const PAIRS: Array<[string, string, string]> = [
  ['Paris', 'France', 'Frankreich'],
  ['Berlin', 'Germany', 'Deutschland'],
  ['Madrid', 'Spain', 'España'],
  ['Rome', 'Italy', 'Italien'],
  ['Tokyo', 'Japan', 'Japan'],
  ['London', 'England', 'England'],
];

const FILLERS = {
  en: ['I love the big {city}.', 'The cat is in the house.', '{city} is a new city.', 'It was a small day in {city}.', 'All dogs are free and equal.'],
  de: ['Die Stadt {city} ist alles.', 'Der Hund ist in {city}.', 'Das Haus ist über alles.', 'Die Katze ist in {city} und Deutschland.'],
};
const FACT = { en: '{city} is the capital of {country}.', de: '{city} ist die Hauptstadt von {country}.' };
const QUESTION = { en: 'What is the capital of {country}?', de: 'Was ist die Hauptstadt von {country}?' };

export interface GeneratedQa {
  id: string;
  lang: 'en' | 'de';
  context: string;
  question: string;
  answers: { text: string[]; answer_start: number[] };
}

export function generateQa(n: number, lang: 'en' | 'de', seed: number): GeneratedQa[] {
  const rng = createRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  return Array.from({ length: n }, (_, i) => {
    // The fact pairs a random city with a random country, so the answer must be read from the context.
    const city = pick(PAIRS)[0];
    const [, countryEn, countryDe] = pick(PAIRS);
    const country = lang === 'en' ? countryEn : countryDe;
    const sentences = Array.from({ length: 2 + rng.int(3) }, () => pick(FILLERS[lang]).replace('{city}', pick(PAIRS.filter((p) => p[0] !== city))[0]));
    const at = rng.int(sentences.length + 1);
    const fact = FACT[lang].replace('{city}', city).replace('{country}', country);
    sentences.splice(at, 0, fact);
    const context = sentences.join(' ');
    const start = context.indexOf(fact);
    return { id: `${lang}-${seed}-${i}`, lang, context, question: QUESTION[lang].replace('{country}', country), answers: { text: [city], answer_start: [start] } };
  });
}

export function writeQaJsonl(path: string, rows: readonly GeneratedQa[]): void {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** The first sentence of a context: the baseline the trained model must beat. */
export function firstSentence(context: string): string {
  const end = context.search(/[.!?](\s|$)/);
  return end === -1 ? context : context.slice(0, end + 1);
}
