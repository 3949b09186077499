/** Evaluation runs: one per run identity (the canonical hash of its spec), resumable by that identity. */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { SamplingSchema, SPLITS, type Split } from '../../task/schema.ts';
import { FapoError } from '../../util/errors.ts';
import { canonicalHash } from '../../util/hash.ts';
import type { RunRecord, RunSpec, RunState } from '../types.ts';
import { now, toJson } from './database.ts';

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
  toolsFingerprint: z.string().optional(),
  judgeModel: z.string().optional(),
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

export class RunStore {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      byId: db.prepare('SELECT id, spec, state, created_at, finished_at FROM runs WHERE id = ?'),
      insert: db.prepare('INSERT INTO runs (id, variant, split, spec, state, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      setState: db.prepare('UPDATE runs SET state = ?, finished_at = ? WHERE id = ?'),
      list: db.prepare(
        `SELECT id, spec, state, created_at, finished_at FROM runs
         WHERE (@variant IS NULL OR variant = @variant) AND (@split IS NULL OR split = @split) ORDER BY seq`,
      ),
    };
  }

  /** sha256 of the canonical JSON of the spec without `purpose`: the same spec resumes the same run. */
  identity(spec: RunSpec): string {
    const { purpose: _purpose, ...identity } = validateSpec(spec);
    return canonicalHash(identity);
  }

  /** Returns the run with this spec's identity, creating it (state `running`) if there is none. */
  open(spec: RunSpec): RunRecord {
    const valid = validateSpec(spec);
    const id = this.identity(valid);
    return this.db.transaction(() => {
      const existing = this.get(id);
      if (existing) return existing;
      this.stmt.insert.run(id, valid.variant, valid.split, toJson(valid, `run spec ${id}`), 'running', now());
      return this.require(id);
    })();
  }

  setState(id: string, state: RunState): RunRecord {
    const finishedAt = state === 'running' ? null : now();
    if (this.stmt.setState.run(state, finishedAt, id).changes === 0) throw unknownRun(id);
    return this.require(id);
  }

  get(id: string): RunRecord | undefined {
    const row = this.stmt.byId.get(id);
    return row ? parseRunRow(row) : undefined;
  }

  require(id: string): RunRecord {
    const run = this.get(id);
    if (!run) throw unknownRun(id);
    return run;
  }

  /** Runs in creation order, optionally of one variant hash and/or split. */
  list(filter: { variantHash?: string; split?: Split } = {}): RunRecord[] {
    return this.stmt.list.all({ variant: filter.variantHash ?? null, split: filter.split ?? null }).map(parseRunRow);
  }
}

function validateSpec(spec: RunSpec): RunSpec {
  const parsed = RunSpecSchema.safeParse(spec);
  if (!parsed.success) throw new FapoError(`invalid run spec:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function unknownRun(id: string): FapoError {
  return new FapoError(`no run with id ${id} in this workspace`, 'list runs with `fapo runs`');
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
