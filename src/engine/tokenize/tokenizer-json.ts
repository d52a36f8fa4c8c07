/**
 * Writes a Unigram tokenizer.json (and its tokenizer_config.json / special_tokens_map.json) in the exact
 * layout of XLM-R's files on the Hub, from a list of ordinary SentencePiece pieces with their log-probs.
 *
 * The ids follow fairseq's shift that XLM-R kept: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, then the
 * ordinary pieces in order (a SentencePiece id i >= 3 becomes i + 1), then `<mask>` as the last id.
 * Used by the test helpers (tiny tokenizer, SentencePiece reference) and by the Unigram trainer.
 */

/** One ordinary piece: its surface (with '▁' for a space) and its log-probability. */
export type UnigramPiece = [piece: string, score: number];

export const XLMR_SPECIAL_TOKENS = {
  bos: '<s>',
  pad: '<pad>',
  eos: '</s>',
  unk: '<unk>',
  mask: '<mask>',
} as const;

/** The ids XLM-R gives its four leading specials; `<mask>` is always the last id. */
export const XLMR_LEADING_SPECIAL_IDS = { bos: 0, pad: 1, eos: 2, unk: 3 } as const;

/**
 * XLM-R's real tokenizer.json carries a `Precompiled` normalizer (SentencePiece's nmt_nfkc charsmap plus
 * whitespace clean-up). A charsmap can only come from a SentencePiece model, so the portable default is the
 * same effect in standard components that both the JS and the Rust tokenizers read: NFKC, every run of
 * whitespace to one space (SentencePiece's remove_extra_whitespaces), no leading or trailing space.
 */
export const DEFAULT_NORMALIZER: object = {
  type: 'Sequence',
  normalizers: [
    { type: 'NFKC' },
    { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
    { type: 'Strip', strip_left: true, strip_right: true },
  ],
};

export interface UnigramJsonOptions {
  /** The tokenizer.json "normalizer" value; `null` for none. Default: {@link DEFAULT_NORMALIZER}. */
  normalizer?: object | null;
  /** Score written for the special tokens (XLM-R writes 0). */
  specialScore?: number;
}

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

function addedToken(id: number, content: string, lstrip = false): AddedTokenJson {
  return { id, content, single_word: false, lstrip, rstrip: false, normalized: false, special: true };
}

function metaspace(): object {
  return { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true };
}

/**
 * tokenizer.json for a Unigram model in XLM-R's layout. `pieces` are the ordinary pieces only (no `<unk>`,
 * `<s>`, `</s>`); a piece equal to a special token's text is refused because it would shadow the special.
 */
export function unigramTokenizerJson(pieces: readonly UnigramPiece[], opts: UnigramJsonOptions = {}): object {
  const specialScore = opts.specialScore ?? 0;
  const specials = new Set<string>(Object.values(XLMR_SPECIAL_TOKENS));
  const seen = new Set<string>();
  for (const [piece, score] of pieces) {
    if (specials.has(piece)) throw new Error(`unigramTokenizerJson: piece "${piece}" is a special token; pass ordinary pieces only`);
    if (seen.has(piece)) throw new Error(`unigramTokenizerJson: piece "${piece}" appears twice`);
    if (piece.length === 0) throw new Error('unigramTokenizerJson: empty piece');
    if (!Number.isFinite(score)) throw new Error(`unigramTokenizerJson: piece "${piece}" has score ${score}; a finite log-probability is required`);
    seen.add(piece);
  }
  const { bos, pad, eos, unk, mask } = XLMR_SPECIAL_TOKENS;
  const maskId = 4 + pieces.length;
  const vocab: UnigramPiece[] = [
    [bos, specialScore],
    [pad, specialScore],
    [eos, specialScore],
    [unk, specialScore],
    ...pieces.map(([p, s]): UnigramPiece => [p, s]),
    [mask, specialScore],
  ];
  const template = (id: string, typeId = 0) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId = 0) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      addedToken(XLMR_LEADING_SPECIAL_IDS.bos, bos),
      addedToken(XLMR_LEADING_SPECIAL_IDS.pad, pad),
      addedToken(XLMR_LEADING_SPECIAL_IDS.eos, eos),
      addedToken(XLMR_LEADING_SPECIAL_IDS.unk, unk),
      addedToken(maskId, mask, true),
    ],
    normalizer: opts.normalizer === undefined ? DEFAULT_NORMALIZER : opts.normalizer,
    pre_tokenizer: metaspace(),
    post_processor: {
      type: 'TemplateProcessing',
      single: [template(bos), sequence('A'), template(eos)],
      // XLM-R gives every position type id 0, pairs included.
      pair: [template(bos), sequence('A'), template(eos), template(eos), sequence('B'), template(eos)],
      special_tokens: {
        [bos]: { id: bos, ids: [XLMR_LEADING_SPECIAL_IDS.bos], tokens: [bos] },
        [eos]: { id: eos, ids: [XLMR_LEADING_SPECIAL_IDS.eos], tokens: [eos] },
      },
    },
    decoder: metaspace(),
    model: { type: 'Unigram', unk_id: XLMR_LEADING_SPECIAL_IDS.unk, vocab, byte_fallback: false },
  };
}

const MASK_TOKEN_ENTRY = { content: '<mask>', lstrip: true, normalized: false, rstrip: false, single_word: false };

/** special_tokens_map.json as XLM-R ships it. */
export function xlmrSpecialTokensMap(): object {
  const { bos, pad, eos, unk } = XLMR_SPECIAL_TOKENS;
  return { bos_token: bos, cls_token: bos, eos_token: eos, mask_token: { ...MASK_TOKEN_ENTRY }, pad_token: pad, sep_token: eos, unk_token: unk };
}

/** tokenizer_config.json as XLM-R ships it (transformers' current format, with added_tokens_decoder). */
export function xlmrTokenizerConfig(tokenizerJson: object, modelMaxLength = 512): object {
  const added = (tokenizerJson as { added_tokens?: AddedTokenJson[] }).added_tokens ?? [];
  const addedTokensDecoder: Record<string, object> = {};
  for (const t of added) {
    addedTokensDecoder[String(t.id)] = {
      content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: t.rstrip, single_word: t.single_word, special: t.special,
    };
  }
  return {
    added_tokens_decoder: addedTokensDecoder,
    ...xlmrSpecialTokensMap(),
    // transformers writes the plain string here (lstrip lives in added_tokens_decoder); transformers.js
    // refuses an unmarked object.
    mask_token: MASK_TOKEN_ENTRY.content,
    clean_up_tokenization_spaces: true,
    model_max_length: modelMaxLength,
    tokenizer_class: 'XLMRobertaTokenizer',
  };
}
