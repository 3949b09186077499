import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FapoError } from '../../util/errors.ts';
import { inside, isHiddenInWorkspace, unreachableEntries } from '../workspace-files.ts';
import { viewLauncher, viewPaths, viewUnavailable } from './filesystem-view.ts';
import { NATIVE_HEADROOM_MB } from './memory-watch.ts';

/** What isolation a sandbox child runs under; recorded in run manifests. */
export interface SandboxInfo {
  permissionModel: string;
  node: string;
  /** Paths the chain code may read; it may write nowhere. */
  fsRead: string[];
  /** Workspace paths kept unreadable. */
  hidden: string[];
  fsWrite: false;
  childProcesses: false;
  workerThreads: false;
  network: 'cut' | 'not cut';
  /**
   * What the chain code's filesystem holds: only its read roots and the system folders (a mount
   * namespace of its own, so no host Unix socket can be named), or the host's.
   */
  filesystem: 'read roots only' | 'host';
  /** Whether chain code has a PID namespace of its own (it can signal no host process). */
  processes: 'own PID namespace' | 'host PID namespace';
  /** The commands node is started through (namespaces, privilege drop, parent-death signal). */
  launcher: string[];
  /** The uid chain code runs as. */
  uid: number;
  /** V8 heap cap (MB). */
  memoryMb: number;
  /** Resident memory cap (MB): the heap cap plus room for Node, Buffers and native memory (Linux). */
  residentMemoryMb: number;
  /** Names (never values) of the environment variables the child receives. */
  env: string[];
  /** Layers that were wanted but are not in force, and why. */
  warnings: string[];
}

export interface IsolationOptions {
  taskDir: string;
  memoryMb: number;
  /** Extra environment variables for the child; secret-looking names are refused. */
  env?: Record<string, string>;
  /** Workspace-relative paths chain code may not read (e.g. the data folder, the store, `.env`). */
  hide?: string[];
}

export interface LaunchPlan {
  command: string;
  /** The launcher's remaining arguments, then node and its flags (the program to run comes last). */
  args: string[];
  env: Record<string, string>;
  cwd: string;
  info: SandboxInfo;
}

const NOBODY = 65534;
const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'NODE_ENV', 'TZ'];
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|AUTH)$|^AWS_|^NODE_OPTIONS$|^NODE_CHANNEL/i;

/** Where fapo is installed: the child reads its src (and dependencies resolved from node_modules). */
const FAPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The child's environment, built from an allowlist so that API keys and other secrets of the
 * parent never reach chain code.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { HOME: '/nonexistent' };
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (SECRET_NAME.test(name)) {
      throw new FapoError(
        `sandbox env: refusing to pass "${name}" to chain code`,
        'Secrets stay in the parent process; chain code reaches models only through llm steps.',
      );
    }
    env[name] = value;
  }
  return env;
}

/**
 * The workspace minus the hidden paths. Node 20 can only allow, not deny, so each sibling of a
 * hidden path is allowed instead (entries created later beside a hidden path stay unreadable).
 */
function workspaceRoots(dir: string, hidden: string[]): string[] {
  if (hidden.length === 0) return [dir];
  const roots: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const below = hidden
      .filter((h) => h === entry.name || h.startsWith(`${entry.name}/`))
      .map((h) => h.slice(entry.name.length + 1));
    if (below.length === 0) roots.push(join(dir, entry.name));
    else if (!below.includes('') && entry.isDirectory()) roots.push(...workspaceRoots(join(dir, entry.name), below));
  }
  return roots;
}

function hiddenPaths(hide: string[]): string[] {
  return hide.map((h) => {
    const rel = normalize(h).replace(/\/+$/, '');
    if (isAbsolute(rel) || rel === '.' || rel.startsWith('..'))
      throw new FapoError(`sandbox: hidden path "${h}" must be inside the task workspace (workspace-relative)`);
    return rel;
  });
}

/**
 * Whether chain code may read (and so the parent may bundle) a file: in the workspace but not
 * under a hidden path, or in fapo's installation.
 */
