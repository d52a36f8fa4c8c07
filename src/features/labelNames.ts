/**
 * Words for a classifier's labels where they are language codes: a language-identification model fine-tuned on
 * `{"label": "deu"}` rows labels its answers `deu`, `rus`; the hover and Classify selection show "German (deu)",
 * as the default model's language head and the dashboard's per-language table name languages. Only when every
 * label of the answer is a code ICU names (Intl.DisplayNames, no fallback) and there are at least three: two labels
 * such as `no` / `ja` are more likely words than languages. Other labels are shown as they are.
 */

import type { DataAuditFlag } from '../engine/rpc/protocol.js';
import { languageNameOfCode } from '../panels/messages.js';

/** A lower-case code ICU names (labels written DEU or Positive are not taken for languages). */
function nameOfCode(code: string): string | undefined {
  return /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(code) ? languageNameOfCode(code) : undefined;
}

/** How to show each of these labels: "German (deu)" when all are language codes, else the label itself. */
export function labelNamer(labels: readonly string[]): (label: string) => string {
  const names = new Map(labels.map((l) => [l, nameOfCode(l)]));
  const allLanguages = labels.length >= 3 && [...names.values()].every((n) => n !== undefined);
  return (label) => {
    const name = allLanguages ? names.get(label) : undefined;
    return name ? `${name} (${label})` : label;
  };
}

/** An audit flag as the editor shows it: its message with the labels in words, and the suggested label in words for the quick fix's title. */
export type NamedFlag = DataAuditFlag & { suggestedWords?: string };

/**
 * A flag with its labels in words where they are language codes: the engine writes "the label 'ukr' is likely
 * wrong ... and 'rus' 57%"; shown as "the label 'Ukrainian (ukr)' ... and 'Russian (rus)' 57%". Other labels as they are.
 */
export function auditFlagInWords(flag: DataAuditFlag, name: (label: string) => string): NamedFlag {
  let message = flag.message;
  for (const label of new Set([flag.given, flag.suggested])) {
    if (label !== undefined && name(label) !== label) message = message.split(`'${label}'`).join(`'${name(label)}'`);
  }
  return { ...flag, message, ...(flag.suggested !== undefined && name(flag.suggested) !== flag.suggested ? { suggestedWords: name(flag.suggested) } : {}) };
}
