import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadUdhrCorpus } from '../../src/engine/pretrain/corpus.js';
import { IGNORE_LABEL, mlmRow, nspRow, objectiveRowCounts, PretrainBatcher, pretrainFeeds, pretrainMaterials, tlmRow, truncatePair, type SpecialIds } from '../../src/engine/pretrain/objectives.js';
import { parseRecipe } from '../../src/engine/pretrain/recipe.js';
import { trainUdhrTokenizer, writeTokenizerFolder } from '../../src/engine/pretrain/udhr-tokenizer.js';
import { XlmTokenizer } from '../../src/engine/tokenize/tokenizer.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// XLM-R's special ids; ordinary pieces from 5 up.
const SPECIAL: SpecialIds = { cls: 0, pad: 1, sep: 2, mask: 4, vocabSize: 500 };
const first = Array.from({ length: 40 }, (_, i) => 10 + i);
const second = Array.from({ length: 30 }, (_, i) => 100 + i);

/** The masked row's tokens with each target put back: the unmasked row. */
function restored(row: { ids: number[]; labels: number[] }): number[] {
  return row.ids.map((id, i) => (row.labels[i] === IGNORE_LABEL ? id : row.labels[i]));
}

test('TLM: <s> A </s> then </s> B </s>, positions restarting at the second side', () => {
  const row = tlmRow(first, second, 128, SPECIAL, 0.15, 7);
  assert.deepEqual(restored(row), [0, ...first, 2, 2, ...second, 2]);
  const split = first.length + 2;
  assert.deepEqual(row.positions.slice(0, split), Array.from({ length: split }, (_, i) => 2 + i), 'side A counts from pad + 1');
  assert.deepEqual(row.positions.slice(split), Array.from({ length: second.length + 2 }, (_, i) => 2 + i), 'side B restarts at pad + 1');
  assert.equal(row.objective, 'tlm');
});

test('TLM: masks on both sides, labels -100 everywhere else, specials never masked', () => {
  for (let seed = 0; seed < 20; seed++) {
    const row = tlmRow(first, second, 128, SPECIAL, 0.15, seed);
    const split = first.length + 2;
    const targets = row.labels.flatMap((l, i) => (l === IGNORE_LABEL ? [] : [i]));
    assert.ok(targets.some((i) => i < split), `seed ${seed}: no target on side A`);
    assert.ok(targets.some((i) => i >= split), `seed ${seed}: no target on side B`);
    const original = [0, ...first, 2, 2, ...second, 2];
    for (let i = 0; i < original.length; i++) {
      if (row.labels[i] === IGNORE_LABEL) assert.equal(row.ids[i], original[i], `seed ${seed}: position ${i} changed without a label`);
      else {
        assert.equal(row.labels[i], original[i], 'the label is the original id');
        assert.ok(![0, 1, 2].includes(original[i]), 'a special token was chosen');
      }
    }
    // BERT's 80/10/10: most targets read <mask>.
    assert.ok(targets.filter((i) => row.ids[i] === SPECIAL.mask).length >= 1);
  }
});

test('TLM: a long pair is cut longest-first to the maximum length', () => {
  assert.deepEqual(truncatePair([1, 2, 3, 4, 5, 6], [7, 8], 6).map((s) => s.length), [4, 2]);
  const row = tlmRow(Array.from({ length: 100 }, (_, i) => 5 + i), second, 64, SPECIAL, 0.15, 1);
  assert.equal(row.ids.length, 64);
  assert.equal(row.positions.filter((p) => p === 2).length, 2, 'each side still starts at position 2');
});

test('MLM rows: one segment, positions from 2, at least one target', () => {
  const row = mlmRow(first, SPECIAL, 0.15, 3);
  assert.deepEqual(restored(row), [0, ...first, 2]);
  assert.deepEqual(row.positions, Array.from({ length: first.length + 2 }, (_, i) => 2 + i));
  assert.ok(row.labels.some((l) => l !== IGNORE_LABEL));
});

test('NSP rows carry their objective, their label and continuous positions', () => {
  const next = nspRow(first, second, true, 128, SPECIAL, 0.15, 5);
  const notNext = nspRow(first, second, false, 128, SPECIAL, 0.15, 5);
  assert.equal(next.nspLabel, 1);
  assert.equal(notNext.nspLabel, 0);
  assert.equal(next.objective, 'nsp');
  assert.deepEqual(restored(next), [0, ...first, 2, 2, ...second, 2]);
  assert.deepEqual(next.positions, Array.from({ length: next.ids.length }, (_, i) => 2 + i));
});

