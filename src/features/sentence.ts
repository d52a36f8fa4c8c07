/**
 * The sentence around a position: what the hover classifies and the fill-in predicts. A sentence ends at . ! ? …
 * (and their CJK forms) followed by space or line end, or at a blank line; it never crosses a line in code files.
 */
import * as vscode from 'vscode';

const END = /[.!?…。！？]+["')\]»”’]*(?=\s|$)/gu;

export interface Sentence {
  text: string;
  range: vscode.Range;
}

/** Character range [start, end) of the sentence containing `offset` within `line`. */
export function sentenceSpan(line: string, offset: number): [number, number] | undefined {
  let start = 0;
  for (const m of line.matchAll(END)) {
    const end = m.index + m[0].length;
    if (offset < end) return trim(line, start, end);
    start = end;
  }
  return trim(line, start, line.length);
}

function trim(line: string, start: number, end: number): [number, number] | undefined {
  while (start < end && /\s/.test(line[start]!)) start++;
  while (end > start && /\s/.test(line[end - 1]!)) end--;
  return end > start ? [start, end] : undefined;
}

export function sentenceAt(document: vscode.TextDocument, position: vscode.Position): Sentence | undefined {
  const line = document.lineAt(position.line).text;
  const span = sentenceSpan(line, Math.min(position.character, Math.max(0, line.length - 1)));
  if (!span) return undefined;
  const range = new vscode.Range(position.line, span[0], position.line, span[1]);
  return { text: line.slice(span[0], span[1]), range };
}
