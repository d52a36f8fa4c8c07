/**
 * Parallel pairs to model inputs, as each family's transformers tokenizer prepares `text` and `text_target`:
 * - source ids: the tokenizer's template (tokenizer.json's post_processor), its language slot set to the source
 *   language (M2M100 / NLLB: `__en__ ... </s>`, `eng_Latn ... </s>`); a Marian model with `>>xx<<` target tokens gets
 *   the target's token first;
 * - labels: M2M100 / NLLB `tgt_lang ... </s>` (the target language token first, what generation forces with
 *   forced_bos_token_id); others `... </s>`;
 * - decoder_input_ids: the labels shifted right after decoder_start_token_id (transformers' shift_tokens_right).
 * Batches are padded on the right; labels' padding is -100 (ignored by the loss), the decoder's is the pad token.
 */
import { XlmError, field, said } from '../errors.js';
import { ort } from '../runtime/session.js';
import { readSpecialTemplate, type TemplatePart } from '../tokenize/template.js';
import type { XlmTokenizer } from '../tokenize/tokenizer.js';
import { languageSupport, languageToken, type LanguageSupport } from '../translate/languages.js';
import type { Seq2SeqConfig } from './config.js';

export interface TranslationPair {
  source: string;
  target: string;
}

export interface PairFeature {
  source: number[];
  labels: number[];
}

export interface PairBatch {
  feeds: Record<string, ort.Tensor>;
  examples: number;
  /** Real source and target tokens. */
  tokens: number;
}

export interface PairEncoderOptions {
  sourceLang?: string;
  targetLang?: string;
  /** Tokens per side, specials included. */
  maxLength: number;
}

const IGNORE = -100;

export class PairEncoder {
  private readonly template: TemplatePart[];
  private readonly languages: LanguageSupport;
  private readonly sourceToken?: number;
  private readonly targetFirst?: number;
  private readonly sourcePrefix?: number;

  constructor(private readonly tokenizer: XlmTokenizer, tokenizerJson: unknown, private readonly config: Seq2SeqConfig, private readonly opts: PairEncoderOptions) {
    const json = tokenizerJson as { post_processor?: unknown; added_tokens?: { content: string }[]; model?: { vocab?: unknown } };
    this.template = readSpecialTemplate(json.post_processor, (t) => tokenizer.tokenToId(t)).single;
    this.languages = languageSupport({ tokens: languageTokens(json), names: [] });
    const id = (token: string) => {
      const found = tokenizer.tokenToId(token);
      if (found === undefined) throw new XlmError('translate/missing-token', `the tokenizer has no token ${token}`, { what: token });
      return found;
    };
    const { scheme } = this.languages;
    const multilingual = scheme === 'm2m100' || scheme === 'nllb';
    if (multilingual) {
      if (!opts.targetLang) throw new XlmError('bad-option', said`this model translates into several languages; give the target language with ${field('targetLang')} (it knows: ${this.languages.codes.slice(0, 24).join(', ')}${this.languages.codes.length > 24 ? ', …' : ''})`, { what: 'targetLang' });
      this.targetFirst = id(languageToken(this.languages, opts.targetLang, 'target'));
      if (opts.sourceLang) this.sourceToken = id(languageToken(this.languages, opts.sourceLang, 'source'));
    } else if (scheme === 'marian-target-token') {
      if (!opts.targetLang) throw new XlmError('bad-option', said`this Marian model chooses its target language with a >>xx<< token; give it with ${field('targetLang')} (one of: ${this.languages.codes.join(', ')})`, { what: 'targetLang' });
      this.sourcePrefix = id(languageToken(this.languages, opts.targetLang, 'target'));
    } else if (opts.sourceLang || opts.targetLang) {
      throw new XlmError('bad-option', said`this model has no language tokens, so ${field('sourceLang')} and ${field('targetLang')} have nothing to choose; leave them out`, { what: opts.sourceLang ? 'sourceLang' : 'targetLang' });
    }
  }

  /** The target language token labels start with, which generation forces (forced_bos_token_id). */
  get forcedBosTokenId(): number | undefined {
    return this.targetFirst;
  }

