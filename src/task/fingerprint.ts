import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FAPO_MODULES } from '../chain/load-module.ts';
import { FapoError } from '../util/errors.ts';
import { buildFailureText } from '../util/esbuild-errors.ts';
import { sha256 } from '../util/hash.ts';

/**
 * sha256 of a task module as esbuild bundles it: the file, every workspace file it imports, and the
 * fapo code behind `fapo` and `fapo/bench` (where a benchmark scorer's metric lives), without comments
 * or formatting. npm packages stay external: the lockfile pins them. Runs are identified by the
 * scorer's fingerprint, so editing the scorer or anything it imports starts new runs instead of
 * resuming with the old scores.
 */
export async function moduleFingerprint(entryAbs: string): Promise<string> {
  const targets = new Map(Object.entries(FAPO_MODULES).map(([specifier, url]) => [specifier, fileURLToPath(url)]));
  try {
    const result = await build({
      entryPoints: [entryAbs],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      // Minified: no comments, no formatting, and none of the `// path/file.ts` markers that would tie
      // the fingerprint to where the workspace sits on disk.
      minify: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'fapo-modules',
          setup: (b) => b.onResolve({ filter: /^fapo(\/bench)?$/ }, (args) => ({ path: targets.get(args.path)! })),
        },
      ],
    });
    return sha256(result.outputFiles[0]!.text);
  } catch (err) {
    const failure = buildFailureText(err);
    if (failure === undefined) throw err;
    throw new FapoError(failure);
  }
}
