/**
 * The workspace's multilingual sentences, searchable by meaning: the hover's "possible translations" when no
 * translation model is set. The extension names the data files; the engine reads them through the data layer,
 * embeds each distinct sentence once, and answers which sentences of other languages are close to a text.
 *
 * - Lazy and incremental: nothing is read before the first search; each file's rows are kept with its size and
 *   modification time and read again only when those change; each distinct text is embedded once per model and
 *   kept while some file holds it, so editing one file embeds only its new sentences. A cancelled search keeps
 *   the batches it embedded.
 * - Deduplicated: rows whose text is the same once normalised (NFKC, case, spacing) and whose language is the
 *   same are one sentence, reported once with every file and line it occurs at.
 * - Scored honestly: vectors are centred on their language's mean (search/centring.ts; a row's language is the
 *   one its file gives, the hovered text's the one the model's language-identification head finds), scored by
 *   their margin over each side's nearest sentences of other languages (search/margin.ts), and only sentences at
 *   or above the model's calibrated threshold (search/threshold.ts) are returned. A model without a
 *   calibrated threshold gets no matches (and nothing is indexed for it).
 */
import { stat } from 'node:fs/promises';
import { openDataset } from '../data/dataset.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import type { SentencesIndexResult } from '../rpc/protocol.js';
import { CancelledError, type Cancellation } from '../runtime/inputs.js';
import { embed } from '../tasks/embed.js';
import { hasLanguageId, identifyLanguage, languageIdHead, type LanguageIdHead } from '../tasks/language-id.js';
import { centred, dot, languageMeans, meanFor } from './centring.js';
import { margin, neighbourhoodOf, neighbourhoods } from './margin.js';
import { readTranslationThreshold, type TranslationThreshold } from './threshold.js';

/** Distinct sentences indexed at most (the first ones, in the order the files are given). */
export const MAX_SENTENCES = 2000;
/** Sentences embedded per session run: the most work a cancel waits for. */
const BATCH = 16;

export interface SentencePlace {
  file: string;
  line: number;
}

export interface SimilarSentence {
  text: string;
  /** The language the file gives (its lang or language column). */
  language: string;
  /** Cosine of the centred vectors (or the raw ones for a threshold calibrated without centring). */
  similarity: number;
  /** What the threshold was compared with: the cosine, or its margin over the two sentences' neighbourhoods. */
  score: number;
  /** Every file and line the sentence occurs at. */
  places: SentencePlace[];
}

export interface SearchResult {
  matches: SimilarSentence[];
  /**
   * When no sentence passes the threshold: the best-scoring sentence of another language all the same, so that the
   * hover can show what the model found nearest and say that it may not be a translation.
   */
  nearest?: SimilarSentence;
  /** The threshold the matches passed, absent when the model has none. */
  threshold?: TranslationThreshold;
  /** The query's language as the centring saw it (the language-identification head's answer). */
  language?: string;
  /** Distinct sentences searched, rows they came from, and files read anew (not from the index) for this search. */
  sentences: number;
  rows: number;
  filesRead: number;
  /** Files that could not be read as data, with the reason. */
  skipped: { file: string; reason: string }[];
  /** True when the files held more than MAX_SENTENCES distinct sentences and only the first were searched. */
  truncated: boolean;
}

interface Row {
  text: string;
  language: string;
  line: number;
}

interface FileRows {
  size: number;
  mtimeMs: number;
  rows: Row[];
  problem?: string;
}

interface Embedded {
  /** `xlm embed --normalize` vector. */
  vector: Float32Array;
  /** The language the head identifies ('' without a head): the centring group of a row whose given language the head does not know. */
  group: string;
}

/** The key that makes two rows one sentence: the text normalised (NFKC, case, spacing) and the language as given. */
export function sentenceKey(text: string, language: string): string {
  return `${normaliseText(text)}\0${language.trim().toLowerCase()}`;
}

function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** The text without punctuation or spacing, normalised: "I hate waiting." and "i hate waiting" are one text. */
function bareText(text: string): string {
  return normaliseText(text).replace(/[\p{P}\s]+/gu, '');
}

interface Sentence {
  text: string;
  language: string;
  places: SentencePlace[];
}

/** Rows of every file, merged into distinct sentences (first occurrence's spelling, every place). */
export function dedupeRows(files: readonly { file: string; rows: readonly Row[] }[], limit = MAX_SENTENCES): { sentences: Sentence[]; rows: number; truncated: boolean } {
  const byKey = new Map<string, Sentence>();
  let rows = 0;
  let truncated = false;
  for (const { file, rows: fileRows } of files) {
    for (const row of fileRows) {
      const key = sentenceKey(row.text, row.language);
      const seen = byKey.get(key);
      if (seen) {
        seen.places.push({ file, line: row.line });
        rows++;
      } else if (byKey.size < limit) {
        byKey.set(key, { text: row.text, language: row.language, places: [{ file, line: row.line }] });
        rows++;
      } else truncated = true;
    }
  }
  return { sentences: [...byKey.values()], rows, truncated };
}

