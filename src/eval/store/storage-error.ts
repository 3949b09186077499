/**
 * Failures of the disk under the workspace store (full, read-only, permissions, I/O), from SQLite or
 * from Node's fs, as one clear error naming the path and the cause, with its own exit code. Never
 * "move the file away": the store holds answers already paid for.
 */
import { EXIT_CODES, FapoError } from '../../util/errors.ts';

const CAUSES: [RegExp, string][] = [
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)$/, 'the disk is full'],
  [/^(SQLITE_READONLY.*|EROFS)$/, 'it is read-only'],
  [/^(EACCES|EPERM|SQLITE_PERM|SQLITE_AUTH)$/, 'permission denied'],
  [/^(SQLITE_CANTOPEN.*)$/, 'the file cannot be opened (missing folder or permissions)'],
  [/^(SQLITE_IOERR.*|EIO)$/, 'an I/O error of the disk'],
];

/** The storage error for `err` (thrown while reading or writing `path`), or undefined for other errors. */
export function storageError(err: unknown, path: string, doing: string): FapoError | undefined {
  if (err instanceof FapoError) return err.exitCode === EXIT_CODES.storage ? err : undefined;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const cause = CAUSES.find(([re]) => re.test(code))?.[1];
  if (!cause) return undefined;
  return new FapoError(
    `cannot ${doing} ${path}: ${cause} (${code}: ${(err as Error).message})`,
    'Answers received before this are kept in the store and its journal (.fapo/journal), so a rerun does not pay for them again. Free some space or make the workspace writable, then run the same command again.',
    EXIT_CODES.storage,
  );
}
