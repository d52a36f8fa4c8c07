/**
 * BIO tag sequences as training data must have them: IOB2, where every entity starts with B-TYPE and continues
 * with I-TYPE of the same type. (Evaluation is lenient about this the way seqeval is; see metrics/ner.ts.)
 * Files come in other schemes too, and are converted to IOB2 as they are read:
 * - IOB1, the original CoNLL-2003 release: I- starts an entity, B- only separates two adjacent entities of one type;
 * - BIOES (IOBES): B- begins, I- continues, E- ends a multi-word entity, S- is a one-word entity;
 * - BILOU: the same as BIOES with L- (last) for E- and U- (unit) for S-.
 * The scheme is given (--tag-scheme) or detected from the tags (detectTagScheme).
 */

import { field, reasonNaming, said, type Said } from '../errors.js';

export type TagScheme = 'iob1' | 'iob2' | 'bioes' | 'bilou';
export const TAG_SCHEMES: readonly TagScheme[] = ['iob1', 'iob2', 'bioes', 'bilou'];

/** A file's tag scheme and why, in words; `said` keeps the option the reason names for each surface to name. */
export interface SchemeChoice {
  scheme: TagScheme;
  reason: string;
  said?: Said;
}

export interface TagProblem {
  /** Index of the offending tag in the sentence. */
  index: number;
  /** Why, with the tag-scheme option left for each surface to name (the CLI: --tag-scheme). */
  reason: string | Said;
}

const TAG = /^([BI])-(.+)$/;