  encode(pair: TranslationPair): PairFeature {
    const max = this.opts.maxLength;
    const specials = this.template.reduce((n, p) => n + (p.kind === 'special' ? p.ids.length : 0), 0) + (this.sourcePrefix === undefined ? 0 : 1);
    const sourceText = this.tokenizer.encode(pair.source, null, { addSpecialTokens: false }).ids.slice(0, Math.max(1, max - specials));
    const source = [
      ...(this.sourcePrefix === undefined ? [] : [this.sourcePrefix]),
      ...this.template.flatMap((part) => (part.kind === 'special' ? part.ids.map((tid, i) => (this.sourceToken !== undefined && isLanguageToken(part.tokens[i]) ? this.sourceToken : tid)) : sourceText)),
    ];
    const first = this.targetFirst === undefined ? [] : [this.targetFirst];
    const targetText = this.tokenizer.encode(pair.target, null, { addSpecialTokens: false }).ids.slice(0, Math.max(1, max - 1 - first.length));
    return { source, labels: [...first, ...targetText, this.config.eosTokenId] };
  }
}

/**
 * Which languages a model's tokenizer lets a run choose: none (one pair, e.g. opus-mt en-fr), the target (Marian's
 * >>xx<< tokens) or both (M2M100 / NLLB language tokens), and the codes it knows. The fine-tune wizard asks for a
 * pair only when there is something to choose.
 */
export function languageChoice(tokenizerJson: unknown): { takes: 'none' | 'target' | 'both'; codes: string[] } {
  const languages = languageSupport({ tokens: languageTokens(tokenizerJson as { added_tokens?: { content: string }[]; model?: { vocab?: unknown } }), names: [] });
  const takes = languages.scheme === 'm2m100' || languages.scheme === 'nllb' ? 'both' : languages.scheme === 'marian-target-token' ? 'target' : 'none';
  return { takes, codes: takes === 'none' ? [] : languages.codes };
}

function isLanguageToken(token: string | undefined): boolean {
  return token !== undefined && (/^__[a-z]{2,3}__$/.test(token) || /^[a-z]{3}_[A-Z][a-z]{3}$/.test(token));
}

/** Tokens that may name a language: the added tokens, and the vocabulary's `>>xx<<` pieces (Marian). */
function languageTokens(json: { added_tokens?: { content: string }[]; model?: { vocab?: unknown } }): string[] {
  const out = (json.added_tokens ?? []).map((t) => t.content);
  const vocab = json.model?.vocab;
  const pieces = Array.isArray(vocab) ? vocab.map((e) => (Array.isArray(e) ? e[0] : undefined)) : vocab && typeof vocab === 'object' ? Object.keys(vocab) : [];
  for (const p of pieces) if (typeof p === 'string' && p.startsWith('>>')) out.push(p);
  return out;
}

/** Right-padded tensors of a batch: input_ids, attention_mask, decoder_input_ids (shifted labels) and labels (-100 on padding). */
export function collatePairs(features: readonly PairFeature[], config: Pick<Seq2SeqConfig, 'padTokenId' | 'decoderStartTokenId'>): PairBatch {
  const rows = features.length;
  const src = Math.max(...features.map((f) => f.source.length));
  const tgt = Math.max(...features.map((f) => f.labels.length));
  const pad = BigInt(config.padTokenId);
  const ids = new BigInt64Array(rows * src).fill(pad);
  const mask = new BigInt64Array(rows * src);
  const decoderIds = new BigInt64Array(rows * tgt).fill(pad);
  const labels = new BigInt64Array(rows * tgt).fill(BigInt(IGNORE));
  let tokens = 0;
  features.forEach((f, r) => {
    f.source.forEach((id, s) => { ids[r * src + s] = BigInt(id); mask[r * src + s] = 1n; });
    f.labels.forEach((id, t) => {
      labels[r * tgt + t] = BigInt(id);
      decoderIds[r * tgt + t] = BigInt(t === 0 ? config.decoderStartTokenId : f.labels[t - 1]);
    });
    tokens += f.source.length + f.labels.length;
  });
  return {
    feeds: {
      input_ids: new ort.Tensor('int64', ids, [rows, src]),
      attention_mask: new ort.Tensor('int64', mask, [rows, src]),
      decoder_input_ids: new ort.Tensor('int64', decoderIds, [rows, tgt]),
      labels: new ort.Tensor('int64', labels, [rows, tgt]),
    },
    examples: rows,
    tokens,
  };
}

/**
 * The length key batches are grouped by (train/batching.ts sorts by it within each mega-batch): source length
 * first, target length next, so that a batch's source and target padding both stay small.
 */
export function bucketKey(f: PairFeature): number {
  return f.source.length * 65536 + f.labels.length;
}
