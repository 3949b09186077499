/**
 * Per-case results of runs. Puts are write-behind (a result lost in a kill is recomputed from the
 * response cache without model calls); reads flush first and stream in the run's case order.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { StepRecord } from '../../chain/types.ts';
import { FapoError } from '../../util/errors.ts';
import { aggregateTrialMeans } from '../stats.ts';
import type { CaseResult, CaseStatus, RunSummary, TrialSummary } from '../types.ts';
import { toJson, type WriteBehind } from './database.ts';
import type { RunStore } from './runs.ts';

const CASE_STATUSES = ['ok', 'task_error', 'infra_error', 'scorer_error'] as const satisfies readonly CaseStatus[];

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

export const RESULT_SORTS = ['case', 'score', 'latency', 'status'] as const;
export type ResultSort = (typeof RESULT_SORTS)[number];

export interface ResultPageQuery {
  offset: number;
  limit: number;
  status?: CaseStatus;
  /** Substring of the case id or of the stored output, steps and error (case-insensitive for ASCII). */
  search?: string;
  sort?: ResultSort;
  descending?: boolean;
}

/** One page of a run's results, filtered and sorted in SQL (a viewer pages through large runs). */
export interface ResultPage {
  total: number;
  results: CaseResult[];
}

const SORT_COLUMNS: Record<ResultSort, string> = {
  case: 'case_pos, trial',
  score: 'score IS NULL, score',
  latency: 'latency_ms',
  status: 'status, case_pos',
};

/** Key used by `doneKeys`: the NUL separator keeps ("a1", 2) and ("a", 12) apart. */
export function resultKey(caseId: string, trial: number): string {
  return `${caseId}\u0000${trial}`;
}

export class ResultStore {
  private readonly stmt;
  private readonly casePositions = new Map<string, Map<string, number>>();

  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBehind,
    private readonly runs: RunStore,
  ) {
    this.stmt = {
      upsert: db.prepare(
        `INSERT INTO results (run_id, case_id, trial, case_pos, status, score, latency_ms, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, case_id, trial) DO UPDATE SET
           status = excluded.status, score = excluded.score, latency_ms = excluded.latency_ms, body = excluded.body`,
      ),
      doneKeys: db.prepare("SELECT case_id, trial FROM results WHERE run_id = ? AND status != 'infra_error'"),
      inOrder: db.prepare(
        'SELECT case_id, trial, status, score, latency_ms, body FROM results WHERE run_id = ? ORDER BY trial, case_pos',
      ),
      forCases: db.prepare(
        `SELECT case_id, trial, status, score, latency_ms, body FROM results
         WHERE run_id = ? AND case_id IN (SELECT value FROM json_each(?)) ORDER BY trial, case_pos`,
      ),
      trialAggregates: db.prepare(
        `SELECT trial, status, COUNT(*) AS n, AVG(score) AS mean FROM results
         WHERE run_id = ? GROUP BY trial, status ORDER BY trial`,
      ),
      distinctCases: db.prepare('SELECT COUNT(DISTINCT case_id) AS n FROM results WHERE run_id = ?'),
    };
  }

  /** Stores one result (upsert on case and trial); it commits at the end of the event-loop turn. */
  put(runId: string, r: CaseResult): void {
    this.writes.defer(this.writer(runId, r));
  }

  /** Writes all results in one transaction: either all are stored or none. */
  putAll(runId: string, rs: Iterable<CaseResult>): void {
    const writes = [...rs].map((r) => this.writer(runId, r));
    this.writes.flush();
    this.db.transaction(() => {
      for (const write of writes) write();
    })();
  }

  /** `resultKey(caseId, trial)` of every result that need not be redone (infra errors are retried). */
  doneKeys(runId: string): Set<string> {
    this.writes.flush();
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
  *stream(runId: string): IterableIterator<CaseResult> {
    this.writes.flush();
    for (const row of this.stmt.inOrder.iterate(runId)) yield parseResultRow(row);
  }

  /** Results of the given cases (all of the run's when omitted), ordered like `stream`. */
  forCases(runId: string, caseIds?: readonly string[]): CaseResult[] {
    this.writes.flush();
    if (caseIds === undefined) return [...this.stream(runId)];
    return this.stmt.forCases.all(runId, JSON.stringify(caseIds)).map(parseResultRow);
  }

  /** A filtered, sorted page of a run's results, with the number of results the filter matches. */
  page(runId: string, query: ResultPageQuery): ResultPage {
    this.writes.flush();
    const where = ['run_id = @runId'];
    if (query.status) where.push('status = @status');
    // LIKE is case-insensitive for ASCII and scans faster than lower() + instr(); % _ \ are escaped.
    if (query.search) where.push("(case_id LIKE @pattern ESCAPE '\\' OR body LIKE @pattern ESCAPE '\\')");
    const pattern = query.search ? `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const params = { runId, status: query.status ?? null, pattern };
    const filter = where.join(' AND ');
    const { n: total } = this.db.prepare(`SELECT COUNT(*) AS n FROM results WHERE ${filter}`).get(params) as {
      n: number;
    };
    // The ORDER BY comes from a fixed table of columns, never from the query text.
    const order = SORT_COLUMNS[query.sort ?? 'case']
      .split(', ')
      .map((column) => `${column} ${query.descending ? 'DESC' : 'ASC'}`)
      .join(', ');
    const rows = this.db
      .prepare(
        `SELECT case_id, trial, status, score, latency_ms, body FROM results WHERE ${filter}
         ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit: query.limit, offset: query.offset });
    return { total, results: rows.map(parseResultRow) };
  }

  /**
   * Per trial: mean score over `ok` results with `task_error` counting as 0, and counts per status.
   * The run mean is the mean of the per-trial means and `sd` their sample SD (n − 1). Infra and
   * scorer errors are counted, never averaged in. `cases` is the number of distinct cases with at least one stored result.
   */
  summarize(runId: string): RunSummary {
    this.writes.flush();
    const run = this.runs.require(runId);
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

  /** Validates and serialises a result now (so bad input throws at the call), returning its write. */
  private writer(runId: string, r: CaseResult): () => void {
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
    return () => this.stmt.upsert.run(runId, r.caseId, r.trial, pos, r.status, score, r.latencyMs, json);
  }

  /** Position of a case in its run's spec, so results stream in evaluation order. */
  private casePosition(runId: string, caseId: string): number {
    let positions = this.casePositions.get(runId);
    if (!positions) {
      positions = new Map(this.runs.require(runId).spec.caseIds.map((id, i) => [id, i]));
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

function emptyCounts(): Record<CaseStatus, number> {
  return { ok: 0, task_error: 0, infra_error: 0, scorer_error: 0 };
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
