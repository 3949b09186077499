import type { ChainDefinition } from './types.ts';

/**
 * Checks a chain module's default export. Dependency-free on purpose: the sandbox child bundles it
 * and must not load the task loader (yaml, zod).
 */
export function chainFromModule(mod: Record<string, unknown>, chainPath: string): ChainDefinition {
  const def = mod.default as ChainDefinition | undefined;
  if (!def || !Array.isArray(def.steps))
    throw new Error(`${chainPath}: the default export must be defineChain({ name, steps, ... })`);
  const names = new Set<string>();
  for (const s of def.steps) {
    if (names.has(s.name)) throw new Error(`${chainPath}: duplicate step name "${s.name}"`);
    names.add(s.name);
  }
  return def;
}