export function readablePredicate(taskDir: string, hide: string[] = []): (path: string) => boolean {
  const ws = resolve(taskDir);
  const hidden = hiddenPaths(hide);
  const fapo = fapoRoots();
  return (path) =>
    fapo.some((r) => inside(path, r)) ||
    (inside(path, ws) && !isHiddenInWorkspace(relative(ws, path).split(sep).join('/'), hidden));
}

/** fapo's sources and its dependencies. */
function fapoRoots(): string[] {
  const roots = [join(FAPO_ROOT, 'src'), join(FAPO_ROOT, 'node_modules')];
  // Installed as a dependency, fapo's own dependencies may be hoisted into the enclosing node_modules.
  const marker = `${sep}node_modules${sep}`;
  const at = FAPO_ROOT.lastIndexOf(marker);
  if (at >= 0) roots.push(FAPO_ROOT.slice(0, at + marker.length - 1));
  return roots;
}

/**
 * Workspace paths chain code may not read: those asked for, secret-looking files and symlinks
 * leading out of what it may read (workspace-files.ts).
 */
function unreadablePaths(taskDir: string, hide: string[] = []): string[] {
  const hidden = hiddenPaths(hide);
  const fapo = fapoRoots();
  return [...hidden, ...unreachableEntries(resolve(taskDir), hidden, (real) => fapo.some((r) => inside(real, r)))];
}

/** What chain code may read: the workspace (minus unreadable paths), fapo's sources and its dependencies. */
function readRoots(ws: string, unreadable: string[]): string[] {
  const roots = [...workspaceRoots(ws, unreadable), ...fapoRoots()];
  for (const root of roots) {
    // Node 20 reads one path per --allow-fs-read flag; a comma would be read as the old list syntax.
    if (root.includes(','))
      throw new FapoError(
        `sandbox: path "${root}" contains a comma, which Node's --allow-fs-read cannot express`,
        'Move the task workspace to a path without commas.',
      );
  }
  return [...new Set(roots)];
}

const probes = new Map<string, boolean>();

function succeeds(command: string, args: string[]): boolean {
  const key = [command, ...args].join('\0');
  let ok = probes.get(key);
  if (ok === undefined) {
    const result = spawnSync(command, args, { stdio: 'ignore', timeout: 5000 });
    ok = result.status === 0;
    probes.set(key, ok);
  }
  return ok;
}

/**
 * The first path chain code needs that uid nobody cannot read (directories must also be
 * searchable), or undefined when nobody can read them all. Paths go to the shell as "$@", so any
 * number of them works.
 */
function unreadableByNobody(paths: string[]): string | undefined {
  const key = ['nobody', ...paths].join('\0');
  if (!nobodyProbes.has(key)) {
    const script =
      'for p do { test -r "$p" && { test ! -d "$p" || test -x "$p"; }; } || { printf %s "$p"; exit 1; }; done';
    const result = spawnSync(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '/bin/sh', '-c', script, 'sh', ...paths],
      { encoding: 'utf8', timeout: 5000 },
    );
    nobodyProbes.set(key, result.status === 0 ? undefined : result.stdout || paths[0] || '?');
  }
  return nobodyProbes.get(key);
}
const nobodyProbes = new Map<string, string | undefined>();

/**
 * Decides the command line of a sandbox child and what isolation it gives. Layers that depend on
 * the host (network namespace, dropping to nobody) are probed once and recorded when missing.
 */
