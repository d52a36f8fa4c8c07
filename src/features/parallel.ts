/**
 * The workspace's multilingual sentences (JSON lines with `text` and `lang`/`language`), embedded once per model,
 * so the hover can show the closest sentences in other languages until a translation model is configured.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';

const MAX_FILES = 5;
const MAX_SENTENCES = 500;

interface Corpus {
  model: string;
  sentences: { text: string; lang: string }[];
  vectors: number[][];
}
let corpus: Promise<Corpus> | undefined;

export async function readParallelSentences(): Promise<{ text: string; lang: string }[]> {
  const files = await vscode.workspace.findFiles('**/*.jsonl', '**/{node_modules,runs,.git}/**', MAX_FILES);
  const out: { text: string; lang: string }[] = [];
  for (const file of files) {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    for (const line of text.split('\n')) {
      if (out.length >= MAX_SENTENCES) return out;
      try {
        const row = JSON.parse(line) as Record<string, unknown>;
        const lang = row.lang ?? row.language;
        if (typeof row.text === 'string' && typeof lang === 'string') out.push({ text: row.text, lang });
      } catch {
        // not a JSON line: skip it
      }
    }
  }
  return out;
}

/** The workspace sentences nearest to `text` by the cosine of `model`'s sentence vectors. */
export async function nearestSentences(ctx: Ctx, model: string, text: string, token: vscode.CancellationToken, k = 3): Promise<{ text: string; lang: string; similarity: number }[]> {
  if (!corpus || (await corpus.catch(() => undefined))?.model !== model) {
    corpus = (async () => {
      const sentences = await readParallelSentences();
      const vectors = sentences.length ? (await ctx.request(p.embed, { texts: sentences.map((s) => s.text), normalize: true, model })).vectors : [];
      return { model, sentences, vectors };
    })();
    corpus.catch(() => (corpus = undefined));
  }
  const c = await corpus;
  if (!c.sentences.length) return [];
  const [query] = (await ctx.request(p.embed, { texts: [text], normalize: true, model }, token)).vectors;
  if (!query) return [];
  return c.sentences
    .map((s, i) => ({ ...s, similarity: dot(query, c.vectors[i]!) }))
    .filter((s) => s.text.trim() !== text.trim())
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, k);
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
