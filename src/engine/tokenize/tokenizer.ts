/**
 * XLM-R tokenization: @huggingface/tokenizers segments the text (it gives SentencePiece's ids), and this
 * class adds what the library lacks: character offsets, word ids, sequence ids, truncation, padding.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { XlmError } from '../errors.js';
import { alignTokens, byteLevelBytes, codeUnits, normalizedSource, type SymbolMode } from './alignment.js';
import {
  assemble, padBatch, sliceTokens, windowRanges,
  type Batch, type BatchOptions, type EncodeOptions, type Encoding, type TextTokens,
} from './encoding.js';
import { LONG_TEXT_PIECE, longTextPieces } from './long-text.js';
import { readSpecialTemplate, specialTokenCount, type SpecialTemplate } from './template.js';
import { isObject, mergedConfig, readTokenizerFolder, type TokenizerFiles } from './tokenizer-files.js';
import { wordIdsForSpans, wordIdsFromTokens } from './words.js';

export interface SpecialToken {
  token: string;
  id: number;
}

/** The tokens with a special role; null where the tokenizer has none. */
export interface SpecialTokens {
  cls: SpecialToken | null;
  sep: SpecialToken | null;
  bos: SpecialToken | null;
  eos: SpecialToken | null;
  pad: SpecialToken | null;
  unk: SpecialToken | null;
  mask: SpecialToken | null;
}

export interface DecodeOptions {
  /** Leave out `<s>`, `</s>`, `<pad>`, `<mask>` and other special tokens. Default false. */
  skipSpecial?: boolean;
  /** Remove spaces before punctuation (" ." to "."), as transformers does; default from tokenizer_config.json. */
  cleanUpSpaces?: boolean;
}

type Input = string | readonly [string, string];

/** Beyond this many distinct characters the per-character normalization cache starts over. */
const NORMALIZE_CACHE_LIMIT = 50_000;

/** Byte-level BPE's character for the space byte (0x20 maps to U+0120 in its byte-to-character table). */
const BYTE_LEVEL_SPACE = '\u0120';

export class XlmTokenizer {
  readonly special: SpecialTokens;
  /** Number of ids: the size of the model's embedding table that this tokenizer needs. */
  readonly vocabSize: number;
  /** tokenizer_config.json's model_max_length when it is a real limit (XLM-R: 512). */
  readonly modelMaxLength: number | undefined;

  private readonly lib: Tokenizer;
  private readonly template: SpecialTemplate;
  private readonly addedTokens: Map<string, { id: number; special: boolean }>;
  private readonly symbolMode: SymbolMode;
  private readonly spaceMarks: ReadonlySet<number>;
  private readonly continuingPrefix: string | null;
  /** How a token shows that it starts a word; null: words are whitespace-separated units of the text. */
  private readonly startsWord: ((surface: string) => boolean) | null;
  /** How a vocabulary piece shows that a space comes before it (pieceStartsWord). */
  private readonly marksWordStart: (piece: string) => boolean;
  private readonly normalizeCache = new Map<string, string>();
  private readonly file: string;

  constructor(files: TokenizerFiles) {
    this.file = files.file ?? 'tokenizer.json';
    const json = files.tokenizerJson as Record<string, unknown>;
    if (!isObject(json) || !isObject(json.model)) {
      throw new XlmError('bad-tokenizer', 'tokenizer.json has no "model" object; is this a Hugging Face fast-tokenizer file?', { file: this.file, what: 'model' });
    }
    const tokenizerJson = Array.isArray(json.added_tokens) ? json : { ...json, added_tokens: [] };
    const config = mergedConfig(files);
    try {
      this.lib = new Tokenizer(tokenizerJson, config);
    } catch (e) {
      throw new XlmError('bad-tokenizer', `@huggingface/tokenizers cannot load it: ${(e as Error).message}`, { file: this.file });
    }

    this.addedTokens = new Map();
    for (const [id, t] of this.lib.get_added_tokens_decoder()) this.addedTokens.set(t.content, { id, special: t.special });
    this.vocabSize = countIds(json.model, this.addedTokens);

    this.template = readSpecialTemplate(json.post_processor, (t) => this.lib.token_to_id(t), this.file);
    this.special = this.resolveSpecials(config, json.model);
    const maxLength = Number(config.model_max_length);
    this.modelMaxLength = Number.isInteger(maxLength) && maxLength > 0 && maxLength < 1e9 ? maxLength : undefined;

    const model = json.model;
    const byteLevel = usesComponent(json.pre_tokenizer, 'ByteLevel') || usesComponent(json.decoder, 'ByteLevel');
    this.symbolMode = byteLevel ? 'bytes' : 'utf16';
    const replacement = metaspaceReplacement(json.pre_tokenizer) ?? '\u2581';
    this.spaceMarks = byteLevel ? new Set([0x20]) : new Set([0x20, replacement.charCodeAt(0)]);
    this.continuingPrefix = model.type === 'WordPiece' && typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : null;
    const prefix = this.continuingPrefix;
    const splits = metaspaceSplits(json.pre_tokenizer);
    this.marksWordStart = byteLevel ? (piece) => piece.startsWith(BYTE_LEVEL_SPACE)
      : splits ? (piece) => piece.startsWith(replacement)
      : prefix ? (piece) => !piece.startsWith(prefix)
      : (piece) => piece.startsWith(replacement);
    // Word ids follow the marks only where every word boundary is one (Metaspace that splits, WordPiece).
    this.startsWord = !byteLevel && (splits || prefix) ? this.marksWordStart : null;
  }

