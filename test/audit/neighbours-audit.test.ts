// The audit on a label that is not the language: which UDHR article a paragraph is, the same articles in 20
// languages, 8 labels flipped. The file has a language column, so the rows' nearest neighbours centred on their
// language are among the estimates; they predict these labels better than the regression on the shipped model, most
// folds use them, and the flips are found. The examples' language identification keeps the regression (audit-cli.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { auditLabels } from '../../src/engine/audit/audit.js';
import { loadUdhrCorpus } from '../../src/engine/pretrain/corpus.js';
import { createRng } from '../../src/engine/rng/rng.js';
import { CancelledError } from '../../src/engine/runtime/inputs.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('audit-neighbours');
const MODEL = join(__dirname, '..', '..', 'models', 'default');

test('which article a paragraph is, in 20 languages: the nearest rows by language are used and the flipped labels found', { timeout: 300_000 }, async () => {
  const recipe = JSON.parse(readFileSync(join(__dirname, '..', '..', 'recipes', 'default.json'), 'utf8')) as { languages: string[] };
  const rows: { text: string; label: string; lang: string }[] = [];
  for (const a of loadUdhrCorpus(recipe.languages.slice(0, 20))) {
    if (a.article >= 1 && a.article <= 12) rows.push({ text: a.paragraphs[0]!, label: `article-${a.article}`, lang: a.lang });
  }
  assert.ok(rows.length >= 220, `${rows.length} rows`);
  const rng = createRng(11);
  const flipped = new Map<number, string>();
  while (flipped.size < 8) {
    const i = Math.floor(rng.next() * rows.length);
    if (flipped.has(i)) continue;
    const other = `article-${1 + ((Number(rows[i]!.label.slice(8)) + Math.floor(rng.next() * 11)) % 12)}`;
    flipped.set(i, rows[i]!.label);
    rows[i]!.label = other;
  }
  const file = files.write('articles.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  // Cancelled while it reads the nearest rows: the audit stops there, as the editor's Cancel and Ctrl-C do.
  const abort = new AbortController();
  const phases: string[] = [];
  await assert.rejects(
    auditLabels({ model: MODEL, file, out: join(files.dir, 'cancelled'), threads: 2, signal: abort.signal, onProgress: (p) => {
      phases.push(p.phase);
      if (p.phase === 'neighbours') abort.abort();
    } }),
    (e: unknown) => e instanceof CancelledError,
  );
  assert.equal(phases.filter((x) => x === 'neighbours').length, 1, 'no pass went on after the cancel');
  const report = await auditLabels({ model: MODEL, file, out: join(files.dir, 'run'), threads: 2 });
  const estimate = report.estimate!;
  assert.ok(estimate, 'the features method chose among estimates');
  const neighbourFolds = estimate.byFold.filter((e) => e !== 'logistic').length;
  assert.ok(neighbourFolds >= 4, `folds using the nearest rows: ${estimate.byFold.join(', ')}`);
  assert.ok(estimate.crossEntropy['neighbours-by-language']! < estimate.crossEntropy.neighbours!, JSON.stringify(estimate.crossEntropy));
  const labelFlags = report.flags.filter((f) => f.kind === 'label');
  const found = labelFlags.filter((f) => flipped.has(f.line - 1));
  assert.ok(found.length >= 6, `${found.length} of 8 flips flagged`);
  for (const f of found) assert.equal(f.suggested, flipped.get(f.line - 1), `line ${f.line}: the original label suggested`);
  // On the step-24,500 weights: all 5 folds chose the centred neighbours, 7 flags, all 7 flips.
  assert.ok(found.length / labelFlags.length >= 0.8, `${found.length} of ${labelFlags.length} flags are flips`);
});
