/**
 * The special-token template of tokenizer.json's post_processor (XLM-R: `<s> A </s>` and
 * `<s> A </s> </s> B </s>`), read once so that truncation knows how many specials a sequence adds and
 * encodings can be assembled after truncation, with offsets and word ids carried along.
 */
import { XlmError } from '../errors.js';

export type TemplatePart =
  | { kind: 'special'; ids: number[]; tokens: string[]; typeId: number }
  | { kind: 'sequence'; sequence: 0 | 1; typeId: number };

export interface SpecialTemplate {
  single: TemplatePart[];
  pair: TemplatePart[];
}

type Lookup = (token: string) => number | undefined;

/** Number of special tokens a template adds. */
export function specialTokenCount(parts: readonly TemplatePart[]): number {
  return parts.reduce((n, p) => n + (p.kind === 'special' ? p.ids.length : 0), 0);
}

const NO_SPECIALS: SpecialTemplate = {
  single: [{ kind: 'sequence', sequence: 0, typeId: 0 }],
  pair: [
    { kind: 'sequence', sequence: 0, typeId: 0 },
    { kind: 'sequence', sequence: 1, typeId: 0 },
  ],
};

/** Reads a post_processor value (TemplateProcessing, RobertaProcessing, BertProcessing, or a Sequence of them). */
export function readSpecialTemplate(postProcessor: unknown, lookup: Lookup, file = 'tokenizer.json'): SpecialTemplate {
  if (!isObject(postProcessor)) return NO_SPECIALS;
  switch (postProcessor.type) {
    case 'TemplateProcessing':
      return readTemplateProcessing(postProcessor, lookup, file);
    case 'RobertaProcessing':
    case 'BertProcessing': {
      const cls = readTokenPair(postProcessor.cls, lookup, file, 'post_processor.cls');
      const sep = readTokenPair(postProcessor.sep, lookup, file, 'post_processor.sep');
      const special = (t: { token: string; id: number }, typeId = 0): TemplatePart => ({ kind: 'special', ids: [t.id], tokens: [t.token], typeId });
      const a: TemplatePart = { kind: 'sequence', sequence: 0, typeId: 0 };
      if (postProcessor.type === 'RobertaProcessing') {
        return { single: [special(cls), a, special(sep)], pair: [special(cls), a, special(sep), special(sep), { kind: 'sequence', sequence: 1, typeId: 0 }, special(sep)] };
      }
      return { single: [special(cls), a, special(sep)], pair: [special(cls), a, special(sep), { kind: 'sequence', sequence: 1, typeId: 1 }, special(sep, 1)] };
    }
    case 'Sequence': {
      const processors = Array.isArray(postProcessor.processors) ? postProcessor.processors : [];
      for (const p of processors) {
        const t = readSpecialTemplate(p, lookup, file);
        if (t !== NO_SPECIALS) return t;
      }
      return NO_SPECIALS;
    }
    default:
      return NO_SPECIALS;
  }
}

function readTemplateProcessing(config: Record<string, unknown>, lookup: Lookup, file: string): SpecialTemplate {
  const specials = isObject(config.special_tokens) ? config.special_tokens : {};
  const readParts = (key: 'single' | 'pair'): TemplatePart[] => {
    const items = config[key];
    if (!Array.isArray(items)) {
      throw new XlmError('bad-tokenizer', `post_processor.${key} must be a list of template items`, { file, what: `post_processor.${key}` });
    }
    return items.map((item: unknown, k): TemplatePart => {
      const what = `post_processor.${key}[${k}]`;
      if (isObject(item) && isObject(item.SpecialToken)) {
        const name = String(item.SpecialToken.id);
        const typeId = Number(item.SpecialToken.type_id ?? 0);
        const entry = specials[name];
        if (isObject(entry) && Array.isArray(entry.ids) && entry.ids.length > 0) {
          const tokens = Array.isArray(entry.tokens) ? entry.tokens.map(String) : entry.ids.map(() => name);
          return { kind: 'special', ids: entry.ids.map(Number), tokens, typeId };
        }
        const id = lookup(name);
        if (id === undefined) {
          throw new XlmError('bad-tokenizer', `${what} names special token "${name}", which is neither in post_processor.special_tokens nor in the vocabulary`, { file, what });
        }
        return { kind: 'special', ids: [id], tokens: [name], typeId };
      }
      if (isObject(item) && isObject(item.Sequence)) {
        const sid = item.Sequence.id;
        if (sid !== 'A' && sid !== 'B') throw new XlmError('bad-tokenizer', `${what}: Sequence id is ${JSON.stringify(sid)}; expected "A" or "B"`, { file, what });
        return { kind: 'sequence', sequence: sid === 'A' ? 0 : 1, typeId: Number(item.Sequence.type_id ?? 0) };
      }
      throw new XlmError('bad-tokenizer', `${what} is ${JSON.stringify(item)}; expected {"SpecialToken": ...} or {"Sequence": ...}`, { file, what });
    });
  };
  return { single: readParts('single'), pair: readParts('pair') };
}

function readTokenPair(value: unknown, lookup: Lookup, file: string, what: string): { token: string; id: number } {
  if (Array.isArray(value) && typeof value[0] === 'string') {
    const id = typeof value[1] === 'number' ? value[1] : lookup(value[0]);
    if (id !== undefined) return { token: value[0], id };
  }
  throw new XlmError('bad-tokenizer', `${what} is ${JSON.stringify(value)}; expected ["token", id]`, { file, what });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
