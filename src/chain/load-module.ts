import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { errorMessage, FapoError } from '../util/errors.ts';
import type { ChainDefinition } from './types.ts';
import { chainFromModule } from './validate.ts';

let hookRegistered = false;

const PACKAGE_ROOT = new URL('../../', import.meta.url);

/**
 * What task code's `fapo` specifiers resolve to: bare `fapo` is the authoring API (what chains and
 * scorers need, without the rest of the library); `fapo/<entry>` is the package's own export of that
 * name (package.json "exports", e.g. `fapo/bench` for the benchmark scorers), as an installed fapo
 * would resolve it. Read from package.json rather than named here, so this layer knows no layer above.
 */
export const FAPO_MODULES: Readonly<Record<string, URL>> = (() => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as {
    exports: Record<string, string>;
  };
  const entries = Object.entries(pkg.exports)
    .filter(([subpath]) => subpath !== '.')
    .map(([subpath, target]) => [`fapo/${subpath.slice(2)}`, new URL(target, PACKAGE_ROOT)] as const);
  return Object.fromEntries([['fapo', new URL('../authoring.ts', import.meta.url)], ...entries]);
})();

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

export async function loadChainModule(absPath: string, version: string): Promise<ChainDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = await importTaskModule(absPath, version);
  } catch (err) {
    throw new FapoError(`${absPath}: the chain module does not load: ${errorMessage(err)}`);
  }
  try {
    return chainFromModule(mod, absPath);
  } catch (err) {
    throw new FapoError(errorMessage(err));
  }
}
