/**
 * The workspace database underneath every store: opening it (WAL, schema, migrations, replay of the
 * cache journals of killed processes) and the write-behind queue the hot paths share.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FapoError } from '../../util/errors.ts';
import { CacheJournal } from '../cache-journal.ts';
import { storageError } from './storage-error.ts';

export const STORE_SCHEMA_VERSION = 1;
const MAX_PENDING_WRITES = 256;
/** Least spacing of write-behind commits. */
const FLUSH_INTERVAL_MS = 10;

const SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE variants (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL
);
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  variant TEXT NOT NULL,
  split TEXT NOT NULL,
  spec TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX runs_by_variant ON runs (variant, split);
CREATE TABLE results (
  run_id TEXT NOT NULL,
  case_id TEXT NOT NULL,
  trial INTEGER NOT NULL,
  case_pos INTEGER NOT NULL,
  status TEXT NOT NULL,
  score REAL,
  latency_ms REAL NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (run_id, case_id, trial)
);
CREATE INDEX results_in_order ON results (run_id, trial, case_pos);
CREATE TABLE cache (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE docs (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (kind, id)
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  at TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX events_by_kind ON events (kind, id);
`;

export function now(): string {
  return new Date().toISOString();
}

export function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new FapoError(`${what} has no JSON form (got ${typeof value})`);
  return json;
}

export interface OpenedDatabase {
  path: string;
  db: Database.Database;
  journalDir: string;
}

/** Opens (creating or migrating) `<workspace>/.fapo/store.sqlite`, replaying killed processes' cache journals. */
export function openDatabase(workspaceDir: string): OpenedDatabase {
  const dir = join(workspaceDir, '.fapo');
  const path = join(dir, 'store.sqlite');
  let db: Database.Database;
  try {
    mkdirSync(dir, { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw (
      storageError(err, path, 'open the workspace store') ??
      new FapoError(
        `cannot open the workspace store ${path}: ${(err as Error).message}`,
        'check that the workspace directory exists and is writable',
      )
    );
  }
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // With WAL, synchronous=NORMAL still makes every committed transaction survive a crash or SIGKILL
    // of this process (the WAL is in the OS page cache); only an OS crash / power loss can lose the
    // last few commits, never corrupt the database.
    db.pragma('synchronous = NORMAL');
    migrate(db, path);
    const journalDir = join(dir, 'journal');
    const stale = CacheJournal.recover(journalDir);
    if (stale.entries.length) {
      const put = db.prepare('INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)');
      db.transaction(() => {
        for (const [key, json] of stale.entries) put.run(key, json);
      })();
    }
    stale.done();
    return { path, db, journalDir };
  } catch (err) {
    db.close();
    if (err instanceof FapoError) throw err;
    throw (
      storageError(err, path, 'write the workspace store') ??
      new FapoError(
        `cannot use the workspace store ${path}: ${(err as Error).message}`,
        'The file is not a usable fapo store (damaged?). Restore it from a backup; moving it away starts an empty store and loses its cached answers.',
      )
    );
  }
}

function migrate(db: Database.Database, path: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) {
    db.transaction(() => {
      db.exec(SCHEMA_SQL);
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(STORE_SCHEMA_VERSION));
    })();
    return;
  }
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  const version = Number(row?.value);
  if (!Number.isInteger(version)) throw new FapoError(`${path} has no valid schema_version; it is not a fapo store`);
  if (version > STORE_SCHEMA_VERSION) {
    throw new FapoError(
      `${path} has schema version ${version}, newer than this fapo supports (${STORE_SCHEMA_VERSION})`,
      'upgrade fapo, or use a different workspace',
    );
  }
  // Future schema versions add their migrations here, stepping from `version` up to the current one.
}

/**
 * Write-behind for the hot paths (cache entries, results): writes commit together in one transaction
 * at the end of the event-loop turn (a commit costs ~40–100 µs, a batched write a few µs); when turns
 * are short, commits are spaced at least FLUSH_INTERVAL_MS apart. Every read flushes first. Stores
 * that keep their own not-yet-committed state (the cache) are told after each commit.
 */
export class WriteBehind {
  private pending: (() => void)[] = [];
  private cancelScheduledFlush: (() => void) | undefined;
  private lastCommitAt = -Infinity;
  private readonly committed: (() => void)[] = [];

  /** Why the last commit failed (full disk, read-only store): every later write and read reports it. */
  private failure: Error | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string = db.name,
  ) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Called after every commit of deferred writes. */
  onCommit(listener: () => void): void {
    this.committed.push(listener);
  }

  defer(write: () => void): void {
    if (this.failure) throw this.failure;
    this.pending.push(write);
    // A loop that never yields (an instant model) must not grow the queue without bound.
    if (this.pending.length >= MAX_PENDING_WRITES) this.flush();
    else if (!this.cancelScheduledFlush) {
      const wait = this.lastCommitAt + FLUSH_INTERVAL_MS - performance.now();
      if (wait <= 0) {
        const immediate = setImmediate(this.scheduledFlush);
        this.cancelScheduledFlush = () => clearImmediate(immediate);
      } else {
        const timer = setTimeout(this.scheduledFlush, wait);
        this.cancelScheduledFlush = () => clearTimeout(timer);
      }
    }
  }

  /** A flush nobody awaits: a failure is kept and reported by the next write or read. */
  private readonly scheduledFlush = () => {
    try {
      this.flush();
    } catch {
      // kept in this.failure
    }
  };

  flush(): void {
    this.cancelScheduledFlush?.();
    this.cancelScheduledFlush = undefined;
    if (this.failure) throw this.failure;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => {
        for (const write of batch) write();
      })();
    } catch (err) {
      // The batch is dropped: cache entries stay in their journal (replayed by the next process),
      // results are recomputed from the cache.
      this.failure = storageError(err, this.path, 'write the workspace store') ?? (err as Error);
      throw this.failure;
    }
    this.lastCommitAt = performance.now();
    for (const listener of this.committed) listener();
  }
}