  /**
   * Whether a vocabulary piece starts a new word, by its tokenizer's convention: SentencePiece's Metaspace marks such
   * a piece with '▁' (XLM-R), byte-level BPE with 'Ġ', its byte for a space (RoBERTa), WordPiece by the absence of its
   * continuing-subword prefix ('##'). `atTextStart`: the piece would be the text's first, where byte-level BPE writes
   * no space, so every piece starts a word there. False for an added token (`<mask>`, `</s>`) and an unknown id.
   */
  pieceStartsWord(id: number, atTextStart = false): boolean {
    const piece = this.lib.id_to_token(id);
    if (piece === undefined || piece === null || this.addedTokens.has(piece)) return false;
    return (atTextStart && this.symbolMode === 'bytes') || this.marksWordStart(piece);
  }

  /**
   * What writing a piece in place of a `<mask>` adds to the text: the piece decoded alone, without the space its
   * word-start mark stands for (a byte-level 'Ġword' decodes as " word") or WordPiece's continuing prefix ("##ing"
   * joins the word before as "ing"). `text`: the piece already decoded alone, when the caller has it.
   */
  pieceText(id: number, text = this.decode([id])): string {
    const piece = this.lib.id_to_token(id) ?? '';
    if (this.continuingPrefix && piece.startsWith(this.continuingPrefix) && text.startsWith(this.continuingPrefix)) return text.slice(this.continuingPrefix.length);
    return text.replace(/^\s+/u, '');
  }

  /** Loads tokenizer.json, tokenizer_config.json and special_tokens_map.json from a model folder. */
  static fromFolder(dir: string): XlmTokenizer {
    return new XlmTokenizer(readTokenizerFolder(dir));
  }

  get clsId(): number { return this.required('cls').id; }
  get sepId(): number { return this.required('sep').id; }
  get padId(): number { return this.required('pad').id; }
  get unkId(): number { return this.required('unk').id; }
  get maskId(): number { return this.required('mask').id; }
  /** The text that becomes the mask id when it appears in an input (`<mask>` for XLM-R). */
  get maskToken(): string { return this.required('mask').token; }

  idToToken(id: number): string | undefined {
    return this.lib.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.lib.token_to_id(token);
  }

  /** The text as the tokenizer's normalizer rewrites it (unchanged when it has none). */
  normalize(text: string): string {
    return this.lib.normalizer ? this.lib.normalizer(text) : text;
  }

  /** Tokenizes one text or a pair with the special-token template, offsets, word ids and truncation. */
  encode(text: string, pair?: string | null, opts: EncodeOptions = {}): Encoding {
    const hasPair = pair !== undefined && pair !== null;
    const template = opts.addSpecialTokens === false ? null : hasPair ? this.template.pair : this.template.single;
    // Truncation keeps at most this many tokens of either text, and cuts the same whether a text has one token
    // more than that or a million: a long text is tokenized only that far.
    const limit = opts.maxLength === undefined ? undefined : Math.max(0, opts.maxLength - (template ? specialTokenCount(template) : 0)) + 1;
    let first = this.tokenizeText(text, limit);
    let second = hasPair ? this.tokenizeText(pair, limit) : null;
    // Both texts past the limit under longest_first: each keeps half, and an odd budget's last token goes to the
    // longer text, which only their whole lengths tell.
    if (second && limit !== undefined && first.ids.length >= limit && second.ids.length >= limit && (limit - 1) % 2 === 1 && (opts.truncation ?? 'longest_first') === 'longest_first') {
      first = this.tokenizeText(text);
      second = this.tokenizeText(pair as string);
    }
    return assemble(first, second, template, opts);
  }

