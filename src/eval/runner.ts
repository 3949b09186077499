import pLimit from 'p-limit';
import type { RetrievalGuard } from '../chain/host.ts';
import type { ChainExecutor } from '../chain/executor.ts';
import type { McpServers } from '../chain/tools/mcp.ts';
import type { ModelClient, Sampling } from '../models/types.ts';
import type { Retriever } from '../retrieval/types.ts';
import type { Task } from '../task/load.ts';
import type { Case, Split } from '../task/schema.ts';
import { BudgetExceededError, EXIT_CODES, FapoError } from '../util/errors.ts';
import { FAPO_VERSION } from '../version.js';
import { type CaseContext, runCase } from './case-run.ts';
import type { RemoteCases } from './remote.ts';
import type { Store } from './store.ts';
import { chainFingerprint } from './variant.ts';
import type { CaseResult, RunRecord, RunSpec, RunSummary, Variant } from './types.ts';

export interface EvaluateOptions {
  task: Task;
  store: Store;
  variant: Variant;
  split: Split;
  trials: number;
  model: ModelClient;
  sampling: Sampling;
  executor: ChainExecutor;
  retrievers: ReadonlyMap<string, Retriever>;
  /** Cases evaluated at once (each may make several model calls; the model client limits those). */
  concurrency: number;
  /** Evaluate only these cases (in this order); default: the whole split. */
  caseIds?: string[];
  caseTimeoutMs?: number;
  retrievalGuard?: RetrievalGuard;
  /** MCP servers agent steps may use. */
  mcp?: McpServers;
  /** The model judge scorers consult; part of the run's identity (another judge, other scores). */
  judge?: ModelClient;
  purpose?: string;
  /** Accounting role of the model calls (default `task`). */
  role?: string;
  onResult?: (result: CaseResult, progress: { done: number; total: number }) => void;
  /** Called once the run is opened (created or resumed), before any case runs. */
  onRunOpened?: (run: RunRecord) => void;
  /** Compute the cases elsewhere (queue workers, src/scale) instead of with the local executor. */
  remote?: RemoteCases;
}

export interface EvaluateOutcome {
  run: RunRecord;
  summary: RunSummary;
  /** Case×trial results computed now (the rest came from an earlier, interrupted attempt). */
  computed: number;
  resumed: number;
}

/** A budget ran out during an evaluation: the results stored so far are in run `runId`. */
export class RunBudgetExceededError extends BudgetExceededError {
  constructor(
    cause: BudgetExceededError,
    readonly runId: string,
  ) {
    super(cause.budget, cause.message);
  }
}

/**
 * Evaluates a variant on a split × trials. Resumable: results already in the store for the same run
 * spec are kept, infra errors are retried, and the model cache means no completed call is repaid.
 */
