import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where a workspace's tools live: `tools/*.ts` (helpers they share go in subfolders). */
export const TOOLS_DIR = 'tools';

/**
 * The workspace's tool modules, workspace-relative, in a stable order. Symlinks are listed too, so
 * that one leading out of the workspace is refused (task/tools.ts) rather than silently skipped.
 */
export function workspaceToolFiles(taskDir: string): string[] {
  const dir = join(taskDir, TOOLS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter(
      (e) =>
        (e.isFile() || e.isSymbolicLink()) &&
        e.name.endsWith('.ts') &&
        !e.name.endsWith('.d.ts') &&
        !e.name.endsWith('.test.ts'),
    )
    .map((e) => `${TOOLS_DIR}/${e.name}`)
    .sort();
}
