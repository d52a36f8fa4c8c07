/**
 * Zero-shot classification with an NLI model, as transformers' zero-shot-classification pipeline does it:
 * each candidate label becomes a hypothesis ("This example is {label}.") paired with the text as premise,
 * every pair goes through the sequence-classification head, and the entailment logits rank the labels.
 *
 * Single-label: softmax of the entailment logits across the labels (scores sum to 1). Multi-label, or a
 * single candidate: per label, softmax of [contradiction, entailment] (each score on its own in 0..1).
 * All pairs of a call run as one batch (split only past `batchSize` pairs).
 */
import { XlmError } from '../errors.js';
import { detectScript, languageOfScript } from '../data/script.js';
import type { LabelScore } from '../rpc/protocol.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import { cancellableChunks, modelInputs, type Cancellation } from '../runtime/inputs.js';

/** Hypothesis templates per language (ISO 639-1); `{}` is replaced by the candidate label. */
export const HYPOTHESIS_TEMPLATES: Readonly<Record<string, string>> = {
  en: 'This example is {}.',
  de: 'Dieses Beispiel ist {}.',
  fr: 'Cet exemple est {}.',
  es: 'Este ejemplo es {}.',
  it: 'Questo esempio è {}.',
  pt: 'Este exemplo é {}.',
  nl: 'Dit voorbeeld is {}.',
  pl: 'Ten przykład to {}.',
  tr: 'Bu örnek {}.',
  ru: 'Этот пример — {}.',
  uk: 'Цей приклад — {}.',
  el: 'Αυτό το παράδειγμα είναι {}.',
  ar: 'هذا المثال هو {}.',
  he: 'הדוגמה הזו היא {}.',
  hi: 'यह उदाहरण {} है।',
  zh: '这个例子是{}。',
  ja: 'この例は{}です。',
  ko: '이 예는 {}입니다.',
  vi: 'Ví dụ này là {}.',
  th: 'ตัวอย่างนี้คือ{}',
};

export const DEFAULT_LANGUAGE = 'en';

export interface ZeroShotOptions {
  /** Candidate labels, in the user's words (any language the model knows). */
  labels: readonly string[];
  /** Score each label on its own (entailment vs contradiction) instead of sharing one softmax. */
  multiLabel?: boolean;
  /** A template with `{}` where the label goes; overrides the language's default. */
  hypothesisTemplate?: string;
  /** Language of the default template; default: guessed from the text's script, else English. */
  language?: string;
  /** Most premise/hypothesis pairs per session run (default 64). */
  batchSize?: number;
  /** Checked between batches: a cancelled request stops before its next batch. */
  cancel?: Cancellation;
}

export interface ZeroShotResult {
  /** Every candidate label with its score, best first. */
  scores: LabelScore[];
  /** The template the hypotheses were made from. */
  hypothesisTemplate: string;
}

/** The id2label positions of entailment and contradiction, found by name (case-insensitive prefix). */
export interface NliLabelIds {
  entailment: number;
  contradiction: number;
}

export function nliLabelIds(model: LoadedModel): NliLabelIds {
  const labels = model.config.id2label;
  const find = (prefix: string) => labels.findIndex((l) => l.toLowerCase().startsWith(prefix));
  const entailment = find('entail');
  const contradiction = find('contradict');
  if (entailment < 0 || contradiction < 0) {
    const missing = entailment < 0 ? 'entailment' : 'contradiction';
    throw new XlmError(
      'zero-shot-not-nli',
      `id2label is ${JSON.stringify(labels)}, with no "${missing}" label; zero-shot classification needs an NLI model whose labels include entailment and contradiction (e.g. joeddav/xlm-roberta-large-xnli)`,
      { file: `${model.dir}/config.json`, what: 'id2label' },
    );
  }
  return { entailment, contradiction };
}

