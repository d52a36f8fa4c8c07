/**
 * How a translation model is told its languages, read from its tokenizer:
 * - M2M100: special tokens `__fr__`; the source token opens the input, the target token is forced as the
 *   first generated token (forced_bos_token_id).
 * - NLLB: special tokens `fra_Latn`, used the same way; mBART-50: `fr_XX`, likewise.
 * - Marian with several target languages (opus-mt-en-ROMANCE): a `>>fr<<` token opens the input.
 * - Marian for one pair (opus-mt-en-de): nothing to choose; the pair is read from the model's name.
 * Users write ISO 639-1 codes (fr) or the model's own codes (fra_Latn, __fr__, >>fr<<).
 */
import { XlmError } from '../errors.js';
import { detectScript, languageOfScript } from '../data/script.js';

export type LanguageScheme = 'm2m100' | 'nllb' | 'mbart50' | 'marian-target-token' | 'fixed-pair' | 'none';

export interface LanguageSupport {
  scheme: LanguageScheme;
  /** Language codes as the model writes them (fr, fra_Latn), sorted. */
  codes: string[];
  /** The pair a one-pair Marian model translates, from its name. */
  pair?: { from: string; to: string };
}

const M2M100_TOKEN = /^__([a-z]{2,3})__$/;
const NLLB_TOKEN = /^[a-z]{3}_[A-Z][a-z]{3}$/;
const MBART50_TOKEN = /^[a-z]{2}_[A-Z]{2}$/;
const MARIAN_TOKEN = /^>>([a-zA-Z_]{2,8})<<$/;
const OPUS_MT_NAME = /opus-mt-([a-zA-Z]{2,3}(?:_[a-zA-Z]+)?)-([a-zA-Z]{2,3}(?:_[a-zA-Z]+)?)(?:$|[^a-zA-Z])/;

/** ISO 639-1 → FLORES-200 code (NLLB) for the languages people ask for most. */
const NLLB_CODES: Record<string, string> = {
  af: 'afr_Latn', ar: 'arb_Arab', bg: 'bul_Cyrl', bn: 'ben_Beng', ca: 'cat_Latn', cs: 'ces_Latn', da: 'dan_Latn',
  de: 'deu_Latn', el: 'ell_Grek', en: 'eng_Latn', es: 'spa_Latn', et: 'est_Latn', fa: 'pes_Arab', fi: 'fin_Latn',
  fr: 'fra_Latn', he: 'heb_Hebr', hi: 'hin_Deva', hr: 'hrv_Latn', hu: 'hun_Latn', hy: 'hye_Armn', id: 'ind_Latn',
  it: 'ita_Latn', ja: 'jpn_Jpan', ka: 'kat_Geor', ko: 'kor_Hang', lt: 'lit_Latn', lv: 'lvs_Latn', nl: 'nld_Latn',
  no: 'nob_Latn', pl: 'pol_Latn', pt: 'por_Latn', ro: 'ron_Latn', ru: 'rus_Cyrl', sk: 'slk_Latn', sl: 'slv_Latn',
  sr: 'srp_Cyrl', sv: 'swe_Latn', sw: 'swh_Latn', ta: 'tam_Taml', te: 'tel_Telu', th: 'tha_Thai', tr: 'tur_Latn',
  uk: 'ukr_Cyrl', ur: 'urd_Arab', vi: 'vie_Latn', zh: 'zho_Hans', bo: 'bod_Tibt', km: 'khm_Khmr', lo: 'lao_Laoo',
  my: 'mya_Mymr', si: 'sin_Sinh', ml: 'mal_Mlym', kn: 'kan_Knda', gu: 'guj_Gujr', pa: 'pan_Guru', or: 'ory_Orya',
};

/** Scripts that many languages share: the likeliest one, used only to guess a source language. */
const LIKELY_LANGUAGE_OF_SCRIPT: Record<string, string> = { Cyrillic: 'ru', Arabic: 'ar', Devanagari: 'hi' };

export interface TokenLookup {
  /** Every token of the tokenizer that matches a language pattern is looked for here. */
  tokens: Iterable<string>;
  /** The model's name (config's _name_or_path, the repo id or the folder's name). */
  names: readonly (string | undefined)[];
}

export function languageSupport(lookup: TokenLookup): LanguageSupport {
  const m2m: string[] = [];
  const nllb: string[] = [];
  const mbart: string[] = [];
  const marian: string[] = [];
  for (const token of lookup.tokens) {
    const m = M2M100_TOKEN.exec(token);
    if (m) m2m.push(m[1]);
    else if (NLLB_TOKEN.test(token)) nllb.push(token);
    else if (MBART50_TOKEN.test(token)) mbart.push(token);
    else {
      const t = MARIAN_TOKEN.exec(token);
      if (t) marian.push(t[1]);
    }
  }
  if (nllb.length >= 2) return { scheme: 'nllb', codes: nllb.sort() };
  if (m2m.length >= 2) return { scheme: 'm2m100', codes: m2m.sort() };
  if (mbart.length >= 2) return { scheme: 'mbart50', codes: mbart.sort() };
  if (marian.length >= 2) return { scheme: 'marian-target-token', codes: marian.sort() };
  for (const name of lookup.names) {
    const m = name ? OPUS_MT_NAME.exec(name) : null;
    if (m) return { scheme: 'fixed-pair', codes: [m[1], m[2]], pair: { from: m[1], to: m[2] } };
  }
  return { scheme: 'none', codes: [] };
}

/** The token that names a language for this model (`__fr__`, `fra_Latn`, `>>fr<<`), or an error listing the choices. */
export function languageToken(support: LanguageSupport, code: string, role: 'source' | 'target', what: string = role === 'source' ? 'sourceLang' : 'targetLang'): string {
  const bare = code.replace(/^__(.+)__$/, '$1').replace(/^>>(.+)<<$/, '$1');
  const tryCodes =
    support.scheme === 'nllb' ? [bare, NLLB_CODES[bare.toLowerCase()]]
      : support.scheme === 'mbart50' ? [bare, support.codes.find((c) => c.startsWith(`${bare.toLowerCase()}_`))]
        : [bare, bare.toLowerCase(), bare.split(/[-_]/)[0].toLowerCase()];
  const found = tryCodes.find((c) => c !== undefined && support.codes.includes(c));
  if (found === undefined) {
    const sample = support.codes.length > 24 ? `${support.codes.slice(0, 24).join(', ')}, … (${support.codes.length} in all)` : support.codes.join(', ');
    throw new XlmError('translate/unknown-language', `this model has no ${role} language "${code}"; it knows: ${sample}`, { what });
  }
  if (support.scheme === 'm2m100') return `__${found}__`;
  if (support.scheme === 'marian-target-token') return `>>${found}<<`;
  return found;
}

/** A guess at a text's language from its script (ISO 639-1), or undefined for Latin and other shared scripts. */
export function guessLanguage(text: string): string | undefined {
  const script = detectScript(text);
  return languageOfScript(script) ?? LIKELY_LANGUAGE_OF_SCRIPT[script];
}

/** Whether two language codes name the same language (en, eng_Latn, __en__, EN). */
export function sameLanguage(a: string, b: string): boolean {
  const norm = (c: string) => {
    const bare = c.replace(/^__(.+)__$/, '$1').replace(/^>>(.+)<<$/, '$1');
    const iso = Object.entries(NLLB_CODES).find(([, nllb]) => nllb === bare)?.[0];
    return (iso ?? bare).toLowerCase().split(/[-_]/)[0];
  };
  return norm(a) === norm(b);
}