  /**
   * A question and a context of any length as windows of at most `maxLength` tokens, as Hugging Face's run_qa.py
   * tokenizes them (truncation only_second, return_overflowing_tokens, stride): each window is
   * `<s> question </s></s> context part </s>`; the question is never cut; consecutive context parts overlap by
   * `stride` tokens. Context offsets stay in the original context (UTF-16), so an answer comes back as an exact span.
   * A question that leaves no room for the context is refused, as only_second truncation refuses it.
   */
  encodeWindows(question: string, context: string, opts: { maxLength: number; stride: number }): Encoding[] {
    const template = this.template.pair;
    const q = this.tokenizeText(question);
    const c = this.tokenizeText(context);
    const budget = opts.maxLength - specialTokenCount(template) - q.ids.length;
    if (!Number.isInteger(opts.maxLength) || budget < 1) {
      throw new XlmError('truncation', `the question has ${q.ids.length} tokens and max length ${opts.maxLength} leaves no room for the context; shorten the question or raise the max length`, { what: 'maxLength' });
    }
    return windowRanges(c.ids.length, budget, opts.stride).map(([start, end]) => {
      const encoding = assemble(q, sliceTokens(c, end, start), template, {});
      encoding.truncatedTokens = c.ids.length - (end - start);
      return encoding;
    });
  }

  /** Encodes every input (a text or a [text, pair] tuple) and pads them to the longest. */
  encodeBatch(inputs: readonly Input[], opts: BatchOptions = {}): Batch {
    const encodings = inputs.map((input) => (typeof input === 'string' ? this.encode(input, null, opts) : this.encode(input[0], input[1], opts)));
    const pad = this.required('pad');
    return padBatch(encodings, pad, opts);
  }

  /** Positions of the mask token in an encoding (fill-mask predicts there). */
  maskPositions(encoding: Encoding): number[] {
    const mask = this.maskId;
    const out: number[] = [];
    encoding.ids.forEach((id, i) => {
      if (id === mask) out.push(i);
    });
    return out;
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new XlmError('bad-token-id', `token id ${id} at position ${i} is outside the vocabulary (0..${this.vocabSize - 1})`, { what: `ids[${i}]` });
      }
    });
    const options: { skip_special_tokens: boolean; clean_up_tokenization_spaces?: boolean } = { skip_special_tokens: opts.skipSpecial ?? false };
    if (opts.cleanUpSpaces !== undefined) options.clean_up_tokenization_spaces = opts.cleanUpSpaces;
    return this.lib.decode([...ids], options);
  }

  /**
   * Tokens of one text without specials, with offsets and word ids in that text; a long text piece by piece,
   * and only until `limit` tokens are known when a limit is given (the rest would be truncated away).
   */
  private tokenizeText(text: string, limit = Infinity): TextTokens {
    if (text.length <= LONG_TEXT_PIECE) return this.tokenizePiece(text);
    const out: TextTokens = { ids: [], tokens: [], offsets: [], wordIds: [] };
    const surfaces: string[] = [];
    const added: boolean[] = [];
    let covered = 0;
    for (const [start, end] of longTextPieces(text, [...this.addedTokens.keys()])) {
      if (out.ids.length >= limit) break;
      const piece = this.tokenizePiece(text.slice(start, end));
      for (let i = 0; i < piece.ids.length; i++) {
        out.ids.push(piece.ids[i]);
        out.tokens.push(piece.tokens[i]);
        out.offsets.push([piece.offsets[i][0] + start, piece.offsets[i][1] + start]);
      }
      surfaces.push(...piece.surfaces);
      added.push(...piece.added);
      covered = end;
    }
    // Word ids by the same rule as a short text's, over the whole run of tokens (pieces are cut where whitespace
    // begins, where a word starts anyway); the text tokenized so far is enough for either rule.
    out.wordIds = this.wordIds(covered === text.length ? text : text.slice(0, covered), surfaces, added, out.offsets);
    return out;
  }

  /** A text's tokens, with the library's own surfaces and which are added tokens (what word ids are cut by). */
  private tokenizePiece(text: string): TextTokens & { surfaces: string[]; added: boolean[] } {
    if (text.length === 0) return { ids: [], tokens: [], offsets: [], wordIds: [], surfaces: [], added: [] };
    const raw: { ids: number[]; tokens: string[] } = this.lib.encode(text, { add_special_tokens: false });
    // The library already fuses a run of unknown characters into one piece, as SentencePiece does.
    const symbols = raw.tokens.map((surface) => this.symbolsOf(surface));
    if (this.normalizeCache.size > NORMALIZE_CACHE_LIMIT) this.normalizeCache.clear();
    const normalizer = this.lib.normalizer;
    const source = normalizedSource(text, normalizer ? (s) => normalizer(s) : null, this.symbolMode, this.normalizeCache);
    const offsets = alignTokens(source, symbols, this.spaceMarks);
    const added = raw.tokens.map((surface, i) => this.addedTokens.get(surface)?.id === raw.ids[i]);
    return {
      ids: raw.ids,
      tokens: raw.ids.map((id, i) => this.lib.id_to_token(id) ?? raw.tokens[i]),
      offsets,
      wordIds: this.wordIds(text, raw.tokens, added, offsets),
      surfaces: raw.tokens,
      added,
    };
  }

  /** Hugging Face's words (a token that starts one, and each added token) where the model marks them; else whitespace words. */
  private wordIds(text: string, surfaces: readonly string[], added: readonly boolean[], offsets: ReadonlyArray<readonly [number, number]>): number[] {
    return this.startsWord ? wordIdsFromTokens(surfaces, added, this.startsWord) : wordIdsForSpans(text, offsets);
  }

  private symbolsOf(surface: string): number[] {
    if (this.symbolMode === 'bytes') {
      return this.addedTokens.has(surface) ? [...new TextEncoder().encode(surface)] : byteLevelBytes(surface);
    }
    if (this.continuingPrefix && surface.length > this.continuingPrefix.length && surface.startsWith(this.continuingPrefix) && !this.addedTokens.has(surface)) {
      return codeUnits(surface.slice(this.continuingPrefix.length));
    }
    return codeUnits(surface);
  }

  private resolveSpecials(config: Record<string, unknown>, model: Record<string, unknown>): SpecialTokens {
    const find = (...candidates: unknown[]): SpecialToken | null => {
      for (const c of candidates) {
        if (typeof c !== 'string') continue;
        const id = this.lib.token_to_id(c);
        if (id !== undefined) return { token: c, id };
      }
      return null;
    };
    const firstSpecial = this.template.single.find((p) => p.kind === 'special');
    const lastSpecial = [...this.template.single].reverse().find((p) => p.kind === 'special');
    const templateCls = firstSpecial?.kind === 'special' ? firstSpecial.tokens[0] : undefined;
    const templateSep = lastSpecial?.kind === 'special' ? lastSpecial.tokens[lastSpecial.tokens.length - 1] : undefined;
    const unkId = typeof model.unk_id === 'number' ? model.unk_id : undefined;
    const modelUnk = unkId !== undefined ? this.lib.id_to_token(unkId) : typeof model.unk_token === 'string' ? model.unk_token : undefined;
    return {
      cls: find(config.cls_token, templateCls, config.bos_token),
      sep: find(config.sep_token, templateSep, config.eos_token),
      bos: find(config.bos_token, config.cls_token, templateCls),
      eos: find(config.eos_token, config.sep_token, templateSep),
      pad: find(config.pad_token, '<pad>'),
      unk: find(modelUnk, config.unk_token, '<unk>'),
      mask: find(config.mask_token, '<mask>'),
    };
  }

  private required(role: keyof SpecialTokens): SpecialToken {
    const t = this.special[role];
    if (!t) {
      throw new XlmError('missing-special-token', `the tokenizer has no ${role} token; set ${role}_token in tokenizer_config.json to a token of the vocabulary`, { file: this.file, what: `${role}_token` });
    }
    return t;
  }
}

