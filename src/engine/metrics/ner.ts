/**
 * Entity-level NER metrics as seqeval computes them by default (its non-strict mode, which HF's evaluate and
 * most papers report): an entity counts only if its type, start and end all match exactly.
 *
 * Chunks are read leniently, as seqeval's get_entities does: an I- tag after O (or at the start) starts a new
 * entity, an I-/B- tag whose type differs from the previous tag's starts a new one, E-/S- tags close one; a
 * sentence boundary closes any open entity. Per-type scores cover every type seen in gold or predictions, and
 * macro averages over them; zero denominators give 0 (seqeval's default after its warning).
 */
import { prf } from './classification.js';

export interface Entity {
  type: string;
  /** Index of the first token. */
  start: number;
  /** Index of the last token (inclusive, as seqeval reports it). */
  end: number;
}

export interface EntityTypeMetrics {
  type: string;
  precision: number;
  recall: number;
  f1: number;
  /** Gold entities of this type. */
  support: number;
  predicted: number;
  correct: number;
}

export interface EntityMetrics {
  /** Micro averages over all entities: what seqeval's f1_score returns. */
  precision: number;
  recall: number;
  f1: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  perType: EntityTypeMetrics[];
  goldEntities: number;
  predictedEntities: number;
  correctEntities: number;
  /** Tokens whose tag is exactly right (seqeval's accuracy_score). */
  tokenAccuracy: number;
  sentences: number;
}

/** seqeval's split of a tag into its chunk tag (first character) and type (after the first '-', '_' if none). */
function splitTag(chunk: string): [tag: string, type: string] {
  const rest = chunk.slice(1);
  const dash = rest.indexOf('-');
  const type = dash === -1 ? rest : rest.slice(dash + 1);
  return [chunk.charAt(0), type === '' ? '_' : type];
}

function endsChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startsChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/** The entities of one sentence's tags, in order. */
export function extractEntities(tags: readonly string[]): Entity[] {
  const entities: Entity[] = [];
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const [tag, type] = splitTag(i < tags.length ? tags[i] : 'O');
    if (endsChunk(prevTag, tag, prevType, type)) entities.push({ type: prevType, start: begin, end: i - 1 });
    if (startsChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  }
  return entities;
}

/** Entity-level scores over sentences of gold and predicted tags (same lengths, sentence by sentence). */
export function entityMetrics(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): EntityMetrics {
  if (gold.length !== predicted.length) throw new Error(`entityMetrics: ${gold.length} gold sentences but ${predicted.length} predicted`);
  const goldByType = new Map<string, Set<string>>();
  const predByType = new Map<string, Set<string>>();
  let tokens = 0;
  let rightTokens = 0;
  const add = (into: Map<string, Set<string>>, sentence: number, entity: Entity): void => {
    let set = into.get(entity.type);
    if (!set) into.set(entity.type, (set = new Set()));
    set.add(`${sentence}:${entity.start}:${entity.end}`);
  };
  for (let s = 0; s < gold.length; s++) {
    const g = gold[s];
    const p = predicted[s];
    if (g.length !== p.length) throw new Error(`entityMetrics: sentence ${s} has ${g.length} gold tags but ${p.length} predicted`);
    for (let i = 0; i < g.length; i++) if (g[i] === p[i]) rightTokens++;
    tokens += g.length;
    for (const e of extractEntities(g)) add(goldByType, s, e);
    for (const e of extractEntities(p)) add(predByType, s, e);
  }

  const types = [...new Set([...goldByType.keys(), ...predByType.keys()])].sort();
  const perType: EntityTypeMetrics[] = [];
  let goldTotal = 0;
  let predTotal = 0;
  let correctTotal = 0;
  for (const type of types) {
    const g = goldByType.get(type) ?? new Set<string>();
    const p = predByType.get(type) ?? new Set<string>();
    let correct = 0;
    for (const key of p) if (g.has(key)) correct++;
    perType.push({ type, ...prf(correct, p.size, g.size), support: g.size, predicted: p.size, correct });
    goldTotal += g.size;
    predTotal += p.size;
    correctTotal += correct;
  }
  const micro = prf(correctTotal, predTotal, goldTotal);
  const mean = (pick: (m: EntityTypeMetrics) => number): number => (perType.length === 0 ? 0 : perType.reduce((s, m) => s + pick(m), 0) / perType.length);
  return {
    ...micro,
    macroPrecision: mean((m) => m.precision),
    macroRecall: mean((m) => m.recall),
    macroF1: mean((m) => m.f1),
    perType,
    goldEntities: goldTotal,
    predictedEntities: predTotal,
    correctEntities: correctTotal,
    tokenAccuracy: tokens === 0 ? 0 : rightTokens / tokens,
    sentences: gold.length,
  };
}