export function planLaunch(opts: IsolationOptions): LaunchPlan {
  const hidden = unreadablePaths(opts.taskDir, opts.hide);
  const fsRead = readRoots(resolve(opts.taskDir), hidden);
  const env = childEnv(opts.env);
  const warnings: string[] = [];
  const isRoot = process.getuid?.() === 0;
  const hasSetpriv = succeeds('setpriv', ['--version']);
  const wrappers: string[] = [];

  // The kernel kills the launcher if the parent dies, even while chain code spins in a loop; the
  // launcher's death then takes the whole PID namespace with it (--kill-child).
  if (hasSetpriv) wrappers.push('setpriv', '--pdeathsig', 'KILL');
  else warnings.push('setpriv not found: no parent-death signal and no privilege drop');

  // Node 20 permissions cover neither sockets nor signals. A fresh network namespace (only loopback,
  // down) cuts the network; a fresh PID namespace (chain code is its init, /proc remounted to match)
  // leaves no host process to signal. Without root, a user namespace mapping the current user to
  // itself allows the same.
  const userns = isRoot ? [] : ['--map-current-user'];
  const full = ['unshare', ...userns, '--net', '--pid', '--kill-child=KILL', '--mount-proc'];
  const netOnly = ['unshare', ...userns, '--net'];
  let network: SandboxInfo['network'] = 'not cut';
  let processes: SandboxInfo['processes'] = 'host PID namespace';
  if (succeeds(full[0]!, [...full.slice(1), 'true'])) {
    wrappers.push(...full);
    network = 'cut';
    processes = 'own PID namespace';
  } else if (succeeds(netOnly[0]!, [...netOnly.slice(1), 'true'])) {
    wrappers.push(...netOnly);
    network = 'cut';
    warnings.push(
      `no PID namespace: \`${full.join(' ')} true\` failed on this host, so chain code can signal host processes`,
    );
  } else {
    warnings.push(
      `network not cut: \`${netOnly.join(' ')} true\` failed on this host, and Node 20 permissions do not restrict sockets`,
    );
  }

  // Unix sockets are named by path and neither namespace above hides them: chain code gets a root
  // that holds only what it may read (filesystem-view.ts).
  let filesystem: SandboxInfo['filesystem'] = 'host';
  if (processes === 'own PID namespace') {
    const why = viewUnavailable(full);
    if (why === undefined) {
      wrappers.push(...viewLauncher(viewPaths(fsRead), resolve(opts.taskDir)));
      filesystem = 'read roots only';
    } else {
      warnings.push(`no filesystem view of its own (${why}): chain code can connect to Unix sockets on the host`);
    }
  }

  let uid = process.getuid?.() ?? -1;
  if (hasSetpriv) {
    // Again inside the namespaces: a change of uid clears the parent-death signal, so it is set after.
    wrappers.push('setpriv', '--pdeathsig', 'KILL');
    if (isRoot) {
      const unreadable = unreadableByNobody([...fsRead.filter((p) => existsSync(p)), dirname(process.execPath)]);
      if (unreadable === undefined) {
        wrappers.push(`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups');
        uid = NOBODY;
      } else {
        warnings.push(
          `chain code runs as root: uid nobody cannot read ${unreadable} (make the task workspace, its parent folders and fapo world-readable, e.g. chmod o+rX, to drop privileges)`,
        );
      }
    }
  }

  const permission = permissionFlag(process.versions.node);
  const node = [
    process.execPath,
    permission.flag,
    '--disable-warning=ExperimentalWarning',
    ...fsRead.map((p) => `--allow-fs-read=${p}`),
    `--max-old-space-size=${opts.memoryMb}`,
  ];
  const [command, ...args] = [...wrappers, ...node];
  return {
    command: command!,
    args,
    env,
    cwd: resolve(opts.taskDir),
    info: {
      permissionModel: `node ${permission.flag} (${permission.stable ? 'stable' : 'experimental'} in Node ${process.versions.node}; does not restrict network)`,
      node: process.version,
      fsRead,
      hidden,
      fsWrite: false,
      childProcesses: false,
      workerThreads: false,
      network,
      processes,
      filesystem,
      launcher: wrappers,
      uid,
      memoryMb: opts.memoryMb,
      residentMemoryMb: opts.memoryMb + NATIVE_HEADROOM_MB,
      env: Object.keys(env).sort(),
      warnings,
    },
  };
}

/** The isolation sandbox children of a task get on this host, for run manifests. */
export function sandboxInfo(opts: IsolationOptions): SandboxInfo {
  return planLaunch(opts).info;
}

/**
 * Node's permission model flag for a Node version: `--permission` where it is stable (22.13 and 23.5
 * on), `--experimental-permission` before (Node 20, early 22 and 23), which later majors drop.
 */
export function permissionFlag(nodeVersion: string): { flag: string; stable: boolean } {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  const stable = major >= 24 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13);
  return { flag: stable ? '--permission' : '--experimental-permission', stable };
}
