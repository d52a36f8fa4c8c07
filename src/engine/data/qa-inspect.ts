/**
 * What `xlm data inspect` says about a question-answering file: questions, paragraphs, answer lengths,
 * the unanswerable share, languages, and the first bad questions at file:line:column.
 */
import { readQaFile, type QaFormat, type QaReadOptions } from './qa.js';
import type { DataError } from './types.js';

export interface QaSummary {
  file: string;
  kind: 'question-answering';
  format: QaFormat;
  version?: string;
  questions: number;
  /** Distinct contexts. */
  paragraphs: number;
  /** Questions with no answer (SQuAD v2.0's is_impossible). */
  unanswerable: number;
  /** Gold answers per answerable question (dev sets have several). */
  answersPerQuestion: number;
  /** Length of the first gold answer in words (each character of a script written without spaces counts as one). */
  answerLength: { unit: 'words'; min: number; mean: number; max: number };
  contextLength: { unit: 'words'; min: number; mean: number; max: number };
  languages: Record<string, number>;
  errorCount: number;
  errors: DataError[];
}

export async function inspectQaFile(file: string, options: QaReadOptions = {}): Promise<QaSummary> {
  const data = await readQaFile(file, { ...options, onError: 'skip' });
  const paragraphs = new Set<string>();
  const languages: Record<string, number> = {};
  const answerLengths: number[] = [];
  const contextLengths: number[] = [];
  let unanswerable = 0;
  let answers = 0;
  for (const e of data.examples) {
    if (!paragraphs.has(e.context)) {
      paragraphs.add(e.context);
      contextLengths.push(wordCount(e.context));
    }
    languages[e.language ?? 'unknown'] = (languages[e.language ?? 'unknown'] ?? 0) + 1;
    if (e.impossible) unanswerable++;
    else {
      answers += e.answers.length;
      answerLengths.push(wordCount(e.answers[0].text));
    }
  }
  return {
    file, kind: 'question-answering', format: data.format, ...(data.version ? { version: data.version } : {}),
    questions: data.examples.length, paragraphs: paragraphs.size, unanswerable,
    answersPerQuestion: answerLengths.length ? round(answers / answerLengths.length) : 0,
    answerLength: stats(answerLengths), contextLength: stats(contextLengths),
    languages: Object.fromEntries(Object.entries(languages).sort((a, b) => b[1] - a[1])),
    errorCount: data.errorCount, errors: data.errors,
  };
}

const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/gu;

/** Whitespace words, each character of a script written without spaces (Chinese, Japanese, Thai) counting as one. */
function wordCount(text: string): number {
  const unspaced = text.match(UNSPACED)?.length ?? 0;
  return text.replace(UNSPACED, ' ').split(/\s+/u).filter(Boolean).length + unspaced;
}

function stats(values: number[]): QaSummary['answerLength'] {
  if (!values.length) return { unit: 'words', min: 0, mean: 0, max: 0 };
  return { unit: 'words', min: Math.min(...values), mean: round(values.reduce((a, b) => a + b, 0) / values.length), max: Math.max(...values) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export function formatQaSummary(s: QaSummary): string {
  const lines = [
    `${s.file}: ${s.format === 'squad-json' ? `SQuAD JSON${s.version ? ` ${s.version}` : ''}` : 'question-answering JSON Lines'}, question-answering`,
    `questions: ${s.questions} good, ${s.errorCount} bad; ${s.paragraphs} paragraphs`,
    `unanswerable: ${s.unanswerable} (${s.questions ? ((100 * s.unanswerable) / s.questions).toFixed(1) : '0.0'}%)`,
    `answers per answerable question: ${s.answersPerQuestion}`,
    `answer length in words: min ${s.answerLength.min}, mean ${s.answerLength.mean}, max ${s.answerLength.max}`,
    `context length in words: min ${s.contextLength.min}, mean ${s.contextLength.mean}, max ${s.contextLength.max}`,
    `languages: ${Object.entries(s.languages).map(([k, n]) => `${k} ${n}`).join(', ') || '(none)'}`,
  ];
  if (s.errorCount) {
    lines.push(`errors (first ${s.errors.length} of ${s.errorCount}):`);
    for (const e of s.errors) lines.push(`  ${e.file}:${e.line}${e.column !== undefined ? `:${e.column}` : ''}: ${e.reason}`);
  }
  return lines.join('\n') + '\n';
}