export async function evaluate(opts: EvaluateOptions): Promise<EvaluateOutcome> {
  const { task, store, variant, split } = opts;
  const dataset = task.datasets[split];
  const cases = selectCases(dataset.cases, opts.caseIds, dataset.path);
  const spec: RunSpec = {
    variant: variant.hash,
    split,
    trials: opts.trials,
    model: opts.model.id,
    sampling: opts.sampling,
    datasetFingerprint: dataset.fingerprint,
    scorerFingerprint: task.scorerFingerprint,
    chainFingerprint: await chainFingerprint(task.dir, variant),
    fapoVersion: FAPO_VERSION,
    resourceFingerprints: Object.fromEntries(
      [...opts.retrievers].flatMap(([name, r]) => (r.fingerprint ? [[name, r.fingerprint]] : [])),
    ),
    ...(task.tools.fingerprint ? { toolsFingerprint: task.tools.fingerprint } : {}),
    ...(opts.judge ? { judgeModel: opts.judge.id } : {}),
    caseIds: cases.map((c) => c.id),
    ...(opts.purpose ? { purpose: opts.purpose } : {}),
  };
  const run = store.openRun(spec);
  opts.onRunOpened?.(run);
  const done = store.doneKeys(run.id);
  const structure = await opts.executor.describe(variant);
  const jobs: { c: Case; trial: number }[] = [];
  for (let trial = 0; trial < opts.trials; trial++) {
    for (const c of cases) if (!done.has(`${c.id}\u0000${trial}`)) jobs.push({ c, trial });
  }
  const total = cases.length * opts.trials;
  let finished = total - jobs.length;
  // Remote cases queue on the workers' side: enqueue them all so every worker has work at once.
  const limit = pLimit(opts.remote ? Number.POSITIVE_INFINITY : Math.max(1, opts.concurrency));
  let fatal: BudgetExceededError | FapoError | undefined;

  const ctx: CaseContext = {
    task,
    variant,
    structure,
    model: opts.model,
    sampling: opts.sampling,
    executor: opts.executor,
    retrievers: opts.retrievers,
    caseTimeoutMs: opts.caseTimeoutMs,
    retrievalGuard: opts.retrievalGuard,
    role: opts.role,
    ...(opts.mcp ? { mcp: opts.mcp } : {}),
    ...(opts.judge ? { judge: opts.judge } : {}),
  };
  const runJob = async ({ c, trial }: { c: Case; trial: number }): Promise<void> => {
    if (fatal) return;
    const outcome = opts.remote
      ? await opts.remote.run({
          runId: run.id,
          spec,
          variant,
          case: c,
          trial,
          model: opts.model.id,
          sampling: opts.sampling,
          ...(opts.judge ? { judge: opts.judge.id } : {}),
          ...(opts.role ? { role: opts.role } : {}),
          ...(opts.caseTimeoutMs ? { caseTimeoutMs: opts.caseTimeoutMs } : {}),
        })
      : await runCase(ctx, c, trial);
    if ('fatal' in outcome) {
      fatal ??= outcome.fatal;
      return; // not stored: a resumed run (larger budget, fixed config) does this case
    }
    try {
      store.putResult(run.id, outcome.result);
    } catch (err) {
      // The store cannot be written (full disk, read-only): stop starting cases that would pay
      // for answers nobody can keep.
      if (!(err instanceof FapoError)) throw err;
      fatal ??= err;
      return;
    }
    finished++;
    opts.onResult?.(outcome.result, { done: finished, total });
  };

  await Promise.all(jobs.map((job) => limit(() => runJob(job))));
  if (fatal) {
    if (fatal instanceof FapoError && fatal.exitCode === EXIT_CODES.storage) throw fatal;
    store.setRunState(run.id, 'failed');
    throw fatal instanceof BudgetExceededError ? new RunBudgetExceededError(fatal, run.id) : fatal;
  }
  const summary = store.summarize(run.id);
  store.setRunState(run.id, summary.counts.infra_error > 0 ? 'failed' : 'complete');
  return { run: store.getRun(run.id)!, summary, computed: jobs.length, resumed: total - jobs.length };
}

/** Rounds of `evaluateUntilAnswered` after the first, and the pause before the first of them (doubling). */
export const INFRA_RETRY_ROUNDS = 3;
const INFRA_RETRY_PAUSE_MS = 1_000;

/**
 * Evaluates, then evaluates again (the run resumes: only the cases left with provider errors are
 * redone) while provider errors remain, pausing longer each round: an outage of a few seconds, or
 * faults that outlast one call's retries, cost a case nothing but time.
 */
export async function evaluateUntilAnswered(
  opts: EvaluateOptions,
  retry: { rounds?: number; pauseMs?: number } = {},
): Promise<EvaluateOutcome> {
  const rounds = retry.rounds ?? INFRA_RETRY_ROUNDS;
  let pause = retry.pauseMs ?? INFRA_RETRY_PAUSE_MS;
  let outcome = await evaluate(opts);
  for (let round = 0; round < rounds && outcome.summary.counts.infra_error > 0; round++) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause *= 2;
    const again = await evaluate(opts);
    outcome = { ...again, computed: outcome.computed + again.computed, resumed: outcome.resumed };
  }
  return outcome;
}

/**
 * A test figure must cover the whole split: one over fewer cases would be compared with figures over
 * all of them. Thrown (the session stays resumable) when provider errors outlasted every retry.
 */
export function requireAllAnswered(outcome: EvaluateOutcome, what: string): void {
  const missing = outcome.summary.counts.infra_error;
  if (missing === 0) return;
  const total = outcome.run.spec.caseIds.length * outcome.run.spec.trials;
  throw new FapoError(
    `${what}: ${missing} of ${total} case runs got no answer from the provider after every retry, so its figure would cover only ${total - missing} of them`,
    'Nothing is lost: run the same command again (with --resume for a session) to retry only those cases.',
    EXIT_CODES.incomplete,
  );
}

function selectCases(all: Case[], ids: string[] | undefined, path: string): Case[] {
  if (!ids) return all;
  const byId = new Map(all.map((c) => [c.id, c]));
  return ids.map((id) => {
    const c = byId.get(id);
    if (!c) throw new FapoError(`case "${id}" is not in ${path}`);
    return c;
  });
}
