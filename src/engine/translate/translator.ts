/**
 * Translation with a sequence-to-sequence model folder: source tokenization with the model's language
 * conventions, the encoder once per batch, greedy or beam search on the cached decoder, detokenization.
 */
import { basename } from 'node:path';
import { XlmError, field, said } from '../errors.js';
import { cancellableChunks, type Cancellation } from '../runtime/inputs.js';
import { readSpecialTemplate, type TemplatePart } from '../tokenize/template.js';
import { readTokenizerFolder } from '../tokenize/tokenizer-files.js';
import { XlmTokenizer } from '../tokenize/tokenizer.js';
import { guessLanguage, languageSupport, languageToken, sameLanguage, type LanguageSupport } from './languages.js';
import { Seq2SeqSessions, type Seq2SeqLoadOptions } from './model.js';
import { beamSearch, greedySearch, type Hypothesis, type SearchOptions } from './search.js';
import { readGenerationSettings, type GenerationSettings } from './settings.js';

export interface TranslateOptions {
  /** Target language: ISO 639-1 (fr) or the model's own code (fra_Latn, __fr__). */
  to?: string;
  /** Source language; default: guessed from each text's script, else the tokenizer's default. */
  from?: string;
  /** Beams (1 = greedy); default generation_config's num_beams. */
  numBeams?: number;
  /** Longest output in tokens, start token included (transformers' max_length); default generation_config's. */
  maxLength?: number;
  lengthPenalty?: number;
  /** Translations per text (beam search; at most numBeams), in Translation.nBest. */
  numReturnSequences?: number;
  /** Sentences per encoder/decoder batch (default 8): the most work a cancel waits for. */
  batchSize?: number;
  /** Checked between batches: a cancelled request stops before its next batch. */
  cancel?: Cancellation;
}

export interface Translation {
  text: string;
  /** Generated token ids (no start token; `</s>` last unless cut by the length limit). */
  tokens: number[];
  /** Length-penalised log-probability: sum(log p) / length^length_penalty. */
  score: number;
  /** The source language used (the model's code), when the model takes one. */
  from?: string;
  /** True when `from` was guessed (script, or the tokenizer's default) rather than given. */
  fromGuessed: boolean;
  to?: string;
  /** With numReturnSequences > 1: the best translations, best first (this one first). */
  nBest?: { text: string; tokens: number[]; score: number }[];
}

export interface GenerateOptions {
  numBeams?: number;
  /** Hypotheses per source, best first, in Hypothesis.nBest (num_return_sequences; at most numBeams). */
  numReturnSequences?: number;
  maxLength?: number;
  lengthPenalty?: number;
  forcedBosTokenId?: number;
}

/** What a translator reads from its folder besides the graphs: generation settings, tokenizer, languages, template. */
export interface TranslatorFolder {
  dir: string;
  settings: GenerationSettings;
  tokenizer: XlmTokenizer;
  languages: LanguageSupport;
  template: TemplatePart[];
}

export class Translator {
  private constructor(
    readonly dir: string,
    readonly settings: GenerationSettings,
    readonly tokenizer: XlmTokenizer,
    readonly languages: LanguageSupport,
    private readonly template: TemplatePart[],
    private readonly sessions: Seq2SeqSessions,
  ) {}

  /** `name` is what the user called the model (a repo id), which names a Marian pair when config.json does not. */
  static async load(dir: string, opts: Seq2SeqLoadOptions & { name?: string } = {}): Promise<Translator> {
    return Translator.open(Translator.readFolder(dir, opts.name), opts);
  }

  /** The folder's settings and tokenizer, parsed once: a training run's evaluations open each step's graphs on them. */
  static readFolder(dir: string, name?: string): TranslatorFolder {
    const settings = readGenerationSettings(dir);
    const files = readTokenizerFolder(dir);
    const tokenizer = new XlmTokenizer(files);
    const json = files.tokenizerJson as { post_processor?: unknown; added_tokens?: { content: string }[]; model?: { vocab?: unknown } };
    const template = readSpecialTemplate(json.post_processor, (t) => tokenizer.tokenToId(t), files.file).single;
    const languages = languageSupport({ tokens: candidateTokens(json), names: [settings.nameOrPath, name, basename(dir)] });
    return { dir, settings, tokenizer, languages, template };
  }

  /** A translator on a folder already read (its graphs from `opts.inMemory`, else from the folder's onnx/ files). */
  static async open(folder: TranslatorFolder, opts: Seq2SeqLoadOptions = {}): Promise<Translator> {
    const sessions = await Seq2SeqSessions.load(folder.dir, folder.settings, opts);
    return new Translator(folder.dir, folder.settings, folder.tokenizer, folder.languages, folder.template, sessions);
  }

  get layout(): 'merged' | 'split' {
    return this.sessions.files.layout;
  }

