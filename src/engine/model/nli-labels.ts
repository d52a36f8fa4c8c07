/**
 * NLI's three labels in the spellings datasets use (MultiNLI's entailment / neutral / contradiction, XNLI-MT's
 * contradictory, ANLI's e / n / c, capitals, "entails", "contradicts"). A classifier trained on them is saved with
 * the canonical names, so the NLI panel and zero-shot classification accept it.
 */
export type NliRole = 'entailment' | 'neutral' | 'contradiction';
export const NLI_LABELS: readonly NliRole[] = ['entailment', 'neutral', 'contradiction'];

const SPELLINGS: Record<NliRole, RegExp> = {
  entailment: /^(entail(ment|s|ed)?|e)$/,
  neutral: /^(neutral|n)$/,
  contradiction: /^(contradict(ion|ory|s|ed)?|c)$/,
};

function roleOf(label: string): NliRole | undefined {
  const l = label.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return NLI_LABELS.find((r) => SPELLINGS[r].test(l));
}

/**
 * Each label's NLI role when the labels are NLI's: entailment and contradiction (and neutral, for three labels),
 * each once, in any of the usual spellings; undefined for any other label set.
 */
export function nliLabelRoles(labels: readonly string[]): NliRole[] | undefined {
  if (labels.length < 2 || labels.length > 3) return undefined;
  const roles = labels.map(roleOf);
  if (roles.some((r) => r === undefined) || new Set(roles).size !== roles.length) return undefined;
  if (!roles.includes('entailment') || !roles.includes('contradiction')) return undefined;
  return roles as NliRole[];
}

/** The labels with NLI's canonical names when they are NLI's (order kept), else unchanged. */
export function canonicalNliLabels(labels: readonly string[]): string[] {
  return nliLabelRoles(labels) ?? [...labels];
}