/** The first tag that breaks IOB2, or null; `suggestIob1` adds the advice to read a file of such tags as IOB1. */
export function checkIob2(tags: readonly string[], suggestIob1 = true): TagProblem | null {
  let previousType: string | null = null;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (tag === 'O') {
      previousType = null;
      continue;
    }
    const match = TAG.exec(tag);
    if (!match) {
      const scheme = /^[ES]-/.test(tag) ? 'bioes' : /^[LU]-/.test(tag) ? 'bilou' : undefined;
      const hint = scheme ? said` (a ${scheme.toUpperCase()} tag: read the file with ${field('tagScheme')} ${scheme})` : '';
      return { index: i, reason: said`'${tag}' is not a BIO tag: expected O, B-TYPE or I-TYPE${hint}` };
    }
    const [, prefix, type] = match;
    if (prefix === 'I' && previousType !== type) {
      if (previousType === null) {
        const where = i === 0 ? 'at the start of the sentence' : `after ${tags[i - 1]}`;
        return {
          index: i,
          reason: suggestIob1
            ? said`${tag} ${where} starts an entity, but IOB2 starts entities with B-${type}; if the file is IOB1 (the original CoNLL-2003 release), read it with ${field('tagScheme')} iob1 to convert it`
            : `${tag} ${where} starts an entity, but IOB2 starts entities with B-${type}`,
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

const END_TAG: Record<'bioes' | 'bilou', { last: string; single: string; name: string }> = {
  bioes: { last: 'E', single: 'S', name: 'BIOES' },
  bilou: { last: 'L', single: 'U', name: 'BILOU' },
};

/**
 * A BIOES or BILOU sentence → IOB2, or the first tag that breaks the scheme: B- must be followed by I- or the end
 * tag of its type, I- must continue an entity of its type and be followed by more of it, the end tag must close
 * one, the single tag stands alone.
 */
export function spanTagsToIob2(tags: readonly string[], scheme: 'bioes' | 'bilou'): string[] | TagProblem {
  const { last, single, name } = END_TAG[scheme];
  const out: string[] = [];
  let open: string | null = null; // type of the entity begun and not yet ended
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    const match = /^([A-Z])-(.+)$/.exec(tag);
    if (tag !== 'O' && (!match || !['B', 'I', last, single].includes(match[1]))) {
      return { index: i, reason: `'${tag}' is not a ${name} tag: expected O, B-, I-, ${last}- or ${single}- followed by the type` };
    }
    const prefix = match?.[1];
    const type = match?.[2] ?? '';
    if (open !== null && (tag === 'O' || prefix === 'B' || prefix === single || type !== open)) {
      return { index: i, reason: `${tag} after ${tags[i - 1]}: in ${name} an entity begun with B-${open} ends with ${last}-${open}` };
    }
    if (tag === 'O') out.push('O');
    else if (prefix === 'B' || prefix === single) {
      out.push(`B-${type}`);
      open = prefix === 'B' ? type : null;
    } else {
      if (open === null) {
        const where = i === 0 ? 'at the start of the sentence' : `after ${tags[i - 1]}`;
        return { index: i, reason: `${tag} ${where}: in ${name} an entity starts with B-${type} (or is ${single}-${type} when it is one word)` };
      }
      out.push(`I-${type}`);
      open = prefix === 'I' ? type : null;
    }
  }
  if (open !== null) {
    return { index: tags.length - 1, reason: `the sentence ends inside the entity begun with B-${open}: in ${name} it ends with ${last}-${open}` };
  }
  return out;
}

/** Tags of one sentence in `scheme` → IOB2 (checked), or the first tag that is wrong. */
export function toIob2(tags: readonly string[], scheme: TagScheme): string[] | TagProblem {
  if (scheme === 'bioes' || scheme === 'bilou') return spanTagsToIob2(tags, scheme);
  const converted = scheme === 'iob1' ? iob1ToIob2(tags) : tags.slice();
  // Read as IOB1 already: no advice to read it as IOB1.
  return checkIob2(converted, scheme !== 'iob1') ?? converted;
}

/** What the tags of some sentences say about their scheme: each counter is evidence for one scheme only. */
export class TagSchemeEvidence {
  /** I- starting an entity (IOB1). */
  iob1 = 0;
  /** B- after O, at the start, or after another type (IOB2, BIOES, BILOU). */
  beginAfterOutside = 0;
  /** E- or S- (BIOES). */
  bioes = 0;
  /** L- or U- (BILOU). */
  bilou = 0;

  add(tags: readonly (string | undefined)[]): void {
    let previousType: string | null = null;
    for (const tag of tags) {
      const match = typeof tag === 'string' ? /^([A-Z])-(.+)$/.exec(tag) : null;
      if (!match) {
        previousType = null;
        continue;
      }
      const [, prefix, type] = match;
      if (prefix === 'E' || prefix === 'S') this.bioes++;
      else if (prefix === 'L' || prefix === 'U') this.bilou++;
      else if (prefix === 'I' && previousType !== type) this.iob1++;
      else if (prefix === 'B' && previousType !== type) this.beginAfterOutside++;
      previousType = type;
    }
  }

  /**
   * The scheme the evidence points to, with why in words; IOB2 (the strict default) when it is mixed or absent.
   * End tags decide BIOES or BILOU (no other scheme has them) unless an entity also starts with I-, which neither
   * allows: such a file is broken, read strictly as IOB2 so every odd tag is reported. IOB1 needs entities to start with I- in at least
   * 95 of 100 cases: an IOB1 file with a stray B- after O still reads right (B- starts an entity in both), while an
   * IOB2 file with a few wrong I- starts stays IOB2 and those rows are reported.
   */
  decide(): SchemeChoice {
    const { iob1, beginAfterOutside, bioes, bilou } = this;
    if (bioes > 0 && bilou > 0) return { scheme: 'iob2', ...reasonNaming(said`the tags mix BIOES (E-/S-) and BILOU (L-/U-); read as IOB2 (${field('tagScheme')} names the file's scheme)`) };
    if (bioes > 0 && iob1 === 0) return { scheme: 'bioes', reason: `detected: ${bioes} E-/S- tags` };
    if (bilou > 0 && iob1 === 0) return { scheme: 'bilou', reason: `detected: ${bilou} L-/U- tags` };
    if (bioes + bilou > 0) return { scheme: 'iob2', ...reasonNaming(said`the tags mix ${bioes ? 'E-/S-' : 'L-/U-'} end tags with entities that start with I-; read as IOB2 (${field('tagScheme')} names the file's scheme)`) };
    const starts = iob1 + beginAfterOutside;
    if (iob1 > 0 && iob1 >= 0.95 * starts) {
      return { scheme: 'iob1', reason: `detected: ${iob1} of ${starts} entities start with I-` };
    }
    if (iob1 === 0) return { scheme: 'iob2', reason: beginAfterOutside > 0 ? 'detected: entities start with B-' : 'no entity tags to tell the scheme by; read as IOB2' };
    return { scheme: 'iob2', ...reasonNaming(said`${beginAfterOutside} of ${starts} entities start with B-, ${iob1} with I-; read as IOB2 (${field('tagScheme')} iob1 if the file is IOB1)`) };
  }
}

/** Whether a string looks like a NER tag (used to recognise CoNLL-style files). */
export function looksLikeTag(tag: string): boolean {
  return tag === 'O' || /^[BIESLU]-\S+$/.test(tag);
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
