/**
 * The seed vocabulary: frequent substrings of the words, as SentencePiece seeds its Unigram trainer from a
 * suffix array. Kept: substrings of 2..maxLength characters that are valid pieces, occur at least twice, and
 * are right-maximal (followed by at least two different characters, word end counting as one), which is what
 * the internal nodes of a suffix tree enumerate; a substring always followed by the same character adds
 * nothing its extension does not. Like SentencePiece, which builds its suffix array over the distinct words,
 * a substring is counted once per distinct word it occurs in; each such count carries the word's language
 * weight (weight / occurrences), so smoothing reaches the seeds. Ranked by that frequency x length.
 */
import { CLASS_INHERITED, CLASS_METASPACE, type WordTable } from './unigram-words.js';

export interface SeedPiece {
  piece: string;
  /** Language-weighted count of the distinct words it occurs in. */
  frequency: number;
}

const UNSET = -2;
const WORD_END = -1;

export function seedPieces(table: WordTable, maxLength: number, seedSize: number): SeedPiece[] {
  const { chars, wordStart, weight, occurrences, alphabet, charClass } = table;
  const index = new Map<string, number>();
  let frequency = new Float64Array(1 << 16);
  let occurs = new Float64Array(1 << 16);
  let firstNext = new Int32Array(1 << 16);
  let maximal = new Uint8Array(1 << 16);
  const keys: string[] = [];

  const grow = (): void => {
    const size = frequency.length * 2;
    const f = new Float64Array(size); f.set(frequency); frequency = f;
    const o = new Float64Array(size); o.set(occurs); occurs = o;
    const n = new Int32Array(size); n.set(firstNext); firstNext = n;
    const m = new Uint8Array(size); m.set(maximal); maximal = m;
  };

  const wordCount = wordStart.length - 1;
  for (let w = 0; w < wordCount; w++) {
    const begin = wordStart[w];
    const end = wordStart[w + 1];
    // The language weight of one occurrence of this word.
    const wWeight = weight[w] / occurrences[w];
    for (let s = begin; s < end; s++) {
      let key = alphabet[chars[s]];
      let current = charClass[chars[s]] === CLASS_METASPACE ? -1 : charClass[chars[s]];
      const last = Math.min(end, s + maxLength);
      for (let e = s + 1; e < last; e++) {
        // Extend by chars[e]; stop at the first character that would make the span invalid.
        let cls = charClass[chars[e]];
        if (cls === CLASS_METASPACE) break;
        if (cls === CLASS_INHERITED && current !== -1) cls = current;
        if (current !== -1 && cls !== current) break;
        current = cls;
        key += alphabet[chars[e]];
        const next = e + 1 < end ? chars[e + 1] : WORD_END;
        let id = index.get(key);
        if (id === undefined) {
          id = keys.length;
          if (id === frequency.length) grow();
          index.set(key, id);
          keys.push(key);
          firstNext[id] = UNSET;
        }
        frequency[id] += wWeight;
        occurs[id] += 1;
        if (firstNext[id] === UNSET) firstNext[id] = next;
        else if (firstNext[id] !== next) maximal[id] = 1;
      }
    }
  }

  const candidates: number[] = [];
  for (let id = 0; id < keys.length; id++) {
    // An internal node of the suffix tree has at least two leaves: two occurrences among the distinct words.
    if (occurs[id] >= 2 && maximal[id]) candidates.push(id);
  }
  const score = (id: number): number => frequency[id] * [...keys[id]].length;
  candidates.sort((a, b) => score(b) - score(a) || (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  return candidates.slice(0, seedSize).map((id) => ({ piece: keys[id], frequency: frequency[id] }));
}
