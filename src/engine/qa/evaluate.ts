/**
 * `xlm eval --task qa` and `xlm score qa`: a QA file's questions answered by a model (or read from a predictions
 * file, `{id: answer text}` as the official SQuAD and MLQA scripts take it), scored with exact match and F1 twice:
 * with SQuAD v1.1's normalisation over every question, and with each question's language's rules (MLQA's for its
 * seven languages) pooled and per language.
 */
import { readQaFile, type QaExample, type QaReadOptions } from '../data/index.js';
import { isXlmError, XlmError } from '../errors.js';
import { formatLanguageTable, orderLanguages } from '../metrics/index.js';
import { MLQA_LANGUAGES, scoreQa, type QaScores } from '../metrics/qa.js';
import type { LoadedModel } from '../runtime/model-cache.js';
import { answerQuestions, type QuestionAnsweringOptions } from '../tasks/question-answering.js';
import { readJsonFile } from '../hf/json.js';

export interface QaEvalReport {
  task: 'qa';
  data: string;
  model?: string;
  predictionsFile?: string;
  questions: number;
  /** Questions without a gold answer (SQuAD v2.0). */
  unanswerable: number;
  /** SQuAD v1.1's normalisation for every question. */
  squad: { exact_match: number; f1: number };
  /** Each question by its language's rules (MLQA's where defined), pooled and per language. */
  exact_match: number;
  f1: number;
  unanswered: number;
  per_language: QaScores['perLanguage'];
}

/** Scores `predictions` (id → answer text) against the questions of a QA file. */
export function scorePredictions(data: string, examples: readonly QaExample[], predictions: Readonly<Record<string, string>>): QaEvalReport {
  const rows = examples.map((e) => ({ id: e.id, language: e.language ?? 'unknown', predicted: Object.prototype.hasOwnProperty.call(predictions, e.id) ? predictions[e.id] : undefined, gold: e.answers.map((a) => a.text) }));
  const byLanguage = scoreQa(rows);
  const squad = scoreQa(rows, { rules: 'squad' });
  return {
    task: 'qa', data, questions: examples.length, unanswerable: examples.filter((e) => e.impossible).length,
    squad: { exact_match: squad.exact_match, f1: squad.f1 },
    exact_match: byLanguage.exact_match, f1: byLanguage.f1, unanswered: byLanguage.unanswered, per_language: byLanguage.perLanguage,
  };
}

/** Answers every question of a QA file with `model`; returns the report and the predictions ({id: text}). */
export async function evaluateQaFile(model: LoadedModel, data: string, read: QaReadOptions, o: QuestionAnsweringOptions): Promise<{ report: QaEvalReport; predictions: Record<string, string> }> {
  const dataset = await readQaFile(data, read);
  if (dataset.examples.length === 0) throw new XlmError('empty-data', 'the file has no questions to evaluate', { file: data });
  const allowNull = dataset.examples.some((e) => e.impossible);
  const decoded = await answerQuestions(model, dataset.examples, { ...o, decode: { allowNull, ...o.decode } });
  const predictions = Object.fromEntries(dataset.examples.map((e, i) => [e.id, decoded[i].answer]));
  return { report: { ...scorePredictions(data, dataset.examples, predictions), model: model.dir }, predictions };
}

/** Reads a predictions file: a JSON object of question id → answer text. */
export function readPredictions(file: string): Record<string, string> {
  let value: unknown;
  try {
    value = readJsonFile(file);
  } catch (e) {
    // A syntax error keeps its line and column; the file's expected shape is said after it.
    if (isXlmError(e) && e.code === 'hf/json-syntax') throw new XlmError('bad-predictions', `${e.message}; a predictions file is {"question id": "answer text", ...}`, e.place);
    throw e;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new XlmError('bad-predictions', 'expected a JSON object {"question id": "answer text", ...}', { file, line: 1 });
  for (const [id, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw new XlmError('bad-predictions', `the answer of question ${JSON.stringify(id)} is ${JSON.stringify(text)}; expected a string ("" for no answer)`, { file, what: id });
  }
  return value as Record<string, string>;
}

const pct = (x: number) => x.toFixed(1);

/** The report for a terminal: SQuAD v1.1 figures, then the per-language table by each language's rules. */
export function formatQaReport(r: QaEvalReport): string {
  const lines = [
    `${r.data}: ${r.questions} questions${r.unanswerable ? ` (${r.unanswerable} unanswerable)` : ''}${r.unanswered ? `; ${r.unanswered} without a prediction score 0` : ''}`,
    `SQuAD v1.1 normalisation: exact_match ${pct(r.squad.exact_match)}  f1 ${pct(r.squad.f1)}`,
  ];
  const languages = orderLanguages(Object.keys(r.per_language));
  const mlqa = languages.filter((l) => MLQA_LANGUAGES.includes(l));
  lines.push(`by language (${mlqa.length ? `MLQA's rules for ${mlqa.join(', ')}; ` : ''}SQuAD v1.1's elsewhere, characters as tokens in scripts written without spaces; avg = mean over languages, all = pooled):`);
  const values = (key: 'exact_match' | 'f1') => Object.fromEntries(languages.map((l) => [l, r.per_language[l][key]]));
  lines.push(formatLanguageTable([
    { name: 'exact_match', values: values('exact_match'), pooled: r.exact_match },
    { name: 'f1', values: values('f1'), pooled: r.f1 },
  ], { languages, pooled: true, scale: 1, title: 'metric' }));
  return lines.join('\n') + '\n';
}