export class SentenceIndex {
  private readonly files = new Map<string, FileRows>();
  /** Per model folder: normalised text -> vector and centring group. */
  private readonly vectors = new Map<string, Map<string, Embedded>>();
  /** The indexed sentences' margin neighbourhoods, for the index they were computed on. */
  private margins: { signature: string; neighbourhoods: Float64Array } | undefined;
  /** The reading and embedding under way: a search that comes while sentences/index embeds waits for it rather than embedding the same sentences too. */
  private busy: Promise<unknown> = Promise.resolve();

  /** Runs `work` after the reading and embedding already under way (each in turn, whatever the other's outcome). */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.busy.then(work, work);
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads the files and embeds every sentence the index lacks, so that a later search only embeds its query: the
   * extension calls it ahead of the first hover (sentences/index). Nothing is done for a model without a
   * calibrated threshold, which never searches.
   */
  async prepare(model: LoadedModel, files: readonly string[], options: { cancel?: Cancellation } = {}): Promise<SentencesIndexResult> {
    if (!readTranslationThreshold(model.dir)) return { sentences: 0, rows: 0, filesRead: 0, embedded: 0, skipped: [], truncated: false };
    const { sentences, rows, truncated, filesRead, skipped, embedded } = await this.readAndEmbed(model, files, options.cancel);
    return { sentences: sentences.length, rows, filesRead, embedded, skipped, truncated };
  }

  /**
   * In turn with any other call: the files' distinct sentences (read anew only where a file changed), each embedded
   * where the model's vector table lacks it (`embedded` counts those), and the table.
   */
  private readAndEmbed(model: LoadedModel, files: readonly string[], cancel: Cancellation | undefined) {
    return this.inTurn(async () => {
      const found = await this.indexed(model, files);
      const embedded = await this.embedMissing(model, found.cache, found.sentences.map((s) => s.text), cancel);
      return { ...found, embedded };
    });
  }

  /** The files' distinct sentences (read anew only where a file changed) and the model's vector table for them. */
  private async indexed(model: LoadedModel, files: readonly string[]) {
    let filesRead = 0;
    const skipped: SearchResult['skipped'] = [];
    const read: { file: string; rows: Row[] }[] = [];
    for (const file of files) {
      const { rows, fresh } = await this.rowsOf(file);
      if (fresh) filesRead++;
      if (rows.problem) skipped.push({ file, reason: rows.problem });
      else read.push({ file, rows: rows.rows });
    }
    const { sentences, rows, truncated } = dedupeRows(read);
    return { sentences, rows, truncated, filesRead, skipped, cache: this.vectorsOf(model, sentences) };
  }

  async search(model: LoadedModel, query: string, files: readonly string[], options: { topK?: number; cancel?: Cancellation } = {}): Promise<SearchResult> {
    const threshold = readTranslationThreshold(model.dir);
    const empty: SearchResult = { matches: [], sentences: 0, rows: 0, filesRead: 0, skipped: [], truncated: false };
    if (!threshold) return empty;
    const { sentences, rows, truncated, filesRead, skipped, cache } = await this.readAndEmbed(model, files, options.cancel);
    const [queryVector] = (await embed(model, [query], { normalize: true, cancel: options.cancel })).vectors;
    const embedded = sentences.map((s) => cache.get(normaliseText(s.text))!);
    const head = hasLanguageId(model.dir) ? languageIdHead(model) : undefined;
    // A row's language is the one its file gives (in the head's codes when the head knows it), else the head's guess.
    const groups = sentences.map((s, i) => (head ? headLabelOf(head, s.language) : undefined) ?? (embedded[i]!.group || s.language.trim().toLowerCase()));
    const queryGroup = await queryLanguage(model, query, new Set(groups));
    const centre = threshold.centring === 'per-language';
    const means = centre && embedded.length ? languageMeans(embedded.map((e) => e.vector), groups, threshold.shrinkage) : undefined;
    const q = means ? centred(queryVector!, meanFor(means, queryGroup)) : Float32Array.from(queryVector!);
    const vectors = embedded.map((e, i) => (means ? centred(e.vector, meanFor(means, groups[i])) : e.vector));
    const cosines = vectors.map((v) => dot(q, v));
    let scoreOf = (i: number) => cosines[i]!;
    if (threshold.score === 'margin') {
      const signature = `${model.dir}\0${JSON.stringify(threshold)}\0${sentences.map((s, i) => `${normaliseText(s.text)}\0${groups[i]}`).join('\n')}`;
      if (this.margins?.signature !== signature) this.margins = { signature, neighbourhoods: neighbourhoods(vectors, groups, threshold.neighbours) };
      const around = this.margins.neighbourhoods;
      const own = neighbourhoodOf(cosines, groups, queryGroup, threshold.neighbours);
      scoreOf = (i) => margin(cosines[i]!, own, around[i]!);
    }
    const bare = bareText(query);
    const matches: SimilarSentence[] = [];
    let nearest: SimilarSentence | undefined;
    for (const [i, s] of sentences.entries()) {
      // A translation is in another language; the hovered sentence itself (wherever it occurs) is not one.
      if (groups[i] === queryGroup || bareText(s.text) === bare) continue;
      const score = scoreOf(i);
      const found = { text: s.text, language: s.language, similarity: cosines[i]!, score, places: s.places };
      if (score >= threshold.threshold && (threshold.similarityFloor === undefined || cosines[i]! >= threshold.similarityFloor)) matches.push(found);
      else if (!nearest || score > nearest.score) nearest = found;
    }
    matches.sort((a, b) => b.score - a.score);
    return {
      matches: matches.slice(0, options.topK ?? 3), ...(matches.length === 0 && nearest ? { nearest } : {}), threshold, language: queryGroup || undefined,
      sentences: sentences.length, rows, filesRead, skipped, truncated,
    };
  }

