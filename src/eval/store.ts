/**
 * The workspace store: one SQLite database per workspace at `<workspace>/.fapo/store.sqlite` holding
 * variants, evaluation runs and their per-case results, the model response cache and generic
 * optimizer documents/events. Every method is synchronous (better-sqlite3).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { StepRecord } from '../chain/types.ts';
import type { CachedResponse, ResponseCache } from '../models/types.ts';
import { LEVELS, SamplingSchema, SPLITS, type Split } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';
import { canonicalHash } from '../util/hash.ts';
import { variantHash } from './variant.ts';
import { CacheJournal } from './cache-journal.ts';
import { CacheKeyIndex } from './cache-key-index.ts';
import { aggregateTrialMeans } from './stats.ts';
import type {
  CaseResult,
  CaseStatus,
  RunRecord,
  RunSpec,
  RunState,
  RunSummary,
  TrialSummary,
  Variant,
} from './types.ts';

export const STORE_SCHEMA_VERSION = 1;
const MAX_PENDING_WRITES = 256;
/** Least spacing of write-behind commits (see Store.pending). */
const FLUSH_INTERVAL_MS = 10;
const CASE_STATUSES = ['ok', 'task_error', 'infra_error', 'scorer_error'] as const satisfies readonly CaseStatus[];
const MIN_PREFIX = 6;

export type NewVariant = Omit<Variant, 'seq' | 'createdAt'> & { createdAt?: string };

// ---- schemas for what is read back from disk -------------------------------------------------------

const VariantBodySchema = z.object({
  parent: z.string().nullable(),
  level: z.enum([...LEVELS, 'baseline']),
  chainPath: z.string(),
  chainSource: z.string(),
  prompts: z.record(z.string(), z.string()),
  params: z.record(z.string(), z.unknown()),
  hypothesis: z.string().optional(),
  technique: z.string().optional(),
  createdBy: z.string(),
  createdAt: z.string(),
});
const VariantRowSchema = z.object({ seq: z.number().int(), hash: z.string(), body: z.string() });

const RunSpecSchema = z.object({
  variant: z.string(),
  split: z.enum(SPLITS),
  trials: z.number().int().positive(),
  model: z.string(),
  sampling: SamplingSchema,
  datasetFingerprint: z.string(),
  scorerFingerprint: z.string().optional(),
  chainFingerprint: z.string().optional(),
  resourceFingerprints: z.record(z.string(), z.string()).optional(),
  fapoVersion: z.string().optional(),
  caseIds: z.array(z.string()),
  purpose: z.string().optional(),
});
const RunRowSchema = z.object({
  id: z.string(),
  spec: z.string(),
  state: z.enum(['running', 'complete', 'failed']),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});

// Steps are written only by this module from StepRecord values; checking their deep shape on every one
// of 60k rows would dominate read time, so only the array-of-objects shape is verified.
const StepRecordsSchema = z.array(z.custom<StepRecord>((s) => typeof s === 'object' && s !== null));
const ResultBodySchema = z.object({
  output: z.unknown(),
  breakdown: z.record(z.string(), z.number()).optional(),
  feedback: z.string().optional(),
  steps: StepRecordsSchema,
  error: z.string().optional(),
  diagnostics: z.array(z.string()),
});
const ResultRowSchema = z.object({
  case_id: z.string(),
  trial: z.number().int(),
  status: z.enum(CASE_STATUSES),
  score: z.number().nullable(),
  latency_ms: z.number(),
  body: z.string(),
});

const CachedResponseSchema = z.object({
  text: z.string(),
  object: z.unknown().optional(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  costUsd: z.number(),
  latencyMs: z.number(),
  modelId: z.string(),
});

const DocRowSchema = z.object({ id: z.string(), value: z.string() });
const EventRowSchema = z.object({ id: z.number().int(), at: z.string(), value: z.string() });

export interface StoredDoc<T> {
  id: string;
  value: T;
}
export interface StoredEvent<T> {
  id: number;
  at: string;
  value: T;
}

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

function now(): string {
  return new Date().toISOString();
}

function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new FapoError(`${what} has no JSON form (got ${typeof value})`);
  return json;
}