  /** Source ids of a text: the tokenizer's template, its language slot set to `fromToken`, `prefixToken` first. */
  sourceIds(text: string, fromToken?: string, prefixToken?: string): number[] {
    const limit = Math.min(this.tokenizer.modelMaxLength ?? Infinity, this.settings.maxPositions ?? Infinity);
    const tokenId = (token: string) => {
      const id = this.tokenizer.tokenToId(token);
      if (id === undefined) throw new XlmError('translate/missing-token', `the tokenizer has no token ${token}`, { file: `${this.dir}/tokenizer.json` });
      return id;
    };
    const prefix = prefixToken ? [tokenId(prefixToken)] : [];
    let slotFilled = false;
    const specials = this.template.map((part) => {
      if (part.kind !== 'special') return part;
      const ids = part.ids.map((id, i) => {
        if (fromToken && this.isLanguageToken(part.tokens[i])) {
          slotFilled = true;
          return tokenId(fromToken);
        }
        return id;
      });
      return { ...part, ids };
    });
    if (fromToken && !slotFilled) prefix.push(tokenId(fromToken));
    const specialCount = prefix.length + specials.reduce((n, p) => n + (p.kind === 'special' ? p.ids.length : 0), 0);
    const content = this.tokenizer.encode(text, null, { addSpecialTokens: false }).ids;
    const kept = Number.isFinite(limit) ? content.slice(0, Math.max(0, limit - specialCount)) : content;
    return [...prefix, ...specials.flatMap((p) => (p.kind === 'special' ? p.ids : kept))];
  }

  /** Greedy (1 beam) or beam search from source ids, one hypothesis per source. */
  async generate(sources: readonly (readonly number[])[], opts: GenerateOptions = {}): Promise<Hypothesis[]> {
    const search = this.searchOptions(opts);
    if (sources.length === 0) return [];
    const encoded = await this.sessions.encode(sources);
    const step = this.sessions.decoderFor(encoded, search.numBeams);
    return search.numBeams === 1 ? greedySearch(step, sources.length, search) : beamSearch(step, sources.length, search);
  }

  async translate(texts: readonly string[], opts: TranslateOptions = {}): Promise<Translation[]> {
    const target = this.targetOf(opts.to);
    const sources = texts.map((text) => this.sourceOf(text, opts.from));
    const results: Translation[] = [];
    const batchSize = opts.batchSize ?? 8;
    let start = 0;
    for await (const chunk of cancellableChunks(texts, batchSize, opts.cancel)) {
      const ids = chunk.map((text, i) => this.sourceIds(text, sources[start + i].token, target.prefixToken));
      const hypotheses = await this.generate(ids, { ...opts, forcedBosTokenId: target.forcedBosTokenId });
      hypotheses.forEach((h, i) => {
        const source = sources[start + i];
        results.push({
          text: this.detokenize(h.tokens),
          tokens: h.tokens,
          score: h.score,
          from: source.code,
          fromGuessed: source.guessed,
          to: target.code,
          ...(h.nBest ? { nBest: h.nBest.map((n) => ({ text: this.detokenize(n.tokens), tokens: n.tokens, score: n.score })) } : {}),
        });
      });
      start += chunk.length;
    }
    return results;
  }

  /**
   * Text of generated ids. An id past the tokenizer's vocabulary (a model whose output table is larger than
   * its tokenizer.json) shows as the unknown token rather than failing the whole translation.
   */
  detokenize(ids: readonly number[]): string {
    const unk = this.tokenizer.special.unk?.id;
    const shown = ids.flatMap((id) => (id < this.tokenizer.vocabSize ? [id] : unk === undefined ? [] : [unk]));
    return this.tokenizer.decode(shown, { skipSpecial: true });
  }

  async close(): Promise<void> {
    await this.sessions.release();
  }

  private searchOptions(opts: GenerateOptions): SearchOptions {
    const s = this.settings;
    const numBeams = opts.numBeams ?? s.numBeams;
    if (!Number.isInteger(numBeams) || numBeams < 1) throw new XlmError('translate/bad-beams', said`${field('numBeams')} is ${numBeams}; it must be a whole number of at least 1`, { what: 'numBeams' });
    const numReturnSequences = opts.numReturnSequences ?? s.numReturnSequences;
    if (!Number.isInteger(numReturnSequences) || numReturnSequences < 1 || numReturnSequences > numBeams) {
      throw new XlmError('translate/bad-n-best', said`${numReturnSequences} translations per sentence asked for with ${numBeams} beam${numBeams === 1 ? '' : 's'}; it must be a whole number from 1 to the number of beams`, { what: 'numReturnSequences' });
    }
    const positions = s.maxPositions ?? Infinity;
    const maxLength = Math.min(opts.maxLength ?? s.maxLength, positions);
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new XlmError('translate/bad-max-length', said`${field('maxLength')} is ${opts.maxLength}; it must be a whole number of at least 2 (the start token and one more)`, { what: 'maxLength' });
    return {
      numBeams,
      numReturnSequences,
      maxLength,
      lengthPenalty: opts.lengthPenalty ?? s.lengthPenalty,
      earlyStopping: s.earlyStopping,
      decoderStartTokenId: s.decoderStartTokenId,
      eosTokenIds: s.eosTokenIds,
      padTokenId: s.padTokenId,
      badTokenIds: s.badTokenIds,
      forcedBosTokenId: opts.forcedBosTokenId ?? s.forcedBosTokenId,
      forcedEosTokenId: s.forcedEosTokenId,
      renormalizeLogits: s.renormalizeLogits,
      bans: s.bans,
    };
  }

