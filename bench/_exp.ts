import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelCache } from '../src/engine/runtime/model-cache.js';
import { languageFeatures, languageIdHead } from '../src/engine/tasks/language-id.js';
import { loadUdhrCorpus } from '../src/engine/pretrain/corpus.js';
import { fitLogistic, predictLogistic, standardise } from '../src/engine/audit/logistic.js';

const task = process.argv[2];
let rows: { text: string; label: string }[] = [];
if (task === 'langid') rows = readFileSync('examples/langid/train.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
else {
  const recipe = JSON.parse(readFileSync('recipes/default.json', 'utf8')) as { languages: string[] };
  for (const a of loadUdhrCorpus(recipe.languages.slice(0, 48))) for (const text of a.paragraphs) rows.push({ text, label: String(a.article) });
}
const labels = [...new Set(rows.map((r) => r.label))].sort();
const y = Int32Array.from(rows, (r) => labels.indexOf(r.label));
async function main() {
  const models = new ModelCache({});
  const model = await models.model('models/default');
  let t = performance.now();
  const feats = await languageFeatures(model, rows.map((r) => r.text), ['mean-last', 'mean-embeddings']);
  console.log('features', rows.length, ((performance.now() - t) / 1000).toFixed(1), 's');
  const head = languageIdHead(model);
  const hw = head.weight.length / head.labels.length;
  const lid = feats.map((f) => { const o = new Float64Array(head.labels.length); for (let c = 0; c < o.length; c++) { let s = head.bias[c]; for (let d = 0; d < hw; d++) s += head.weight[c * hw + d] * f[d]; o[c] = s; } return o; });
  // hashed bag of pieces
  const H = 2048;
  const bag = rows.map((r) => { const ids = model.tokenizer.encode(r.text, null, { addSpecialTokens: false, maxLength: 512 }).ids; const v = new Float64Array(H); for (const id of ids) v[(id * 2654435761 >>> 0) % H] += 1; let n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1; return v.map((x) => x / n); });
  const sets: Record<string, Float64Array[]> = {
    last: feats.map((f) => Float64Array.from(f.subarray(0, 256))),
    emb: feats.map((f) => Float64Array.from(f.subarray(256))),
    both: feats.map((f) => Float64Array.from(f)),
    bothLid: feats.map((f, i) => { const o = new Float64Array(512 + lid[i].length); o.set(f); o.set(lid[i], 512); return o; }),
    bag: bag,
  };
  const n = rows.length;
  const fold = Int32Array.from({ length: n }, (_, i) => (i * 7919) % 5);
  for (const [name, X] of Object.entries(sets)) for (const l2 of (process.argv[3] ?? '1e-3,1e-2').split(',').map(Number)) {
    t = performance.now();
    let correct = 0; let nll = 0;
    for (let k = 0; k < 5; k++) {
      const tr = [...Array(n).keys()].filter((i) => fold[i] !== k); const te = [...Array(n).keys()].filter((i) => fold[i] === k);
      const std = standardise(tr.map((i) => X[i]), X);
      const m = fitLogistic(tr.map((i) => std[i]), tr.map((i) => y[i]), labels.length, { l2, iterations: 200 });
      for (const i of te) { const p = predictLogistic(m, std[i]); let b = 0; for (let c = 1; c < p.length; c++) if (p[c] > p[b]) b = c; if (b === y[i]) correct++; nll -= Math.log(p[y[i]] + 1e-12); }
    }
    console.log(task, name, 'l2', l2, 'acc', (correct / n).toFixed(3), 'nll', (nll / n).toFixed(3), 'chance', (1 / labels.length).toFixed(3), ((performance.now() - t) / 1000).toFixed(1), 's');
  }
  await models.closeAll();
}
void main();