function emptyCounts(): Record<CaseStatus, number> {
  return { ok: 0, task_error: 0, infra_error: 0, scorer_error: 0 };
}

/** Key used by `doneKeys`: the NUL separator keeps ("a1", 2) and ("a", 12) apart. */
export function resultKey(caseId: string, trial: number): string {
  return `${caseId}\u0000${trial}`;
}

export class Store {
  readonly path: string;
  readonly cache: ResponseCache;
  private readonly db: Database.Database;
  private readonly casePositions = new Map<string, Map<string, number>>();
  private readonly stmt: ReturnType<typeof prepareStatements>;
  /**
   * Write-behind for the hot path (cache entries, results): writes commit together in one
   * transaction at the end of the event-loop turn (a commit costs ~40–100 µs, a batched write a few
   * µs); when turns are short, commits are spaced at least FLUSH_INTERVAL_MS apart. Cache entries
   * are also appended to a side journal at once, so a paid call survives a SIGKILL; results lost in
   * a kill are recomputed from the cache without model calls. Every read flushes first.
   */
  private pending: (() => void)[] = [];
  private readonly pendingCache = new Map<string, CachedResponse>();
  private readonly journal: CacheJournal;
  private readonly cacheKeys: CacheKeyIndex;
  private cancelScheduledFlush: (() => void) | undefined;
  private lastCommitAt = -Infinity;

  private constructor(path: string, db: Database.Database, journalDir: string) {
    this.path = path;
    this.db = db;
    this.stmt = prepareStatements(db);
    this.journal = new CacheJournal(journalDir);
    this.cacheKeys = new CacheKeyIndex(this.stmt.cacheKeysAfter);
    const put = (key: string, value: CachedResponse): void => {
      const json = toJson(value, `cache entry ${key}`);
      // Durable at once through the journal: a kill must never make the user pay for a call again.
      this.journal.append(key, json);
      this.pendingCache.set(key, value);
      this.cacheKeys.add(key);
      this.defer(() => this.stmt.cachePut.run(key, json));
    };
    const get = (key: string): CachedResponse | undefined => {
      const pending = this.pendingCache.get(key);
      if (pending) return pending;
      if (!this.cacheKeys.has(key)) return undefined;
      const row = this.stmt.cacheGet.get(key) as { value: string } | undefined;
      if (!row) return undefined;
      // An entry from an older format is a miss: the call is redone and the entry overwritten.
      const parsed = CachedResponseSchema.safeParse(JSON.parse(row.value));
      return parsed.success ? parsed.data : undefined;
    };
    this.cache = { get, put };
  }