test('feeds: pads at the pad position, flat mlm positions, NSP rows read at their <s>', () => {
  const rows = [mlmRow([5, 6, 7], SPECIAL, 0.5, 1), nspRow([8, 9], [10, 11, 12], true, 64, SPECIAL, 0.5, 2), nspRow([8], [9], false, 64, SPECIAL, 0.5, 3)];
  const feeds = pretrainFeeds(rows, SPECIAL.pad, true);
  const seq = rows[1].ids.length;
  assert.deepEqual(feeds.input_ids.dims, [3, seq]);
  const ids = Array.from(feeds.input_ids.data as BigInt64Array, Number);
  const positions = Array.from(feeds.position_ids.data as BigInt64Array, Number);
  const mask = Array.from(feeds.attention_mask.data as BigInt64Array, Number);
  assert.deepEqual(ids.slice(rows[0].ids.length, seq), new Array(seq - rows[0].ids.length).fill(SPECIAL.pad));
  assert.deepEqual(positions.slice(rows[0].ids.length, seq), new Array(seq - rows[0].ids.length).fill(SPECIAL.pad));
  assert.deepEqual(mask.slice(0, seq), [...new Array(rows[0].ids.length).fill(1), ...new Array(seq - rows[0].ids.length).fill(0)]);
  const flat = Array.from(feeds.mlm_positions.data as BigInt64Array, Number);
  const labels = Array.from(feeds.mlm_labels.data as BigInt64Array, Number);
  const expected = rows.flatMap((r, b) => r.labels.flatMap((l, s) => (l === IGNORE_LABEL ? [] : [[b * seq + s, l]])));
  assert.deepEqual(flat.map((p, i) => [p, labels[i]]), expected);
  assert.deepEqual(Array.from(feeds.nsp_positions.data as BigInt64Array, Number), [seq, 2 * seq]);
  assert.deepEqual(Array.from(feeds.nsp_labels.data as BigInt64Array, Number), [1, 0]);
  assert.ok(!('nsp_positions' in pretrainFeeds(rows.slice(0, 1), SPECIAL.pad, false)), 'no NSP feeds for a recipe without NSP');
});

test('rows per objective follow the weights and give every active objective a row', () => {
  const counts = (o: [string, number][], batch: number) => Object.fromEntries(objectiveRowCounts(o.map(([name, weight]) => ({ name: name as 'mlm', weight })), batch));
  assert.deepEqual(counts([['mlm', 1], ['tlm', 1]], 32), { mlm: 16, tlm: 16 });
  assert.deepEqual(counts([['mlm', 2], ['tlm', 1], ['nsp', 1]], 8), { mlm: 4, tlm: 2, nsp: 2 });
  assert.deepEqual(counts([['mlm', 100], ['nsp', 1]], 4), { mlm: 3, nsp: 1 });
  assert.deepEqual(counts([['mlm', 1], ['tlm', 0]], 4), { mlm: 4 });
});

