/**
 * The workspace store: one SQLite database per workspace at `<workspace>/.fapo/store.sqlite` holding
 * variants, evaluation runs and their per-case results, the model response cache and generic
 * optimizer documents/events. This facade keeps one API over five stores with one job each
 * (src/eval/store/): variants, runs, results, cache, documents and events. Every method is
 * synchronous (better-sqlite3).
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import type { z } from 'zod';
import { MeterLedger } from '../models/meter-ledger.ts';
import type { ResponseCache } from '../models/types.ts';
import type { Split } from '../task/schema.ts';
import { CacheStore } from './store/cache.ts';
import { openDatabase, WriteBehind } from './store/database.ts';
import { DocumentStore, type StoredDoc, type StoredEvent } from './store/documents.ts';
import { type ResultPage, type ResultPageQuery, ResultStore } from './store/results.ts';
import { RunStore } from './store/runs.ts';
import { type NewVariant, VariantStore } from './store/variants.ts';
import type { CaseResult, RunRecord, RunSpec, RunState, RunSummary, Variant } from './types.ts';

export { STORE_SCHEMA_VERSION } from './store/database.ts';
export type { StoredDoc, StoredEvent } from './store/documents.ts';
export { RESULT_SORTS, type ResultPage, type ResultPageQuery, type ResultSort, resultKey } from './store/results.ts';
export type { NewVariant } from './store/variants.ts';

export class Store {
  readonly path: string;
  readonly cache: ResponseCache;
  private readonly db: Database.Database;
  private readonly writes: WriteBehind;
  private readonly variants: VariantStore;
  private readonly runs: RunStore;
  private readonly resultStore: ResultStore;
  private readonly cacheStore: CacheStore;
  private readonly docs: DocumentStore;

  private constructor(path: string, db: Database.Database, journalDir: string) {
    this.path = path;
    this.db = db;
    this.writes = new WriteBehind(db);
    this.variants = new VariantStore(db);
    this.runs = new RunStore(db);
    this.resultStore = new ResultStore(db, this.writes, this.runs);
    this.cacheStore = new CacheStore(db, this.writes, journalDir);
    this.docs = new DocumentStore(db);
    this.cache = this.cacheStore;
  }

  static open(workspaceDir: string): Store {
    const { path, db, journalDir } = openDatabase(workspaceDir);
    return new Store(path, db, journalDir);
  }

  /** Commits what is pending and closes; after a failed commit (full disk…) it only closes, keeping the journal. */
  close(): void {
    const failed = this.writes.failed;
    if (!failed) this.flush();
    this.db.close();
    this.cacheStore.close(failed);
  }

  /** Commits deferred writes now (reads and close() call it; callers rarely need to). */
  flush(): void {
    this.writes.flush();
  }

  /** Runs `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- variants ----------------------------------------------------------------------------------

  /** Stores a variant; idempotent by hash (an existing variant is returned unchanged). */
  putVariant(v: NewVariant): Variant {
    return this.variants.put(v);
  }

  /** A variant by full hash, unique hash prefix (≥ 6 hex chars), or sequence number (`"3"`, `"v3"`). */
  getVariant(ref: string): Variant | undefined {
    return this.variants.get(ref);
  }

  listVariants(): Variant[] {
    return this.variants.list();
  }

  // ---- runs --------------------------------------------------------------------------------------

  /** sha256 of the canonical JSON of the spec without `purpose`: the same spec resumes the same run. */
  runIdentity(spec: RunSpec): string {
    return this.runs.identity(spec);
  }

  /** Returns the run with this spec's identity, creating it (state `running`) if there is none. */
  openRun(spec: RunSpec): RunRecord {
    return this.runs.open(spec);
  }

  setRunState(id: string, state: RunState): RunRecord {
    this.flush();
    return this.runs.setState(id, state);
  }

  getRun(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  /** Runs in creation order; `variant` may be any variant reference accepted by getVariant. */
  listRuns(filter: { variant?: string; split?: Split } = {}): RunRecord[] {
    const variantHash =
      filter.variant === undefined ? undefined : (this.getVariant(filter.variant)?.hash ?? filter.variant);
    return this.runs.list({
      ...(variantHash !== undefined ? { variantHash } : {}),
      ...(filter.split ? { split: filter.split } : {}),
    });
  }

  // ---- results -----------------------------------------------------------------------------------

  /** Stores one result (upsert on case and trial); it commits at the end of the event-loop turn. */
  putResult(runId: string, r: CaseResult): void {
    this.resultStore.put(runId, r);
  }

  /** Writes all results in one transaction: either all are stored or none. */
  putResults(runId: string, rs: Iterable<CaseResult>): void {
    this.resultStore.putAll(runId, rs);
  }

  /** `resultKey(caseId, trial)` of every result that need not be redone (infra errors are retried). */
  doneKeys(runId: string): Set<string> {
    return this.resultStore.doneKeys(runId);
  }

  /** Streams a run's results ordered by trial, then by the case order of the spec. */
  results(runId: string): IterableIterator<CaseResult> {
    return this.resultStore.stream(runId);
  }

  /** Results of the given cases (all of the run's when omitted), ordered like `results`. */
  resultsFor(runId: string, caseIds?: readonly string[]): CaseResult[] {
    return this.resultStore.forCases(runId, caseIds);
  }

  /** A filtered, sorted page of a run's results (SQL-side paging for large runs). */
  resultsPage(runId: string, query: ResultPageQuery): ResultPage {
    return this.resultStore.page(runId, query);
  }

  /** Per-trial means (task errors count as 0), their mean and sample SD, and counts per status. */
  summarize(runId: string): RunSummary {
    return this.resultStore.summarize(runId);
  }

  // ---- usage ledgers -----------------------------------------------------------------------------

  /** The durable usage ledger of a session or run (`.fapo/meters/<name>.jsonl`), opened for appending. */
  meterLedger(name: string): MeterLedger {
    return MeterLedger.open(this.meterLedgerPath(name));
  }

  /** Drops a finished run's ledger: a later run of the same spec starts from zero. */
  removeMeterLedger(name: string): void {
    rmSync(this.meterLedgerPath(name), { force: true });
  }

  private meterLedgerPath(name: string): string {
    return join(dirname(this.path), 'meters', `${name}.jsonl`);
  }

  // ---- documents and events ----------------------------------------------------------------------

  /** Creates or replaces a document; a replaced document keeps its original position in `listDocs`. */
  putDoc(kind: string, id: string, value: unknown): void {
    this.docs.put(kind, id, value);
  }

  /** Reads a document; pass a zod schema to validate it, otherwise the caller's type is trusted. */
  getDoc<T>(kind: string, id: string, schema?: z.ZodType<T>): T | undefined {
    return this.docs.get(kind, id, schema);
  }

  /** Documents of a kind in insertion order, optionally only those whose id starts with `prefix`. */
  listDocs<T>(kind: string, opts: { prefix?: string; schema?: z.ZodType<T> } = {}): StoredDoc<T>[] {
    return this.docs.list(kind, opts);
  }

  /** Appends to the `kind` log and returns the event id (increasing across all kinds). */
  appendEvent(kind: string, value: unknown): number {
    return this.docs.append(kind, value);
  }

  /** Events of a kind in append order; `afterId` returns only newer ones (for tailing). */
  events<T = unknown>(kind: string, opts: { afterId?: number } = {}): StoredEvent<T>[] {
    return this.docs.events(kind, opts);
  }
}
