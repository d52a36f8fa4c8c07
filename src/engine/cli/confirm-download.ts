/**
 * A Hub download from the CLI states its size first, and one of a gigabyte or more goes ahead only with --yes
 * or a "y" typed at the prompt; without a terminal to ask on, it stops and names the flag.
 */
import { XlmError } from '../errors.js';
import { CONFIRM_BYTES, type DownloadPlan } from '../hub/download.js';
import { formatBytes } from '../hub/progress.js';
import type { CliIo } from './io.js';

export interface DownloadQuestions {
  onPlan: (plan: DownloadPlan) => void;
  confirm: (plan: DownloadPlan) => Promise<boolean>;
}

export function describePlan(plan: DownloadPlan): string {
  const cached = plan.totalBytes - plan.bytesToFetch;
  const free = plan.freeBytes === undefined ? '' : `; ${formatBytes(plan.freeBytes)} free on the cache's disk`;
  return `${plan.repoId}: ${plan.files} files, ${formatBytes(plan.bytesToFetch)} to download${cached > 0 ? ` (${formatBytes(cached)} already cached)` : ''}${free}`;
}

export function downloadQuestions(io: CliIo, yes: boolean): DownloadQuestions {
  return {
    onPlan: (plan) => {
      if (plan.bytesToFetch > 0) io.stderr.write(`xlm: ${describePlan(plan)}\n`);
    },
    confirm: async (plan) => {
      if (yes) return true;
      if (!io.stdin?.isTTY || !(io.stderr as { isTTY?: boolean }).isTTY) {
        throw new XlmError(
          'hub/needs-confirmation',
          `${plan.repoId} is ${formatBytes(plan.bytesToFetch)} to download (${formatBytes(CONFIRM_BYTES)} or more is asked first, and there is no terminal to ask on). ` +
            'Add --yes to download it.',
          { what: '--yes' },
        );
      }
      io.stderr.write(`Download ${formatBytes(plan.bytesToFetch)}? [y/N] `);
      for await (const chunk of io.stdin) return /^\s*y(es)?\s*$/i.test(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      return false;
    },
  };
}