  static open(workspaceDir: string): Store {
    const dir = join(workspaceDir, '.fapo');
    const path = join(dir, 'store.sqlite');
    let db: Database.Database;
    try {
      mkdirSync(dir, { recursive: true });
      db = new Database(path);
    } catch (err) {
      throw new FapoError(
        `cannot open the workspace store ${path}: ${(err as Error).message}`,
        'check that the workspace directory exists and is writable',
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
      return new Store(path, db, journalDir);
    } catch (err) {
      db.close();
      if (err instanceof FapoError) throw err;
      throw new FapoError(
        `cannot use the workspace store ${path}: ${(err as Error).message}`,
        'move the file away to start a new store',
      );
    }
  }

  close(): void {
    this.flush();
    this.db.close();
    this.journal.close();
  }

  private defer(write: () => void): void {
    this.pending.push(write);
    // A loop that never yields (an instant model) must not grow the queue without bound.
    if (this.pending.length >= MAX_PENDING_WRITES) this.flush();
    else if (!this.cancelScheduledFlush) {
      const wait = this.lastCommitAt + FLUSH_INTERVAL_MS - performance.now();
      if (wait <= 0) {
        const immediate = setImmediate(() => this.flush());
        this.cancelScheduledFlush = () => clearImmediate(immediate);
      } else {
        const timer = setTimeout(() => this.flush(), wait);
        this.cancelScheduledFlush = () => clearTimeout(timer);
      }
    }
  }

  /** Commits deferred writes now (reads and close() call it; callers rarely need to). */
  flush(): void {
    this.cancelScheduledFlush?.();
    this.cancelScheduledFlush = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.db.transaction(() => {
      for (const write of batch) write();
    })();
    this.lastCommitAt = performance.now();
    this.pendingCache.clear();
    this.journal.clear();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- variants ----------------------------------------------------------------------------------

  /** Stores a variant; idempotent by hash (an existing variant is returned unchanged). */
  putVariant(v: NewVariant): Variant {
    const expected = variantHash(v);
    if (v.hash !== expected) {
      throw new FapoError(
        `variant hash ${v.hash} does not match its content (expected ${expected})`,
        'compute the hash with variantHash() from src/eval/variant.ts',
      );
    }
    return this.transaction(() => {
      const existing = this.stmt.variantByHash.get(v.hash);
      if (existing) return parseVariantRow(existing);
      const { hash, ...rest } = v;
      const body = VariantBodySchema.parse({ ...rest, createdAt: v.createdAt ?? now() });
      this.stmt.insertVariant.run(hash, toJson(body, `variant ${hash}`));
      return parseVariantRow(this.stmt.variantByHash.get(hash));
    });
  }

  /**
   * Finds a variant by full hash, unique hash prefix (≥ 6 hex chars), or sequence number (`"3"` or
   * `"v3"`). Digit-only refs shorter than 6 characters are sequence numbers.
   */
  getVariant(ref: string): Variant | undefined {
    const r = ref.trim().toLowerCase();
    const seq = /^v(\d+)$/.exec(r)?.[1] ?? (/^\d{1,5}$/.test(r) ? r : undefined);
    if (seq !== undefined) {
      const row = this.stmt.variantBySeq.get(Number(seq));
      return row ? parseVariantRow(row) : undefined;
    }
    if (!/^[0-9a-f]+$/.test(r) || r.length < MIN_PREFIX) {
      throw new FapoError(
        `"${ref}" is not a variant reference`,
        `use a sequence number (e.g. v1) or at least ${MIN_PREFIX} hex characters of the variant hash`,
      );
    }
    const rows = this.stmt.variantsByPrefix.all(r);
    if (rows.length > 1) {
      throw new FapoError(`variant prefix "${ref}" is ambiguous`, 'type more characters of the hash');
    }
    return rows.length === 1 ? parseVariantRow(rows[0]) : undefined;
  }

  listVariants(): Variant[] {
    return this.stmt.allVariants.all().map(parseVariantRow);
  }

  // ---- runs --------------------------------------------------------------------------------------

  /** sha256 of the canonical JSON of the spec without `purpose`: the same spec resumes the same run. */
  runIdentity(spec: RunSpec): string {
    const { purpose: _purpose, ...identity } = validateSpec(spec);
    return canonicalHash(identity);
  }

  /** Returns the run with this spec's identity, creating it (state `running`) if there is none. */
  openRun(spec: RunSpec): RunRecord {
    const valid = validateSpec(spec);
    const id = this.runIdentity(valid);
    return this.transaction(() => {
      const existing = this.getRun(id);
      if (existing) return existing;
      this.stmt.insertRun.run(id, valid.variant, valid.split, toJson(valid, `run spec ${id}`), 'running', now());
      return this.requireRun(id);
    });
  }

  setRunState(id: string, state: RunState): RunRecord {
    this.flush();
    const finishedAt = state === 'running' ? null : now();
    if (this.stmt.setRunState.run(state, finishedAt, id).changes === 0) throw unknownRun(id);
    return this.requireRun(id);
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.stmt.runById.get(id);
    return row ? parseRunRow(row) : undefined;
  }

  /** Runs in creation order; `variant` may be any variant reference accepted by getVariant. */
  listRuns(filter: { variant?: string; split?: Split } = {}): RunRecord[] {
    const variant = filter.variant === undefined ? null : (this.getVariant(filter.variant)?.hash ?? filter.variant);
    return this.stmt.listRuns.all({ variant, split: filter.split ?? null }).map(parseRunRow);
  }

  // ---- results -----------------------------------------------------------------------------------

  /** Inserts or replaces the result of (case, trial) in a run. */
  /** Stores one result (upsert on case and trial); it commits at the end of the event-loop turn. */
  putResult(runId: string, r: CaseResult): void {
    this.defer(this.resultWriter(runId, r));
  }

  /** Writes all results in one transaction: either all are stored or none. */
  putResults(runId: string, rs: Iterable<CaseResult>): void {
    const writes = [...rs].map((r) => this.resultWriter(runId, r));
    this.flush();
    this.transaction(() => {
      for (const write of writes) write();
    });
  }

  /** Validates and serialises a result now (so bad input throws at the call), returning its write. */
  private resultWriter(runId: string, r: CaseResult): () => void {
    const pos = this.casePosition(runId, r.caseId);
    const body = {
      output: r.output,
      breakdown: r.breakdown,
      feedback: r.feedback,
      steps: r.steps,
      error: r.error,
      diagnostics: r.diagnostics,
    };
    const score = r.status === 'ok' ? r.score : null;
    const json = toJson(body, `result of case ${r.caseId}`);
    return () => this.stmt.upsertResult.run(runId, r.caseId, r.trial, pos, r.status, score, r.latencyMs, json);
  }

  /** `resultKey(caseId, trial)` of every result that need not be redone (infra errors are retried). */
  doneKeys(runId: string): Set<string> {
    this.flush();
    const keys = new Set<string>();
    for (const row of this.stmt.doneKeys.iterate(runId) as IterableIterator<{ case_id: string; trial: number }>) {
      keys.add(resultKey(row.case_id, row.trial));
    }
    return keys;
  }

  /**
   * Streams a run's results ordered by trial, then by the case order of the spec. While the iterator
   * is open this connection is busy: collect what you need to write and write it after the loop.
   */
  *results(runId: string): IterableIterator<CaseResult> {
    this.flush();
    for (const row of this.stmt.results.iterate(runId)) yield parseResultRow(row);
  }

  /** Results of the given cases (all of the run's when omitted), ordered like `results`. */
  resultsFor(runId: string, caseIds?: readonly string[]): CaseResult[] {
    this.flush();
    if (caseIds === undefined) return [...this.results(runId)];
    return this.stmt.resultsForCases.all(runId, JSON.stringify(caseIds)).map(parseResultRow);
  }

  /**
   * Per trial: mean score over `ok` results with `task_error` counting as 0, and counts per status.
   * The run mean is the mean of the per-trial means and `sd` their sample SD (n − 1). Infra and
   * scorer errors are counted, never averaged in. `cases` is the number of distinct cases with at least one stored result.
   */
  summarize(runId: string): RunSummary {
    this.flush();
    const run = this.requireRun(runId);
    const rows = this.stmt.trialAggregates.all(runId) as {
      trial: number;
      status: CaseStatus;
      n: number;
      mean: number | null;
    }[];
    const byTrial = new Map<number, TrialSummary>();
    const counts = emptyCounts();
    for (const row of rows) {
      const t = byTrial.get(row.trial) ?? { trial: row.trial, mean: null, counts: emptyCounts() };
      t.counts[row.status] += row.n;
      counts[row.status] += row.n;
      byTrial.set(row.trial, t);
      if (row.status === 'ok') t.mean = row.mean;
    }
    // A chain that crashes (task_error) failed the case: it scores 0, or a variant could look better
    // by crashing on hard cases. Infrastructure and scorer errors say nothing about the variant.
    for (const t of byTrial.values()) {
      const ok = t.counts.ok;
      const failed = t.counts.task_error;
      if (ok + failed > 0) t.mean = ((t.mean ?? 0) * ok) / (ok + failed);
    }
    const trials = [...byTrial.values()];
    const { mean, sd } = aggregateTrialMeans(trials.map((t) => t.mean));
    const { n: cases } = this.stmt.distinctCases.get(runId) as { n: number };
    return { runId, variant: run.spec.variant, split: run.spec.split, trials, mean, sd, counts, cases };
  }

  // ---- documents and events ----------------------------------------------------------------------

  /** Creates or replaces a document; a replaced document keeps its original position in `listDocs`. */
  putDoc(kind: string, id: string, value: unknown): void {
    this.stmt.docPut.run(kind, id, toJson(value, `${kind} document ${id}`), now());
  }

  /** Reads a document; pass a zod schema to validate it, otherwise the caller's type is trusted. */
  getDoc<T>(kind: string, id: string, schema?: z.ZodType<T>): T | undefined {
    const row = this.stmt.docGet.get(kind, id);
    return row ? parseDoc(kind, DocRowSchema.parse(row), schema).value : undefined;
  }

  /** Documents of a kind in insertion order, optionally only those whose id starts with `prefix`. */
  listDocs<T>(kind: string, opts: { prefix?: string; schema?: z.ZodType<T> } = {}): StoredDoc<T>[] {
    return this.stmt.docList
      .all({ kind, prefix: opts.prefix ?? '' })
      .map((row) => parseDoc(kind, DocRowSchema.parse(row), opts.schema));
  }

  /** Appends to the `kind` log and returns the event id (increasing across all kinds). */
  appendEvent(kind: string, value: unknown): number {
    return Number(this.stmt.eventAppend.run(kind, now(), toJson(value, `${kind} event`)).lastInsertRowid);
  }

  /** Events of a kind in append order; `afterId` returns only newer ones (for tailing). */
  events<T = unknown>(kind: string, opts: { afterId?: number } = {}): StoredEvent<T>[] {
    return this.stmt.eventList.all(kind, opts.afterId ?? 0).map((row) => {
      const e = EventRowSchema.parse(row);
      return { id: e.id, at: e.at, value: JSON.parse(e.value) as T };
    });
  }

  // ---- internals ---------------------------------------------------------------------------------

  private requireRun(id: string): RunRecord {
    const run = this.getRun(id);
    if (!run) throw unknownRun(id);
    return run;
  }

  /** Position of a case in its run's spec, so results stream in evaluation order. */
  private casePosition(runId: string, caseId: string): number {
    let positions = this.casePositions.get(runId);
    if (!positions) {
      positions = new Map(this.requireRun(runId).spec.caseIds.map((id, i) => [id, i]));
      this.casePositions.set(runId, positions);
    }
    const pos = positions.get(caseId);
    if (pos === undefined) {
      throw new FapoError(
        `case ${caseId} is not part of run ${runId}`,
        'results can only be stored for cases in the run spec',
      );
    }
    return pos;
  }
}

function prepareStatements(db: Database.Database) {
  return {
    variantByHash: db.prepare('SELECT seq, hash, body FROM variants WHERE hash = ?'),
    variantBySeq: db.prepare('SELECT seq, hash, body FROM variants WHERE seq = ?'),
    // GLOB is case-sensitive and can use the unique index; the prefix is checked to be hex first.
    variantsByPrefix: db.prepare("SELECT seq, hash, body FROM variants WHERE hash GLOB ? || '*' LIMIT 2"),
    allVariants: db.prepare('SELECT seq, hash, body FROM variants ORDER BY seq'),
    insertVariant: db.prepare('INSERT INTO variants (hash, body) VALUES (?, ?)'),
    runById: db.prepare('SELECT id, spec, state, created_at, finished_at FROM runs WHERE id = ?'),
    insertRun: db.prepare('INSERT INTO runs (id, variant, split, spec, state, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    setRunState: db.prepare('UPDATE runs SET state = ?, finished_at = ? WHERE id = ?'),
    listRuns: db.prepare(
      `SELECT id, spec, state, created_at, finished_at FROM runs
       WHERE (@variant IS NULL OR variant = @variant) AND (@split IS NULL OR split = @split) ORDER BY seq`,
    ),
    upsertResult: db.prepare(
      `INSERT INTO results (run_id, case_id, trial, case_pos, status, score, latency_ms, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, case_id, trial) DO UPDATE SET
         status = excluded.status, score = excluded.score, latency_ms = excluded.latency_ms, body = excluded.body`,
    ),
    doneKeys: db.prepare("SELECT case_id, trial FROM results WHERE run_id = ? AND status != 'infra_error'"),
    results: db.prepare(
      'SELECT case_id, trial, status, score, latency_ms, body FROM results WHERE run_id = ? ORDER BY trial, case_pos',
    ),
    resultsForCases: db.prepare(
      `SELECT case_id, trial, status, score, latency_ms, body FROM results
       WHERE run_id = ? AND case_id IN (SELECT value FROM json_each(?)) ORDER BY trial, case_pos`,
    ),
    trialAggregates: db.prepare(
      `SELECT trial, status, COUNT(*) AS n, AVG(score) AS mean FROM results
       WHERE run_id = ? GROUP BY trial, status ORDER BY trial`,
    ),
    distinctCases: db.prepare('SELECT COUNT(DISTINCT case_id) AS n FROM results WHERE run_id = ?'),
    cacheGet: db.prepare('SELECT value FROM cache WHERE key = ?'),
    cacheKeysAfter: db.prepare<[number], { rowid: number; key: string }>(
      'SELECT rowid, key FROM cache WHERE rowid > ? ORDER BY rowid',
    ),
    cachePut: db.prepare('INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)'),
    docGet: db.prepare('SELECT id, value FROM docs WHERE kind = ? AND id = ?'),
    docPut: db.prepare(
      `INSERT INTO docs (kind, id, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ),
    docList: db.prepare(
      'SELECT id, value FROM docs WHERE kind = @kind AND substr(id, 1, length(@prefix)) = @prefix ORDER BY seq',
    ),
    eventAppend: db.prepare('INSERT INTO events (kind, at, value) VALUES (?, ?, ?)'),
    eventList: db.prepare('SELECT id, at, value FROM events WHERE kind = ? AND id > ? ORDER BY id'),
  };
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

function validateSpec(spec: RunSpec): RunSpec {
  const parsed = RunSpecSchema.safeParse(spec);
  if (!parsed.success) throw new FapoError(`invalid run spec:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function unknownRun(id: string): FapoError {
  return new FapoError(`no run with id ${id} in this workspace`, 'list runs with `fapo runs`');
}

function parseVariantRow(row: unknown): Variant {
  const { seq, hash, body } = VariantRowSchema.parse(row);
  return { hash, seq, ...VariantBodySchema.parse(JSON.parse(body)) };
}

function parseRunRow(row: unknown): RunRecord {
  const r = RunRowSchema.parse(row);
  const run: RunRecord = {
    id: r.id,
    spec: RunSpecSchema.parse(JSON.parse(r.spec)),
    state: r.state,
    createdAt: r.created_at,
  };
  if (r.finished_at !== null) run.finishedAt = r.finished_at;
  return run;
}

function parseResultRow(row: unknown): CaseResult {
  const r = ResultRowSchema.parse(row);
  const body = ResultBodySchema.parse(JSON.parse(r.body));
  const result: CaseResult = {
    caseId: r.case_id,
    trial: r.trial,
    status: r.status,
    output: body.output,
    score: r.score,
    steps: body.steps,
    diagnostics: body.diagnostics,
    latencyMs: r.latency_ms,
  };
  if (body.breakdown !== undefined) result.breakdown = body.breakdown;
  if (body.feedback !== undefined) result.feedback = body.feedback;
  if (body.error !== undefined) result.error = body.error;
  return result;
}

function parseDoc<T>(kind: string, row: { id: string; value: string }, schema?: z.ZodType<T>): StoredDoc<T> {
  const value: unknown = JSON.parse(row.value);
  if (!schema) return { id: row.id, value: value as T };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new FapoError(`stored ${kind} document ${row.id} is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return { id: row.id, value: parsed.data };
}
