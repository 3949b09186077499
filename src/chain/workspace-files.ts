import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { FapoError } from '../util/errors.ts';

/**
 * Names of files and folders that look like secrets (keys, tokens, credentials): hidden from chain
 * code wherever they sit in a workspace, and never read as prompts, corpora or tools.
 */
const SECRET_NAMES: readonly RegExp[] = [
  /^\.env(\..*)?$/, // .env, .env.local, .env.production ...
  /^\.envrc$/,
  /^\.npmrc$/,
  /^\.yarnrc(\.yml)?$/,
  /^\.netrc$/,
  /^\.pypirc$/,
  /^\.pgpass$/,
  /^\.git$/, // .git/config holds tokens in remote URLs
  /^\.git-credentials$/,
  /^\.docker$/,
  /^\.aws$/,
  /^\.ssh$/,
  /^\.gnupg$/,
  /^credentials.*\.json$/i,
  /^service[-_]?account.*\.json$/i,
  /^secrets?\..*$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/,
  /\.(pem|key|p12|pfx|jks|keystore|kdbx)$/i,
];

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.some((re) => re.test(name));
}

/** `path` is `root` or below it (both absolute). */
export function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Whether a workspace-relative path is under one of `hidden` or has a secret-looking segment. */
export function isHiddenInWorkspace(rel: string, hidden: readonly string[]): boolean {
  return hidden.some((h) => rel === h || rel.startsWith(`${h}/`)) || rel.split(/[\\/]/).some(isSecretName);
}

/**
 * Workspace-relative paths chain code must not reach though the workspace is readable: secret-looking
 * files and folders, Unix sockets, and symlinks whose real target is neither in the workspace (outside `hidden`)
 * nor in `alsoReadable` (fapo's own files). A symlink is checked by where it points, since Node's
 * permission model checks the path as written and the kernel then follows the link.
 */
export function unreachableEntries(
  ws: string,
  hidden: readonly string[],
  alsoReadable: (realPath: string) => boolean,
): string[] {
  const realWs = realpathSync(ws);
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(ws, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      if (hidden.some((h) => child === h || child.startsWith(`${h}/`))) continue;
      if (isSecretName(name)) {
        found.push(child);
        continue;
      }
      const abs = join(ws, child);
      const stat = lstatSync(abs);
      if (stat.isSymbolicLink()) {
        if (!linkStaysReadable(abs, realWs, hidden, alsoReadable)) found.push(child);
      } else if (stat.isSocket()) {
        found.push(child); // a server's door, not a file to read
      } else if (stat.isDirectory()) walk(child);
    }
  };
  walk('');
  return found;
}

function linkStaysReadable(
  abs: string,
  realWs: string,
  hidden: readonly string[],
  alsoReadable: (realPath: string) => boolean,
): boolean {
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return false; // dangling: where it points could change
  }
  if (alsoReadable(real)) return true;
  return inside(real, realWs) && !isHiddenInWorkspace(relative(realWs, real).split(sep).join('/'), hidden);
}

/**
 * The real path of a file fapo reads on a workspace's behalf (a prompt, a corpus, a tool), refused
 * when it resolves (through symlinks) outside the workspace, into a hidden path or a secret file.
 */
export function workspaceRealPath(ws: string, path: string, hidden: readonly string[], what: string): string {
  if (!existsSync(path)) return path; // the caller reports a missing file in its own words
  const realWs = realpathSync(ws);
  const real = realpathSync(path);
  const rel = relative(realWs, real).split(sep).join('/');
  if (!inside(real, realWs) || isHiddenInWorkspace(rel, hidden))
    throw new FapoError(
      `${path}: ${what} resolves to ${real}, ${inside(real, realWs) ? 'a hidden or secret-looking path' : 'outside the task workspace'}`,
      'fapo follows no symlink out of the workspace or into its data, store or secrets: copy the file into the workspace instead.',
    );
  return real;
}
