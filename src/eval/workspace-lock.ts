/**
 * One writer per workspace: `fapo eval` and `fapo optimize` hold `.fapo/lock` while they run, so two
 * processes never pay the same calls twice or run one session to its end twice. The lock file names
 * its holder (pid, host, command, since) for the message the second process prints. A lock whose
 * holder is a dead process on this host is taken over; one held from another host (a shared disk)
 * is never taken over, since its pid cannot be checked from here.
 * Hand-written: the lock libraries (proper-lockfile) detect staleness by mtime and need a refresh
 * timer, while a pid check is exact on one host and costs nothing while the lock is held.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { MANIFEST_FILE } from '../task/load.ts';
import { EXIT_CODES, FapoError } from '../util/errors.ts';
import { processAlive } from '../util/process-alive.ts';
import { storageError } from './store/storage-error.ts';

const HolderSchema = z.object({ pid: z.number().int(), host: z.string(), command: z.string(), since: z.string() });
export type LockHolder = z.infer<typeof HolderSchema>;

export interface WorkspaceLock {
  readonly path: string;
  release(): void;
}

/** This process's command line, for the message of a process that finds the lock taken. */
export const thisCommand = (): string => process.argv.slice(1).join(' ');

/** Takes the workspace lock for `command`, or fails naming the process that holds it. */
export function lockWorkspace(workspaceDir: string, command: string = thisCommand()): WorkspaceLock {
  const dir = join(workspaceDir, '.fapo');
  const path = join(dir, 'lock');
  const me: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  const mine = `${path}.${process.pid}.${Date.now()}`;
  // Not a workspace: the task load that follows says so; a lock would create .fapo/ in any folder named.
  if (!existsSync(join(workspaceDir, MANIFEST_FILE))) return { path, release: () => {} };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(mine, `${JSON.stringify(me)}\n`);
  } catch (err) {
    throw storageError(err, dir, 'write in the workspace folder') ?? err;
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path); // atomic: fails when a lock exists
        return { path, release: () => releaseIfMine(path, me) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(path);
      if (holder && !isStale(holder)) throw lockedError(workspaceDir, path, holder);
      // Dead holder (or an unreadable lock left by a kill mid-write): move it aside and try again.
      // rename is atomic, so of two processes taking over, one moves the lock and the other retries.
      try {
        renameSync(path, `${path}.stale.${process.pid}`);
        rmSync(`${path}.stale.${process.pid}`, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const holder = readHolder(path);
    throw lockedError(workspaceDir, path, holder ?? { pid: 0, host: '?', command: '?', since: '?' });
  } finally {
    rmSync(mine, { force: true });
  }
}

function isStale(holder: LockHolder): boolean {
  return holder.host === hostname() && !processAlive(holder.pid);
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = HolderSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function releaseIfMine(path: string, me: LockHolder): void {
  const holder = readHolder(path);
  if (holder?.pid === me.pid && holder.since === me.since) unlinkSync(path);
}

function lockedError(workspaceDir: string, path: string, h: LockHolder): FapoError {
  return new FapoError(
    `the workspace ${workspaceDir} is in use by pid ${h.pid} on ${h.host} (${h.command}), since ${h.since}`,
    `Wait for it to finish or stop it, then run the same command again. A lock left by a process that died on this host is taken over by itself; one held from another host is removed by deleting ${path}.`,
    EXIT_CODES.locked,
  );
}
