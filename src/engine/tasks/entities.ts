/**
 * Named entities in running text (the editor's entity highlights): each text is cut into words, the words'
 * tags are read from a token-classification model (tasks/token-classify.ts: a word's tag is its first sub-token's),
 * and runs of tags are merged into whole entities as seqeval reads them (B-/I-/E-/S- prefixes, IOB1 and IOB2
 * alike; labels without a prefix, such as "PER", count as I- tags). An entity's score is the mean probability of
 * its words' tags, as transformers' token-classification pipeline averages with `aggregation_strategy="simple"`.
 *
 * Words: runs of letters, marks and digits, and every other visible character on its own (CoNLL-style
 * pre-tokenized text keeps punctuation apart: "Paris." is the words "Paris" and "."); Han, Hiragana and
 * Katakana characters are words of one character each, as character-level Chinese and Japanese NER data is.
 * A text longer than the model's window is read in consecutive windows of whole words.
 */
import { extractEntities } from '../metrics/ner.js';
import { CancelledError, type Cancellation } from '../runtime/inputs.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import type { TextEntity } from '../rpc/protocol.js';
import { softmax } from './classify.js';
import { wordLogits } from './token-classify.js';

export interface EntitiesOptions {
  /** Word sequences per session run (default 16): the most work a cancel waits for. */
  batchSize?: number;
  cancel?: Cancellation;
}

interface Word {
  start: number;
  end: number;
}

const WORD = /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu;

/** [start, end) of each word of `text`, in UTF-16 code units. */
export function entityWords(text: string): Word[] {
  return [...text.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

/** A model label as a seqeval tag: BILOU's L-/U- become E-/S-, `_` separators become `-`, a bare type is an I- tag. */
export function labelAsTag(label: string): string {
  if (label === 'O' || label === 'o') return 'O';
  const m = /^([BIESLU])[-_](.+)$/.exec(label);
  if (!m) return `I-${label}`;
  const prefix = m[1] === 'L' ? 'E' : m[1] === 'U' ? 'S' : m[1]!;
  return `${prefix}-${m[2]}`;
}

/** The entities of each text, in order, with UTF-16 spans into that text. */
export async function findEntities(model: LoadedModel, texts: readonly string[], o: EntitiesOptions = {}): Promise<TextEntity[][]> {
  const labels = model.config.id2label;
  const words = texts.map(entityWords);
  // Per text and word: the predicted label id and its probability (O with probability 1 for a word no window reached).
  const predicted = words.map((w) => w.map(() => ({ id: -1, p: 1 })));
  // Windows still to read: [text, first word]; a text whose words do not fit one window comes back with the rest.
  let pending: Array<[number, number]> = words.flatMap((w, t) => (w.length ? [[t, 0] as [number, number]] : []));
  const batch = o.batchSize ?? 16;
  while (pending.length) {
    const next: Array<[number, number]> = [];
    for (let first = 0; first < pending.length; first += batch) {
      if (o.cancel) {
        // A cancel notification that arrived meanwhile is seen before the next batch runs.
        await new Promise((resolve) => setImmediate(resolve));
        if (o.cancel.isCancellationRequested) throw new CancelledError();
      }
      const windows = pending.slice(first, first + batch);
      const sentences = windows.map(([t, from]) => words[t]!.slice(from).map((w) => texts[t]!.slice(w.start, w.end)));
      const logits = await wordLogits(model, sentences, { batchSize: batch });
      windows.forEach(([t, from], i) => {
        const row = logits[i]!;
        let last = -1;
        row.forEach((l, j) => {
          if (!l) return;
          last = j;
          const p = softmax(l);
          let best = 0;
          for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
          predicted[t]![from + j] = { id: best, p: p[best]! };
        });
        // Words after the last one read were cut off by the window: read them in the next. A first word with no
        // token at all (nothing the tokenizer keeps) is passed over so the loop always moves on.
        const resume = from + (last === -1 ? 1 : last + 1);
        if (resume < words[t]!.length) next.push([t, resume]);
      });
    }
    pending = next;
  }
  return texts.map((text, t) => {
    const tags = predicted[t]!.map(({ id }) => (id < 0 ? 'O' : labelAsTag(labels[id] ?? `LABEL_${id}`)));
    return extractEntities(tags).map((e) => {
      const ws = words[t]!;
      const start = ws[e.start]!.start;
      const end = ws[e.end]!.end;
      let sum = 0;
      for (let i = e.start; i <= e.end; i++) sum += predicted[t]![i]!.p;
      return { type: e.type, start, end, text: text.slice(start, end), score: sum / (e.end - e.start + 1) };
    });
  });
}