/** The template for a text: the user's, else the language's default (guessed from the script when not given). */
export function hypothesisTemplateFor(text: string, opts: Pick<ZeroShotOptions, 'hypothesisTemplate' | 'language'> = {}): string {
  if (opts.hypothesisTemplate !== undefined) {
    if (!opts.hypothesisTemplate.includes('{}')) {
      throw new XlmError('bad-template', `hypothesis template "${opts.hypothesisTemplate}" has no {}; write where the label goes, e.g. "This text is about {}."`, { what: 'hypothesisTemplate' });
    }
    return opts.hypothesisTemplate;
  }
  const language = opts.language ?? languageOfScript(detectScript(text)) ?? DEFAULT_LANGUAGE;
  const base = language.toLowerCase().split(/[-_]/)[0];
  const template = HYPOTHESIS_TEMPLATES[base];
  if (!template) {
    throw new XlmError('unknown-template-language', `no default hypothesis template for language "${language}"; give one with {} for the label, or use one of: ${Object.keys(HYPOTHESIS_TEMPLATES).join(', ')}`, { what: 'language' });
  }
  return template;
}

/** Ranks the labels for each text; one result per text. */
export async function zeroShot(model: LoadedModel, texts: readonly string[], opts: ZeroShotOptions): Promise<ZeroShotResult[]> {
  const labels = checkedLabels(opts.labels);
  const ids = nliLabelIds(model);
  const templates = texts.map((text) => hypothesisTemplateFor(text, opts));
  const pairs: [string, string][] = [];
  texts.forEach((text, t) => {
    for (const label of labels) pairs.push([text, templates[t].replaceAll('{}', label)]);
  });

  const logits: Float32Array[] = [];
  for await (const chunk of cancellableChunks(pairs, opts.batchSize ?? 64, opts.cancel)) logits.push(...(await pairLogits(model, chunk)));

  return texts.map((_, t) => {
    const rows = logits.slice(t * labels.length, (t + 1) * labels.length);
    const scores = zeroShotScores(rows, ids, opts.multiLabel ?? false);
    return {
      scores: labels.map((label, i) => ({ label, score: scores[i] })).sort((a, b) => b.score - a.score),
      hypothesisTemplate: templates[t],
    };
  });
}

/**
 * The pipeline's arithmetic on the NLI logits of one text's pairs ([labels][classes]): softmax of the
 * entailment logits across labels, or per label softmax over [contradiction, entailment] (multi-label, or
 * a single label, where a softmax across one label would always give 1).
 */
export function zeroShotScores(rows: readonly ArrayLike<number>[], ids: NliLabelIds, multiLabel: boolean): number[] {
  if (multiLabel || rows.length === 1) {
    return rows.map((row) => {
      const e = row[ids.entailment];
      const c = row[ids.contradiction];
      const m = Math.max(e, c);
      return Math.exp(e - m) / (Math.exp(e - m) + Math.exp(c - m));
    });
  }
  const entail = rows.map((row) => row[ids.entailment]);
  const m = Math.max(...entail);
  const exp = entail.map((x) => Math.exp(x - m));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp.map((x) => x / sum);
}

function checkedLabels(labels: readonly string[]): string[] {
  const cleaned = labels.map((l) => l.trim());
  if (cleaned.length === 0 || cleaned.some((l) => l === '')) {
    throw new XlmError('zero-shot-no-labels', `candidate labels are ${JSON.stringify(labels)}; give at least one non-empty label, e.g. sports,politics,science`, { what: 'labels' });
  }
  const seen = new Set<string>();
  for (const l of cleaned) {
    if (seen.has(l)) throw new XlmError('zero-shot-duplicate-label', `label "${l}" is given twice; each candidate label must be distinct`, { what: 'labels' });
    seen.add(l);
  }
  return cleaned;
}

/** NLI logits of premise/hypothesis pairs; premises are cut first when a pair is too long, as the pipeline does. */
async function pairLogits(model: LoadedModel, pairs: readonly [string, string][]): Promise<Float32Array[]> {
  const batch = model.tokenizer.encodeBatch(pairs, { maxLength: model.maxLength, truncation: 'only_first' });
  const { session } = await model.session('seq-cls');
  const out = await session.run({ ...modelInputs(batch) });
  const data = out.logits.data as Float32Array;
  const classes = out.logits.dims[1];
  return pairs.map((_, i) => data.slice(i * classes, (i + 1) * classes));
}
