/**
 * The read guard of the agent's file tools. The allowlist is `services.readableFiles()`; on top of it,
 * paths that must never reach an optimizer (held-out splits, the store, anything outside the workspace)
 * are refused by shape, so a too-generous allowlist still cannot leak them.
 */
import path from 'node:path';

/** Held-out split files and the workspace store, whatever the allowlist says. */
const NEVER_READABLE = [/(^|\/)\.fapo(\/|$)/, /(^|\/)(val|valid|validation|test)\.(jsonl|json|csv|tsv)$/i];

/** The allowlist as the model sees it: never-readable paths are dropped even when listed. */
export function listReadable(readable: readonly string[]): string[] {
  return readable
    .map((file) => path.posix.normalize(file))
    .filter((file) => !NEVER_READABLE.some((pattern) => pattern.test(file)));
}

export type ReadableCheck = { path: string } | { error: string };

export function checkReadable(requested: string, readable: readonly string[]): ReadableCheck {
  const refuse = (why: string): ReadableCheck => ({
    error: `refused: ${why}. Readable files: ${listReadable(readable).join(', ') || '(none)'}.`,
  });
  if (requested.includes('\\')) return refuse(`'${requested}' uses backslashes; use workspace-relative POSIX paths`);
  if (path.posix.isAbsolute(requested))
    return refuse(`'${requested}' is absolute; only workspace-relative paths are readable`);
  const normal = path.posix.normalize(requested);
  if (normal === '..' || normal.startsWith('../')) return refuse(`'${requested}' is outside the workspace`);
  if (NEVER_READABLE.some((pattern) => pattern.test(normal))) {
    return refuse(`'${requested}' holds held-out data or run state, which the proposer never sees`);
  }
  const allowed = new Set(listReadable(readable));
  if (!allowed.has(normal)) return refuse(`'${requested}' is not in the proposer's readable set`);
  return { path: normal };
}
