/**
 * Words for the per-language table's rows. Eval keys are language codes (the data's language column: `de`, `deu`,
 * `de-CH`; or a code guessed from a script that one language owns: `ko`, `th`) or, for rows of a script that many
 * languages share and no language column, the script's Unicode name (`Latin`, `Cyrillic`). A code is shown as its
 * English name with the code beside it ("German (de)"), a script as "Latin script", so the table never mixes codes
 * with script names. Pure (ICU's Intl.DisplayNames, no DOM), so the unit tests run it under Node.
 */

import { languageNameOfCode } from '../../src/panels/messages.js';

/** Unicode script names as `detectScript` returns them: a capitalised word, or words joined by `_` (Canadian_Aboriginal). */
const SCRIPT_NAME = /^[A-Z][a-z]+(?:_[A-Z][a-z]+)*$/;

export function languageLabel(key: string): string {
  if (key === 'Unknown') return 'text of no known script';
  if (SCRIPT_NAME.test(key)) return `${key.replaceAll('_', ' ')} script`;
  const name = languageNameOfCode(key);
  return name === undefined ? key : `${name} (${key})`;
}
