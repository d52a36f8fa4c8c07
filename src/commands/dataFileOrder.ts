/**
 * How the data pickers list a workspace's data files: training files first, held-out files (test, dev, validation,
 * eval) after them, each group by path; and a file's rows counted cheaply for the picker's description. No VS Code
 * here, so the order is tested as data.
 */

/** A file whose name or folder says it is held out for evaluation (test.jsonl, dev.csv, valid/…, xnli_eval.tsv). */
export function isHeldOut(file: string): boolean {
  return /(^|[\\/_.-])(test|tests|dev|valid|validation|eval|evaluation|heldout|held-out)([\\/_.-]|$)/i.test(file);
}

/** Training files first, then held-out ones; by path inside each group. */
export function orderDataFiles(files: readonly string[]): string[] {
  return [...files].sort((a, b) => Number(isHeldOut(a)) - Number(isHeldOut(b)) || a.localeCompare(b));
}

/** Rows of a JSON Lines (non-empty lines) or CSV/TSV text (non-empty lines after the header); undefined for other formats. */
export function countRows(file: string, text: string): number | undefined {
  const lower = file.toLowerCase();
  const csv = lower.endsWith('.csv') || lower.endsWith('.tsv');
  if (!csv && !lower.endsWith('.jsonl') && !lower.endsWith('.txt')) return undefined;
  let lines = 0;
  for (const line of text.split('\n')) if (line.trim()) lines++;
  return csv ? Math.max(0, lines - 1) : lines;
}
