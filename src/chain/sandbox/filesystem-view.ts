import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A mount namespace whose root holds only what chain code needs: the read roots, the system
 * folders node and its libraries load from, and /dev/null, /dev/zero, /dev/random, /dev/urandom, all
 * read-only. Neither Node's permission model nor a network namespace stops connect(2) to a Unix
 * socket path (Docker's, ssh-agent's, a database's): a socket that is not in this tree cannot be
 * named at all. Runs inside `unshare --mount` as (namespace) root, then execs the rest of the launcher.
 *
 * Arguments: the empty folder to build the root on, the working directory, the number of paths to
 * show, the paths, then the command.
 */
const BUILD_ROOT = `set -e
root=$1; cwd=$2; n=$3; shift 3
mount -t tmpfs -o mode=755,size=1m fapo-sandbox "$root"
i=0
while [ "$i" -lt "$n" ]; do
  p=$1; shift; i=$((i + 1))
  if [ -d "$p" ]; then mkdir -p "$root$p"; else mkdir -p "$root\${p%/*}"; [ -e "$root$p" ] || : > "$root$p"; fi
  mount --bind "$p" "$root$p"
  mount -o remount,bind,ro "$root$p"
done
mkdir -p "$root/dev" "$root/proc" "$root/tmp" "$root$cwd"
for d in null zero random urandom; do : > "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done
mount -t proc proc "$root/proc"
cd "$root"
mkdir .host
pivot_root . .host
umount -l /.host
rmdir /.host
cd "$cwd"
unset PWD OLDPWD
exec "$@"`;

/** Where node and the libraries it links come from. */
const SYSTEM_PATHS = ['/usr', '/lib', '/lib64', '/lib32', '/libx32', '/bin', '/sbin', '/etc'];

let mountPoint: string | undefined;

/**
 * The empty folder each child mounts its root on (in its own mount namespace, so the folder stays
 * empty here). Random, so no other user can prepare it; removed when this process exits.
 */
function rootMountPoint(): string {
  if (!mountPoint) {
    const dir = mkdtempSync(join(tmpdir(), 'fapo-sandbox-root-'));
    mountPoint = dir;
    process.on('exit', () => {
      try {
        rmdirSync(dir);
      } catch {
        // still busy or already gone: an empty folder in the temp dir
      }
    });
  }
  return mountPoint;
}

/** The paths a child's root shows: the read roots, node's folder and the system folders. */
export function viewPaths(readRoots: string[]): string[] {
  const system = [...SYSTEM_PATHS, dirname(process.execPath)].filter((p) => existsSync(p));
  return [...new Set([...system, ...readRoots.filter((p) => existsSync(p))])];
}

/** The launcher words that build the root and then run `command`, inside a mount namespace. */
export function viewLauncher(paths: string[], cwd: string): string[] {
  return ['/bin/sh', '-c', BUILD_ROOT, 'fapo-sandbox', rootMountPoint(), cwd, String(paths.length), ...paths];
}

const probes = new Map<string, string | undefined>();

/**
 * Whether this host can build the view under `namespaces` (e.g. `unshare --mount ...`): undefined
 * when it can, else why not (the first line of the error).
 */
export function viewUnavailable(namespaces: string[]): string | undefined {
  const key = namespaces.join('\0');
  if (!probes.has(key)) {
    const launcher = [...namespaces, ...viewLauncher(viewPaths([]), '/'), 'true'];
    const result = spawnSync(launcher[0]!, launcher.slice(1), { encoding: 'utf8', timeout: 5000 });
    probes.set(
      key,
      result.status === 0 ? undefined : (result.stderr || result.error?.message || 'failed').split('\n')[0],
    );
  }
  return probes.get(key);
}
