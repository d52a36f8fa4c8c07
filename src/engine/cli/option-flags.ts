/** The flag that sets each engine option, so an engine error naming an option (errors.ts's field) says the flag here. */

/** The options whose flag is not `--` and their name in kebab-case. */
const FLAG_OF_OPTION: Record<string, string> = {
  shuffle: '--no-shuffle',
  quote: '--no-quote',
  onlyLanguages: '--only-language',
  // xlm translate's
  numBeams: '--beams',
  numReturnSequences: '--n-best',
};

/** `batchSize` → `--batch-size`, `memoryLimitMB` → `--memory-limit-mb`. */
export function flagOf(option: string): string {
  return FLAG_OF_OPTION[option] ?? `--${option.replace(/[A-Z]+/g, (m) => `-${m.toLowerCase()}`)}`;
}