  /** A file's rows with a language, from the index when its size and modification time are unchanged. */
  private async rowsOf(file: string): Promise<{ rows: FileRows; fresh: boolean }> {
    let info;
    try {
      info = await stat(file);
    } catch (e) {
      this.files.delete(file);
      return { rows: { size: -1, mtimeMs: -1, rows: [], problem: (e as Error).message }, fresh: false };
    }
    const known = this.files.get(file);
    if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return { rows: known, fresh: false };
    const entry: FileRows = { size: info.size, mtimeMs: info.mtimeMs, rows: [] };
    try {
      const dataset = await openDataset(file, { onError: 'skip', labelsOptional: true, maxReported: 0 });
      if (dataset.kind === 'token-classification') entry.problem = 'token-classification data (tokens and tags), not sentences';
      else {
        for await (const batch of dataset.batches()) {
          for (const ex of batch) {
            if (ex.language && ex.text.trim()) entry.rows.push({ text: ex.text, language: ex.language, line: ex.source.line });
            if (ex.textPair?.trim() && ex.pairLanguage) entry.rows.push({ text: ex.textPair, language: ex.pairLanguage, line: ex.source.line });
          }
          if (entry.rows.length >= MAX_SENTENCES) break;
        }
      }
    } catch (e) {
      entry.problem = e instanceof Error ? e.message : String(e);
      entry.rows = [];
    }
    this.files.set(file, entry);
    return { rows: entry, fresh: true };
  }

  /** The model's vector table, pruned to the texts the files hold now. */
  private vectorsOf(model: LoadedModel, sentences: readonly Sentence[]): Map<string, Embedded> {
    let cache = this.vectors.get(model.dir);
    if (!cache) this.vectors.set(model.dir, (cache = new Map()));
    const wanted = new Set(sentences.map((s) => normaliseText(s.text)));
    for (const key of cache.keys()) if (!wanted.has(key)) cache.delete(key);
    return cache;
  }

  /** Embeds the texts the table lacks, a batch at a time, keeping each batch as it comes (a cancel loses no finished batch). */
  private async embedMissing(model: LoadedModel, cache: Map<string, Embedded>, texts: readonly string[], cancel?: Cancellation): Promise<number> {
    const missing = [...new Set(texts.filter((t) => !cache.has(normaliseText(t))).map((t) => t))];
    for (let i = 0; i < missing.length; i += BATCH) {
      if (cancel?.isCancellationRequested) throw new CancelledError();
      const chunk = missing.slice(i, i + BATCH);
      const { vectors } = await embed(model, chunk, { normalize: true, batchSize: BATCH });
      const groups = await groupsOf(model, chunk);
      chunk.forEach((t, k) => cache.set(normaliseText(t), { vector: Float32Array.from(vectors[k]!), group: groups[k]! }));
    }
    return missing.length;
  }
}

const displayNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** The head's label for a language code a file gives ("de", "deu", "de-CH" -> "deu"), by the language's English name. */
function headLabelOf(head: LanguageIdHead, code: string): string | undefined {
  const base = code.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if (head.labels.includes(base)) return base;
  let name: string | undefined;
  try {
    name = displayNames.of(base);
  } catch {
    return undefined;
  }
  const i = name === undefined ? -1 : head.names.indexOf(name);
  return i < 0 ? undefined : head.labels[i];
}

/**
 * The hovered text's language for centring: the head's most likely language that the index has sentences of,
 * among its five best guesses with a probability of at least 0.05 (a short sentence is often guessed wrong at first
 * place), else its best guess;
 * '' without a head.
 */
async function queryLanguage(model: LoadedModel, text: string, indexed: ReadonlySet<string>): Promise<string> {
  if (!hasLanguageId(model.dir)) return '';
  const [guesses] = await identifyLanguage(model, [text], { topK: 5 });
  return (guesses.find((g) => indexed.has(g.label) && g.score >= 0.05) ?? guesses[0]!).label;
}

/** Each text's language as the model's language-identification head finds it, or '' without a head. */
async function groupsOf(model: LoadedModel, texts: readonly string[]): Promise<string[]> {
  if (!hasLanguageId(model.dir)) return texts.map(() => '');
  return (await identifyLanguage(model, texts, { topK: 1 })).map((g) => g[0]!.label);
}
