// A second stage's `rankWindow`: translation-ranking batches whose negatives are neighbouring verses (harder than
// verses from anywhere in the book), and never a repeat of a text already in the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PretrainBatcher, segmentMaterials, IGNORE_LABEL } from '../../src/engine/pretrain/objectives.js';
import { canonicalRecipe, loadRecipe, parseRecipe } from '../../src/engine/pretrain/recipe.js';
import { loadQuran } from '../../src/engine/pretrain/sources.js';
import { trainSegmentTokenizer, writeTokenizerFolder } from '../../src/engine/pretrain/udhr-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { isXlmError } from '../../src/engine/errors.js';

const tiny = loadRecipe(resolve(__dirname, '../../recipes/tiny.json'));
const stage = { name: 'ranking', fromStep: 4, objectives: [{ name: 'mlm', weight: 0.25 }, { name: 'rank', weight: 0.75 }], steps: 3, batchSize: 16, maxLength: 32, learningRate: 0.002, rankWeight: 1 };

test('rankWindow parses into the second stage, needs a ranking objective, and leaves the hash of a recipe without it alone', () => {
  const recipe = parseRecipe({ ...tiny, steps: 8, secondStage: { ...stage, rankWindow: 96 } }, 'w.json');
  assert.equal(recipe.secondStage?.rankWindow, 96);
  const without = parseRecipe({ ...tiny, steps: 8, secondStage: stage }, 'w.json');
  assert.equal(without.secondStage?.rankWindow, undefined);
  assert.ok(!canonicalRecipe(without).includes('rankWindow'), 'absent, the key is not in the canonical recipe (shipped hashes stay)');
  assert.ok(canonicalRecipe(recipe).includes('"rankWindow":96'));
  const bad = (extra: Record<string, unknown>, what: RegExp) =>
    assert.throws(() => parseRecipe({ ...tiny, steps: 8, secondStage: { ...stage, ...extra } }, 'bad.json'), (e: unknown) => isXlmError(e) && e.place.file === 'bad.json' && what.test(e.message));
  bad({ rankWindow: 1 }, /^"secondStage\.rankWindow" is 1; expected a whole number from 2/);
  bad({ rankWindow: 10, objectives: [{ name: 'mlm', weight: 1 }] }, /^"secondStage\.rankWindow" needs a "rank" objective/);
});

test('with rankWindow, a batch ranks verses that stand within the window of each other, each text once; without it, from anywhere', () => {
  const langs = new Set(['eng', 'fra']);
  // Chapters 2-5 (669 verses) and 112 (4 verses): enough units that a window of 60 is a small part of them.
  const segments = loadQuran(langs, { validationChapters: [21], testChapters: [18] }).filter((s) => { const c = Number(s.unit.split(':')[1]); return (c >= 2 && c <= 5) || c === 112; });
  const dir = mkdtempSync(join(tmpdir(), 'xlm-rank-window-'));
  let tokenizer: XlmTokenizer;
  try {
    writeTokenizerFolder(dir, trainSegmentTokenizer(segments, { vocabSize: 800 }), 64);
    tokenizer = XlmTokenizer.fromFolder(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const materials = segmentMaterials(segments, tokenizer, { quran: 1 });
  const units = materials.parallel![0]!.units;
  const key = (ids: number[]) => ids.join(',');
  const unitOf = new Map(units.map((u, i) => [key(u.get('eng')!), i]));
  const recipe = parseRecipe({ ...tiny, languages: ['eng', 'fra'], steps: 8, maxLength: 64, secondStage: { ...stage, maxLength: 64 } }, 'w.json');
  const stageRecipe = { ...recipe, objectives: recipe.secondStage!.objectives, batchSize: 32, maxLength: 512 };
  const special = { cls: tokenizer.clsId, sep: tokenizer.sepId, pad: tokenizer.padId, mask: tokenizer.maskId, vocabSize: tokenizer.vocabSize };
  // Each batch's ranked units (the English side, unmasked from its labels, found among the units).
  const batches = (window: number | undefined) => {
    const batcher = new PretrainBatcher(materials, stageRecipe, special, window);
    return Array.from({ length: 20 }, () =>
      batcher
        .next()
        .filter((r) => r.objective === 'rank')
        .map((r) => {
          const original = r.ids.map((id, p) => (r.labels[p] !== IGNORE_LABEL ? r.labels[p]! : id)).slice(1, -1);
          return { side: r.rank!.side, unit: unitOf.get(key(original)) };
        }),
    );
  };
  const WINDOW = 60;
  let englishFirst = 0;
  for (const rows of batches(WINDOW)) {
    assert.equal(rows.length, 24, '12 pairs');
    const found = rows.map((r) => r.unit).filter((u): u is number => u !== undefined);
    englishFirst += found.length === 12 ? 1 : 0;
    if (found.length !== 12) continue;
    assert.ok(Math.max(...found) - Math.min(...found) < WINDOW, `the pairs stand within ${WINDOW} units: ${found.join(' ')}`);
    const texts = found.map((u) => key(units[u]!.get('fra')!));
    assert.equal(new Set(texts).size, texts.length, 'no text twice in a batch');
  }
  assert.ok(englishFirst >= 3, `batches whose English sides were all found: ${englishFirst} of 20`);
  const spread = batches(undefined).flatMap((rows) => {
    const found = rows.map((r) => r.unit).filter((u): u is number => u !== undefined);
    return found.length ? [Math.max(...found) - Math.min(...found)] : [];
  });
  assert.ok(spread.some((s) => s >= WINDOW), `without a window, pairs come from anywhere (largest spread ${Math.max(...spread)} of ${units.length} units)`);
});
