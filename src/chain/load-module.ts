import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

let hookRegistered = false;

/** What task code's `fapo` specifiers resolve to: the authoring API and the benchmark scorers. */
export const FAPO_MODULES: Readonly<Record<string, URL>> = {
  fapo: new URL('../authoring.ts', import.meta.url),
  'fapo/bench': new URL('../bench/scorers.ts', import.meta.url),
};

/**
 * Maps the `fapo` specifier to the authoring API (and `fapo/bench` to the benchmark scorers, which
 * only parent-side scorers use) for every module loaded afterwards in this process.
 */
export function ensureFapoResolution(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  register(new URL('./resolve-hook.mjs', import.meta.url), {
    data: {
      targets: Object.fromEntries(Object.entries(FAPO_MODULES).map(([specifier, url]) => [specifier, url.href])),
    },
  });
}

/**
 * Imports a task's TypeScript module (chain or scorer). The caller must run under tsx (the `fapo`
 * bin and the test runner do). `version` busts Node's module cache when a path's content changed.
 */
export async function importTaskModule(absPath: string, version?: string): Promise<Record<string, unknown>> {
  ensureFapoResolution();
  const url = pathToFileURL(absPath);
  if (version) url.searchParams.set('v', version);
  return (await import(url.href)) as Record<string, unknown>;
}
