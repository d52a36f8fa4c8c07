/**
 * A generated NER file in four languages (NER JSONL: tokens + ner_tags, IOB2): sentences from templates with
 * person, place and organisation names drawn by a seeded generator, so a run on it can be checked against the
 * majority baseline (every word tagged O). Used by the defaults' tests and by `npx tsx test/helpers/ner-sample.ts OUT N`.
 */
import { writeFileSync } from 'node:fs';

const PEOPLE = ['Anna Schmidt', 'Maria Garcia', 'John Smith', 'Pierre Dubois', 'Yuki Tanaka', 'Olga Ivanova', 'Ahmed Hassan', 'Lena Berg', 'Carlos Ruiz', 'Emma Martin', 'Jonas Weber', 'Sofia Rossi'];
const PLACES = ['Berlin', 'Madrid', 'Paris', 'London', 'Rome', 'Vienna', 'Lisbon', 'Oslo', 'Cairo', 'Tokyo', 'Warsaw', 'Prague'];
const ORGS = ['Siemens', 'Telefonica', 'Renault', 'Unilever', 'Nokia', 'Airbus', 'UNESCO', 'Bosch'];

/** Templates: words, with {PER}, {LOC} and {ORG} slots filled by a name of that type. */
const TEMPLATES = [
  '{PER} lives in {LOC} .',
  '{PER} works for {ORG} in {LOC} .',
  'Yesterday {PER} visited {LOC} with friends .',
  '{ORG} opened a new office in {LOC} .',
  '{PER} wohnt seit Jahren in {LOC} .',
  '{PER} arbeitet bei {ORG} .',
  'Die Firma {ORG} hat ihren Sitz in {LOC} .',
  '{PER} habite à {LOC} depuis longtemps .',
  '{PER} travaille chez {ORG} à {LOC} .',
  '{PER} vive en {LOC} con su familia .',
  'La empresa {ORG} tiene oficinas en {LOC} .',
  'El director de {ORG} es {PER} .',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NerRow {
  tokens: string[];
  ner_tags: string[];
}

export function nerSample(rows: number, seed = 7): NerRow[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const out: NerRow[] = [];
  for (let i = 0; i < rows; i++) {
    const tokens: string[] = [];
    const tags: string[] = [];
    for (const word of pick(TEMPLATES).split(' ')) {
      const slot = /^\{(PER|LOC|ORG)\}$/.exec(word)?.[1];
      if (!slot) {
        tokens.push(word);
        tags.push('O');
        continue;
      }
      const name = pick(slot === 'PER' ? PEOPLE : slot === 'LOC' ? PLACES : ORGS).split(' ');
      name.forEach((w, k) => (tokens.push(w), tags.push(`${k ? 'I' : 'B'}-${slot}`)));
    }
    out.push({ tokens, ner_tags: tags });
  }
  return out;
}

export function writeNerSample(file: string, rows: number, seed = 7): void {
  writeFileSync(file, nerSample(rows, seed).map((r) => JSON.stringify(r)).join('\n') + '\n');
}

if (process.argv[1]?.endsWith('ner-sample.ts') && process.argv[2]) writeNerSample(process.argv[2], Number(process.argv[3] ?? 300), Number(process.argv[4] ?? 7));