  private isLanguageToken(token: string | undefined): boolean {
    if (!token) return false;
    if (this.languages.scheme === 'm2m100') return /^__[a-z]{2,3}__$/.test(token);
    if (this.languages.scheme === 'nllb') return /^[a-z]{3}_[A-Z][a-z]{3}$/.test(token);
    if (this.languages.scheme === 'mbart50') return /^[a-z]{2}_[A-Z]{2}$/.test(token);
    return false;
  }

  /** The tokenizer's own source-language token (what its template puts first), if any. */
  private defaultSourceToken(): string | undefined {
    for (const part of this.template) if (part.kind === 'special') for (const t of part.tokens) if (this.isLanguageToken(t)) return t;
    return undefined;
  }

  private targetOf(to: string | undefined): { code?: string; forcedBosTokenId?: number; prefixToken?: string } {
    const { scheme, pair } = this.languages;
    if (scheme === 'fixed-pair' && pair) {
      if (to !== undefined && !sameLanguage(to, pair.to)) {
        throw new XlmError('translate/wrong-pair', said`this model translates ${pair.from} → ${pair.to} only; for ${to} (${field('to')}), use a model for that pair (e.g. Xenova/opus-mt-${pair.from}-${to}) or a many-to-many one (Xenova/m2m100_418M)`, { what: 'to' });
      }
      return { code: pair.to };
    }
    if (scheme === 'none') return { code: to };
    if (to === undefined) {
      throw new XlmError('translate/no-target', said`this model translates into several languages; choose one with ${field('to')} (it knows: ${this.languages.codes.slice(0, 24).join(', ')}${this.languages.codes.length > 24 ? ', …' : ''})`, { what: 'to' });
    }
    const token = languageToken(this.languages, to, 'target', 'to');
    if (scheme === 'marian-target-token') return { code: token.slice(2, -2), prefixToken: token };
    return { code: token.replace(/^__(.+)__$/, '$1'), forcedBosTokenId: this.tokenizer.tokenToId(token) };
  }

  private sourceOf(text: string, from: string | undefined): { code?: string; token?: string; guessed: boolean } {
    const { scheme, pair } = this.languages;
    if (scheme === 'fixed-pair' && pair) {
      if (from !== undefined && !sameLanguage(from, pair.from)) {
        throw new XlmError('translate/wrong-pair', said`this model translates ${pair.from} → ${pair.to} only; it cannot read ${from} (${field('from')})`, { what: 'from' });
      }
      return { code: pair.from, guessed: from === undefined };
    }
    if (scheme !== 'm2m100' && scheme !== 'nllb' && scheme !== 'mbart50') return { code: from, guessed: false };
    if (from !== undefined) {
      const token = languageToken(this.languages, from, 'source', 'from');
      return { code: token.replace(/^__(.+)__$/, '$1'), token, guessed: false };
    }
    const guess = guessLanguage(text);
    if (guess) {
      try {
        const token = languageToken(this.languages, guess, 'source', 'from');
        return { code: token.replace(/^__(.+)__$/, '$1'), token, guessed: true };
      } catch {
        // The model does not know the guessed language: fall back to the tokenizer's default.
      }
    }
    const token = this.defaultSourceToken();
    return { code: token?.replace(/^__(.+)__$/, '$1'), token, guessed: true };
  }
}

/** Tokens that may name a language: the added tokens, and the vocabulary's `>>xx<<` pieces (Marian). */
function* candidateTokens(json: { added_tokens?: { content: string }[]; model?: { vocab?: unknown } }): Generator<string> {
  for (const t of json.added_tokens ?? []) yield t.content;
  const vocab = json.model?.vocab;
  if (Array.isArray(vocab)) {
    for (const entry of vocab) if (Array.isArray(entry) && typeof entry[0] === 'string' && entry[0].startsWith('>>')) yield entry[0];
  } else if (vocab && typeof vocab === 'object') {
    for (const piece of Object.keys(vocab)) if (piece.startsWith('>>')) yield piece;
  }
}
