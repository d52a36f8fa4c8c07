/**
 * The hover's first-use latency with the shipped default model, through a forked dist/engine.js as the extension
 * talks to it: the requests one hover sends (model/load, languageId, sentences/similar), timed in a fresh engine
 * (the first hover: the model loads and the workspace's sentences are indexed), again for another sentence (the
 * index is kept), after one data file changed (only that file is read and only its new sentences embedded), and,
 * for comparison, what the hover did before the index moved into the engine (one embed request of every row of
 * the first 5 .jsonl files, up to 500 rows, duplicates included). Also the hover once the extension has indexed
 * the workspace ahead of it (sentences/index, sent when the engine is up and a document the hover serves is shown,
 * or by the first hover, which waits for it at most a second and says it is reading the data): the index's time,
 * then a hover's.
 *
 *   npm run build && npx tsx bench/hover.ts [--workspace DIR] [--rounds 3]
 * Without --workspace it writes the VS Code tests' workspace (test/vscode/workspace.ts) plus examples/retrieval.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EngineProcess } from '../src/client/engineProcess.js';
import * as p from '../src/engine/rpc/protocol.js';
import { findShippedModel } from '../src/engine/pretrain/shipped-model.js';
import { writeTestWorkspace } from '../test/vscode/workspace.js';

const { values } = parseArgs({ options: { workspace: { type: 'string' }, rounds: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 3);
const ENGINE = resolve('dist/engine.js');
const model = findShippedModel();
if (!model) throw new Error('no shipped model in models/default');

let workspace = values.workspace ? resolve(values.workspace) : '';
const made = !workspace;
if (made) {
  workspace = writeTestWorkspace(mkdtempSync(join(tmpdir(), 'xlm-hover-bench-')));
  mkdirSync(join(workspace, 'retrieval'));
  copyFileSync(resolve('examples/retrieval/test.jsonl'), join(workspace, 'retrieval', 'test.jsonl'));
}
const files = (function find(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (['node_modules', 'runs', '.git', 'models'].includes(name)) return [];
    return statSync(path).isDirectory() ? find(path) : /\.(jsonl|csv|tsv)$/.test(name) ? [path] : [];
  });
})(workspace).sort();

const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
};
const fmt = (x: number) => `${x.toFixed(0).padStart(6)} ms`;

async function hover(engine: EngineProcess, text: string): Promise<{ load: number; language: number; similar: number; result: p.SentencesSimilarResult }> {
  const [, load] = await time(() => engine.request(p.modelLoad, { dir: model! }));
  const [, language] = await time(() => engine.request(p.languageId, { texts: [text], topK: 3, model: model! }));
  const [result, similar] = await time(() => engine.request(p.sentencesSimilar, { text, files, topK: 3, model: model! }));
  return { load, language, similar, result };
}

(async () => {
  console.log(`workspace ${workspace}: ${files.length} data files; model ${model}`);
  const first: number[] = [];
  const second: number[] = [];
  const changed: number[] = [];
  const old: number[] = [];
  const indexing: number[] = [];
  const prepared: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const engine = new EngineProcess({ enginePath: ENGINE });
    await engine.start();
    try {
      const a = await hover(engine, 'Das Wetter ist heute schrecklich.');
      first.push(a.load + a.language + a.similar);
      console.log(`first hover:   load ${fmt(a.load)}, language ${fmt(a.language)}, sentences/similar ${fmt(a.similar)} (${a.result.sentences} sentences from ${a.result.rows} rows, ${a.result.filesRead} files read, ${a.result.matches.length} shown)`);
      const b = await hover(engine, 'I hate waiting.');
      second.push(b.load + b.language + b.similar);
      console.log(`second hover:  load ${fmt(b.load)}, language ${fmt(b.language)}, sentences/similar ${fmt(b.similar)} (${b.result.filesRead} files read)`);
      const target = files[0]!;
      const before = readFileSync(target, 'utf8');
      writeFileSync(target, `${before}${JSON.stringify({ text: `Une phrase de plus, numéro ${round}.`, lang: 'fr' })}\n`);
      utimesSync(target, new Date(), new Date(Date.now() + 1000 * (round + 1)));
      const c = await hover(engine, 'I hate waiting.');
      changed.push(c.similar);
      console.log(`after an edit: sentences/similar ${fmt(c.similar)} (${c.result.filesRead} file read again)`);
      writeFileSync(target, before);
      // The hover before this change: every row of the first 5 .jsonl files embedded in one request, duplicates included.
      const rows = files.filter((f) => f.endsWith('.jsonl')).slice(0, 5).flatMap((f) => readFileSync(f, 'utf8').split('\n').flatMap((l) => {
        try {
          const r = JSON.parse(l) as { text?: unknown; lang?: unknown };
          return typeof r.text === 'string' && typeof r.lang === 'string' ? [r.text] : [];
        } catch {
          return [];
        }
      })).slice(0, 500);
      const warm = new EngineProcess({ enginePath: ENGINE });
      await warm.start();
      try {
        const [, load] = await time(() => warm.request(p.modelLoad, { dir: model! }));
        const [ix, index] = await time(() => warm.request(p.sentencesIndex, { files, model: model! }));
        indexing.push(load + index);
        const d = await hover(warm, 'Das Wetter ist heute schrecklich.');
        prepared.push(d.load + d.language + d.similar);
        console.log(`indexed ahead: load ${fmt(load)}, sentences/index ${fmt(index)} (${ix.embedded} embedded); then a hover ${fmt(d.load + d.language + d.similar)} (sentences/similar ${fmt(d.similar)})`);
      } finally {
        warm.dispose();
      }
      const fresh = new EngineProcess({ enginePath: ENGINE });
      await fresh.start();
      try {
        const [, load] = await time(() => fresh.request(p.modelLoad, { dir: model! }));
        const [, lang] = await time(() => fresh.request(p.languageId, { texts: ['Das Wetter ist heute schrecklich.'], topK: 3, model: model! }));
        const [, embedAll] = await time(() => fresh.request(p.embed, { texts: rows, normalize: true, model: model! }));
        const [, embedOne] = await time(() => fresh.request(p.embed, { texts: ['Das Wetter ist heute schrecklich.'], normalize: true, model: model! }));
        old.push(load + lang + embedAll + embedOne);
        console.log(`old first hover: load ${fmt(load)}, language ${fmt(lang)}, embed ${rows.length} rows ${fmt(embedAll)}, embed the sentence ${fmt(embedOne)}`);
      } finally {
        fresh.dispose();
      }
    } finally {
      engine.dispose();
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`\nmedian of ${ROUNDS}: first hover ${fmt(median(first))} (before: ${fmt(median(old))}), second hover ${fmt(median(second))}, after an edit (sentences/similar) ${fmt(median(changed))}`);
  console.log(`indexed ahead (load + sentences/index) ${fmt(median(indexing))}, then the first hover ${fmt(median(prepared))}`);
  if (made) rmSync(workspace, { recursive: true, force: true });
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
