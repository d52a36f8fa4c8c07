/**
 * BIO tag sequences as training data must have them: IOB2, where every entity starts with B-TYPE and continues
 * with I-TYPE of the same type. (Evaluation is lenient about this the way seqeval is; see metrics/ner.ts.)
 * The original CoNLL-2003 release uses IOB1 (I- starts an entity, B- only separates two adjacent entities of
 * one type); such files are converted rather than refused when the caller says so.
 */

export interface TagProblem {
  /** Index of the offending tag in the sentence. */
  index: number;
  reason: string;
}

const TAG = /^([BI])-(.+)$/;

/** The first tag that breaks IOB2, or null. */
export function checkIob2(tags: readonly string[]): TagProblem | null {
  let previousType: string | null = null;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (tag === 'O') {
      previousType = null;
      continue;
    }
    const match = TAG.exec(tag);
    if (!match) {
      const hint = /^[ES]-/.test(tag) ? ' (BIOES tags: convert the file to IOB2)' : '';
      return { index: i, reason: `'${tag}' is not a BIO tag: expected O, B-TYPE or I-TYPE${hint}` };
    }
    const [, prefix, type] = match;
    if (prefix === 'I' && previousType !== type) {
      if (previousType === null) {
        const where = i === 0 ? 'at the start of the sentence' : `after ${tags[i - 1]}`;
        return {
          index: i,
          reason: `${tag} ${where} starts an entity, but IOB2 starts entities with B-${type}; if the file is IOB1 (the original CoNLL-2003 release), read it with tagScheme 'iob1' (--tag-scheme iob1) to convert it`,
        };
      }
      return { index: i, reason: `${tag} after ${tags[i - 1]}: the tags of one entity must share its type (expected B-${type} to start a new entity)` };
    }
    previousType = type;
  }
  return null;
}

/** IOB1 → IOB2: an I- tag that begins an entity (after O, at the start, or after another type) becomes B-. */
export function iob1ToIob2(tags: readonly string[]): string[] {
  const out = tags.slice();
  for (let i = 0; i < out.length; i++) {
    const match = TAG.exec(out[i]);
    if (!match || match[1] !== 'I') continue;
    const previous = i === 0 ? null : TAG.exec(tags[i - 1]);
    if (previous === null || previous[2] !== match[2]) out[i] = `B-${match[2]}`;
  }
  return out;
}

/** Whether a string looks like a NER tag (used to recognise CoNLL-style files). */
export function looksLikeTag(tag: string): boolean {
  return tag === 'O' || /^[BIES]-\S+$/.test(tag);
}

/**
 * A tag set in the order models usually list it: O first, then by entity type, B before I
 * (O, B-LOC, I-LOC, B-ORG, I-ORG, ...). Used when no id2label fixes the order.
 */
export function orderTags(tags: Iterable<string>): string[] {
  const rank = (t: string): [number, string, string] => {
    if (t === 'O') return [0, '', ''];
    const m = /^([A-Z])-(.+)$/.exec(t);
    return m ? [1, m[2], m[1]] : [2, t, ''];
  };
  return [...new Set(tags)].sort((a, b) => {
    const [ga, ta, pa] = rank(a);
    const [gb, tb, pb] = rank(b);
    if (ga !== gb) return ga - gb;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
}