/** A batcher over the real corpus of `langs` with a 400-piece tokenizer; `done` removes the tokenizer folder. */
function corpusBatcher(langs: string[], objectives: { name: string; weight: number }[], batchSize: number) {
  const corpus = loadUdhrCorpus(langs);
  const dir = mkdtempSync(join(tmpdir(), 'xlm-pretrain-batches-'));
  writeTokenizerFolder(dir, trainUdhrTokenizer(corpus, { vocabSize: 400 }));
  const tokenizer = XlmTokenizer.fromFolder(dir);
  const special = { cls: tokenizer.clsId, sep: tokenizer.sepId, pad: tokenizer.padId, mask: tokenizer.maskId, vocabSize: tokenizer.vocabSize };
  const recipe = parseRecipe({
    name: 't', model: { layers: 1, hidden: 8, heads: 2, intermediate: 8 }, vocabSize: 400, languages: langs, objectives, steps: 1, batchSize, learningRate: 0.001, maxLength: 512,
  }, 'inline.json');
  const materials = pretrainMaterials(corpus, tokenizer, recipe.heldOutArticles);
  return { special, recipe, materials, batcher: new PretrainBatcher(materials, recipe, special), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('batches from the corpus: NSP "next" pairs are consecutive paragraphs, TLM pairs are translations', () => {
  const langs = ['eng', 'fra'];
  const { special, recipe, materials, batcher, done } = corpusBatcher(langs, [{ name: 'mlm', weight: 1 }, { name: 'tlm', weight: 1 }, { name: 'nsp', weight: 2 }], 8);
  try {
    assert.ok(![...materials.paragraphs.values()].flat().some((p) => recipe.heldOutArticles.includes(p.article)), 'held-out articles are not training material');
    const consecutive = (lang: string, a: number[], b: number[]) => {
      const list = materials.paragraphs.get(lang)!.map((p) => p.ids.join());
      return list.indexOf(b.join()) === list.indexOf(a.join()) + 1;
    };
    let seenNext = 0;
    let seenNot = 0;
    for (let k = 0; k < 5; k++) {
      for (const row of batcher.next()) {
        const ids = restored(row);
        const sep = ids.indexOf(special.sep);
        const a = ids.slice(1, sep);
        const b = ids.slice(sep + 2, -1);
        if (row.objective === 'nsp') {
          const lang = langs.find((l) => materials.paragraphs.get(l)!.some((p) => p.ids.join() === a.join()))!;
          assert.equal(consecutive(lang, a, b), row.nspLabel === 1, 'the label says whether B follows A');
          if (row.nspLabel === 1) seenNext++;
          else seenNot++;
        } else if (row.objective === 'tlm') {
          const unit = materials.units.find((u) => [...u.values()].some((ids2) => ids2.join() === a.join()));
          assert.ok(unit && [...unit.values()].some((ids2) => ids2.join() === b.join()), 'the two sides are one paragraph in two languages');
        }
      }
    }
    assert.ok(seenNext > 0 && seenNot > 0, 'both NSP labels occur');
  } finally {
    done();
  }
});

test('translation-ranking rows: masked paragraphs of distinct units, side 1 the translation of side 0, one language pair per batch, fed by row index', () => {
  const langs = ['eng', 'fra', 'rus'];
  const { special, materials, batcher, done } = corpusBatcher(langs, [{ name: 'mlm', weight: 1 }, { name: 'rank', weight: 1 }], 10);
  try {
    const unitOf = (ids: number[]) => materials.units.findIndex((u) => [...u.values()].some((x) => x.join() === ids.join()));
    const langOf = (ids: number[]) => langs.find((l) => materials.paragraphs.get(l)!.some((p) => p.ids.join() === ids.join()))!;
    const languagePairs = new Set<string>();
    for (let k = 0; k < 6; k++) {
      const rows = batcher.next();
      const ranked = rows.filter((r) => r.objective === 'rank');
      assert.equal(ranked.length, 6, 'five rows of ten give three pairs, six rows');
      const feeds = pretrainFeeds(rows, special.pad, false);
      const firstRows = Array.from(feeds.rank_first.data as BigInt64Array, Number);
      const secondRows = Array.from(feeds.rank_second.data as BigInt64Array, Number);
      assert.deepEqual(Array.from(feeds.rank_labels.data as BigInt64Array, Number), [0, 1, 2]);
      const units = new Set<number>();
      const pairLangs = new Set<string>();
      firstRows.forEach((r, i) => {
        const a = rows[r];
        const b = rows[secondRows[i]];
        assert.deepEqual([a.rank, b.rank], [{ pair: i, side: 0 }, { pair: i, side: 1 }]);
        for (const row of [a, b]) {
          assert.ok(row.labels.some((l) => l !== IGNORE_LABEL), 'ranking rows are masked as MLM rows are');
          assert.deepEqual(row.positions, Array.from({ length: row.ids.length }, (_, s) => special.pad + 1 + s));
        }
        const [ta, tb] = [restored(a), restored(b)];
        for (const t of [ta, tb]) assert.deepEqual([t[0], t[t.length - 1]], [special.cls, special.sep]);
        const ua = unitOf(ta.slice(1, -1));
        assert.ok(ua >= 0 && ua === unitOf(tb.slice(1, -1)), 'the two sides are one unit');
        assert.notEqual(langOf(ta.slice(1, -1)), langOf(tb.slice(1, -1)), 'in two languages');
        units.add(ua);
        pairLangs.add(`${langOf(ta.slice(1, -1))}>${langOf(tb.slice(1, -1))}`);
      });
      assert.equal(units.size, 3, 'distinct units, so every other row is a true negative');
      assert.equal(pairLangs.size, 1, 'one language pair per batch');
      languagePairs.add([...pairLangs][0]);
    }
    assert.ok(languagePairs.size > 1, 'the language pair changes from batch to batch');
  } finally {
    done();
  }
});
