/** `${...}` references in prompt templates and retrieve queries. */

const PLACEHOLDER = /\$\{([^{}]*)\}/g;

export const TEMPLATE_ROOTS = ['input', 'steps', 'params', 'vars'] as const;

export function placeholders(template: string): Set<string> {
  const found = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) found.add(m[1]!.trim());
  return found;
}

/** Splits `steps.query.output.q` into its root (`steps`) and first key (`query`). */
export function referenceParts(ref: string): { root: string; key: string | undefined } {
  const [root = '', key] = ref.split(/[.[\]'"]+/).filter((s) => s.length > 0);
  return { root, key };
}
