import { isBuiltin } from 'node:module';
import { dirname, isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { FapoError } from '../../util/errors.ts';
import { buildFailureText } from '../../util/esbuild-errors.ts';

/**
 * Node 20 runs module hooks (tsx, the `fapo` resolver) on a worker thread, which the permission
 * model forbids without --allow-worker, and tsx's esbuild needs a child process. So the parent
 * transpiles: it bundles chain code into one ES module (no code runs while bundling) and the child
 * imports that text. Packages stay external, loaded by the child itself from absolute file URLs,
 * so its read permissions apply to them.
 */

const AUTHORING = fileURLToPath(new URL('../../authoring.ts', import.meta.url));
const RUNTIME = fileURLToPath(new URL('./runtime.ts', import.meta.url));
/** Authoring modules whose package imports are dropped from chains that use none of their exports. */
const DROP_UNUSED_IMPORTS = new Set(
  ['../tools/define.ts', '../../task/judge.ts'].map((path) => fileURLToPath(new URL(path, import.meta.url))),
);
const RESOLVING = Symbol('resolving');

function sandboxResolution(readable: (path: string) => boolean): Plugin {
  return {
    name: 'fapo-sandbox',
    setup(b) {
      b.onResolve({ filter: /^fapo$/ }, () => ({ path: AUTHORING }));
      // Bare specifiers: builtins as they are, packages as absolute URLs (a module imported from text has no location to resolve from).
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === RESOLVING || isAbsolute(args.path)) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const found = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: RESOLVING,
        });
        if (found.errors.length) return { errors: found.errors };
        // The authoring API's zod imports (for tools and judge scorers) are dropped from chains that use
        // neither, so their sandbox processes do not load zod.
        const dropIfUnused = DROP_UNUSED_IMPORTS.has(args.importer) ? { sideEffects: false } : {};
        return { path: pathToFileURL(found.path).href, external: true, ...dropIfUnused };
      });
      // Bundling reads files in the parent: only from where the child itself may read.
      b.onLoad({ filter: /.*/ }, (args) => {
        if (readable(args.path)) return undefined;
        return {
          errors: [
            { text: `imports ${args.path}, which chain code may not read (outside the task workspace, or hidden)` },
          ],
        };
      });
    },
  };
}

async function bundle(entry: string | { contents: string; resolveDir: string }, plugins: Plugin[]): Promise<string> {
  let result;
  try {
    result = await build({
      ...(typeof entry === 'string'
        ? { entryPoints: [entry] }
        : { stdin: { ...entry, sourcefile: 'fapo-chain-entry.js', loader: 'js' as const } }),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      plugins,
    });
  } catch (err) {
    const failure = buildFailureText(err);
    if (failure === undefined) throw err;
    const what = typeof entry === 'string' ? `${entry}: the chain module` : 'the chain module or a workspace tool';
    throw new FapoError(`${what} does not compile: ${failure}`);
  }
  return result.outputFiles[0]!.text;
}

/**
 * The chain module, the workspace's tool modules and everything they import from the workspace, as
 * one ES module's text: its default export is the chain, `__fapoTools` the tool modules.
 */
export function bundleChain(
  chainAbs: string,
  readable: (path: string) => boolean,
  toolFiles: string[] = [],
): Promise<string> {
  if (toolFiles.length === 0) return bundle(chainAbs, [sandboxResolution(readable)]);
  const lines = [`export { default } from ${JSON.stringify(chainAbs)};`];
  for (const [i, file] of toolFiles.entries()) lines.push(`import * as tool${i} from ${JSON.stringify(file)};`);
  lines.push(
    `export const __fapoTools = [${toolFiles.map((file, i) => `{ path: ${JSON.stringify(file)}, mod: tool${i} }`).join(', ')}];`,
  );
  return bundle({ contents: lines.join('\n'), resolveDir: dirname(chainAbs) }, [sandboxResolution(readable)]);
}

let runtime: Promise<string> | undefined;

/** The child's program (runtime.ts and the chain executor), built once per parent process. */
export function runtimeCode(): Promise<string> {
  runtime ??= bundle(RUNTIME, []);
  return runtime;
}
