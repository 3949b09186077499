import canonicalize from 'canonicalize';

/** Keys whose value differs (added, removed or changed) between two params objects. */
export function changedParamKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter((k) => !(k in before && k in after && canonicalize(before[k]) === canonicalize(after[k])))
    .sort();
}

export function changedPromptNames(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).sort();
}
