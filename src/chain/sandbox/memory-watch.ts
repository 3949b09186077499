import { readFileSync } from 'node:fs';

/** What a child may use beyond its V8 heap cap: Node itself (~45 MB), the young generation, Buffers. */
export const NATIVE_HEADROOM_MB = 128;
const POLL_MS = 50;

/**
 * Caps a process's resident memory. `--max-old-space-size` bounds only the JavaScript heap, so chain
 * code could still fill the machine with Buffers, typed arrays or native allocations. The parent
 * reads the child's VmRSS from /proc every POLL_MS and calls `onExceeded` once it passes the limit.
 * Linux only (elsewhere /proc is missing and only the heap cap applies). Returns a stop function.
 */
export function watchResidentMemory(pid: number, limitMb: number, onExceeded: (rssMb: number) => void): () => void {
  // A few small synchronous reads of /proc files (~20 µs each) every POLL_MS; the async variant
  // cost more in thread-pool round trips than the reads themselves.
  const timer = setInterval(() => {
    // Resolved every time: while the launcher sets up, its children come and go (mount, mkdir).
    const target = innermost(pid);
    let status: string;
    try {
      status = readFileSync(`/proc/${target}/status`, 'utf8');
    } catch {
      if (target !== pid) return; // a set-up step that just ended
      return stop(); // the process is gone, or this is not Linux
    }
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    if (kb / 1024 > limitMb) {
      stop();
      onExceeded(Math.round(kb / 1024));
    }
  }, POLL_MS);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  return stop;
}

/**
 * The process at the end of a launcher chain: `unshare --fork` (PID namespace) runs node as its
 * child, so the spawned pid is the launcher's, not node's. Follows first children down to a leaf.
 */
function innermost(pid: number): number {
  for (let at = pid; ; ) {
    let children: string;
    try {
      children = readFileSync(`/proc/${at}/task/${at}/children`, 'utf8').trim();
    } catch {
      return at;
    }
    if (!children) return at;
    at = Number(children.split(' ')[0]);
  }
}