/** One more than the largest id of the model's vocabulary and the added tokens. */
function countIds(model: Record<string, unknown>, added: ReadonlyMap<string, { id: number }>): number {
  let maxId = -1;
  if (Array.isArray(model.vocab)) maxId = model.vocab.length - 1;
  else if (isObject(model.vocab)) for (const id of Object.values(model.vocab)) if (typeof id === 'number' && id > maxId) maxId = id;
  for (const { id } of added.values()) maxId = Math.max(maxId, id);
  return maxId + 1;
}

/** Whether a tokenizer.json component (or a Sequence of them) has the given type. */
function usesComponent(component: unknown, type: string): boolean {
  if (!isObject(component)) return false;
  if (component.type === type) return true;
  const children = component.pretokenizers ?? component.decoders ?? component.normalizers;
  return Array.isArray(children) && children.some((c) => usesComponent(c, type));
}

/** Whether a Metaspace pre-tokenizer splits the text at its '▁' (always in the old format, `split` in the new). */
function metaspaceSplits(component: unknown): boolean {
  if (!isObject(component)) return false;
  if (component.type === 'Metaspace') return component.split !== false;
  const children = component.pretokenizers;
  return Array.isArray(children) && children.some((c) => metaspaceSplits(c));
}

function metaspaceReplacement(component: unknown): string | undefined {
  if (!isObject(component)) return undefined;
  if (component.type === 'Metaspace') return typeof component.replacement === 'string' ? component.replacement : '\u2581';
  const children = component.pretokenizers;
  if (Array.isArray(children)) for (const c of children) {
    const r = metaspaceReplacement(c);
    if (r) return r;
  }
  return undefined;
}
