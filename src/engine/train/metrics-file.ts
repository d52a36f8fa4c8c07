/**
 * OUT/metrics.jsonl on --resume. A run killed after its last checkpoint has already logged the steps that the
 * resumed run trains again, so they would appear twice (and the dashboard would draw steps going back). Resume
 * rewrites the file with only the lines up to the checkpoint's step, atomically: a kill during the rewrite leaves
 * the old file, never half of it. A line cut short by the kill is dropped too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../hf/atomic.js';

/** Keeps the lines of `file` whose step is at most `step`; returns how many lines it dropped. */
export function truncateMetricsToStep(file: string, step: number): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((line) => {
    try {
      const record = JSON.parse(line) as { step?: unknown };
      return typeof record.step === 'number' && record.step <= step;
    } catch {
      return false;
    }
  });
  if (kept.length !== lines.length) writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
  return lines.length - kept.length;
}
