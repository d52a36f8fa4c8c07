/**
 * BLEU, chrF and chrF++ of a set of translations, per language pair and over all of them: what training's
 * evaluation reports after each --eval-every mark, and what a user compares with published figures (each score
 * carries sacreBLEU's signature).
 *
 * The BLEU tokenizer of a pair follows its target language unless one is given: zh for Chinese (as sacreBLEU picks
 * it for a zh target), char for Japanese, Thai, Lao, Khmer and Burmese (written without spaces between words,
 * where sacreBLEU would need MeCab or a SentencePiece model we do not ship; 13a would make each sentence one
 * token), 13a for every other language. The signature names the tokenizer used, so the figure is never ambiguous.
 */
import { XlmError } from '../errors.js';
import { corpusBleu, type BleuScore } from './bleu.js';
import { corpusChrf, type ChrfScore } from './chrf.js';
import type { MtTokenizerName } from './mt-tokenizers.js';

export interface TranslationToScore {
  hypothesis: string;
  /** One or more references; every translation of one language pair needs the same number. */
  references: readonly string[];
  sourceLang?: string;
  targetLang?: string;
}

export interface TranslationScores {
  /** `en-de`; `all` for the scores over every translation; `?` stands for an unknown side. */
  pair: string;
  sourceLang?: string;
  targetLang?: string;
  segments: number;
  bleu: BleuScore;
  chrf: ChrfScore;
  chrfPlusPlus: ChrfScore;
}

export interface TranslationScoreOptions {
  /** The BLEU tokenizer of every pair; default: chosen from each pair's target language (see above). */
  tokenize?: MtTokenizerName;
}

/**
 * Scores per language pair (in order of first appearance), and `all` over every translation when there is more
 * than one pair (its BLEU tokenizer is the given one, else 13a, unless every pair picked the same one).
 */
export function scoreTranslations(items: readonly TranslationToScore[], options: TranslationScoreOptions = {}): { pairs: TranslationScores[]; all: TranslationScores } {
  if (items.length === 0) throw new XlmError('metrics/no-hypotheses', 'no translations to score');
  const groups = new Map<string, TranslationToScore[]>();
  for (const item of items) {
    const key = pairName(item.sourceLang, item.targetLang);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(item);
  }
  const pairs = [...groups].map(([pair, group]) => {
    const { sourceLang, targetLang } = group[0];
    return scoreGroup(pair, group, options.tokenize ?? defaultTokenizer(targetLang), sourceLang, targetLang);
  });
  if (pairs.length === 1) return { pairs, all: pairs[0] };
  const chosen = new Set(pairs.map((p) => p.bleu.signature.match(/tok:([^|]+)/)![1]));
  const tokenizer = options.tokenize ?? (chosen.size === 1 ? ([...chosen][0] as MtTokenizerName) : '13a');
  return { pairs, all: scoreGroup('all', items, tokenizer) };
}

function scoreGroup(pair: string, group: readonly TranslationToScore[], tokenize: MtTokenizerName, sourceLang?: string, targetLang?: string): TranslationScores {
  const nrefs = Math.max(...group.map((g) => g.references.length));
  const uneven = group.find((g) => g.references.length !== nrefs);
  if (uneven) {
    throw new XlmError('metrics/uneven-references', `${pair}: some translations have ${uneven.references.length} reference${uneven.references.length === 1 ? '' : 's'} and others ${nrefs}; give every translation of a pair the same number`);
  }
  const hypotheses = group.map((g) => g.hypothesis);
  const references = Array.from({ length: nrefs }, (_, k) => group.map((g) => g.references[k]));
  return {
    pair,
    ...(sourceLang !== undefined ? { sourceLang } : {}),
    ...(targetLang !== undefined ? { targetLang } : {}),
    segments: group.length,
    bleu: corpusBleu(hypotheses, references, { tokenize }),
    chrf: corpusChrf(hypotheses, references),
    chrfPlusPlus: corpusChrf(hypotheses, references, { wordOrder: 2 }),
  };
}

function pairName(source: string | undefined, target: string | undefined): string {
  if (source === undefined && target === undefined) return 'all';
  return `${source ?? '?'}-${target ?? '?'}`;
}

/** Languages written without spaces between words, by ISO 639-1 and 639-3 code. */
const UNSPACED = new Set(['ja', 'jpn', 'th', 'tha', 'lo', 'lao', 'km', 'khm', 'my', 'mya']);
const CHINESE = new Set(['zh', 'zho', 'chi', 'cmn', 'yue', 'wuu', 'nan', 'hak']);

function defaultTokenizer(targetLang: string | undefined): MtTokenizerName {
  const base = (targetLang ?? '').split(/[-_]/)[0].toLowerCase();
  if (CHINESE.has(base)) return 'zh';
  if (UNSPACED.has(base)) return 'char';
  return '13a';
}
