import pLimit from 'p-limit';
import { CaseHost, type RetrievalGuard } from '../chain/host.ts';
import { RetrievalCapError } from '../chain/caps.ts';
import type { ChainExecutor } from '../chain/executor.ts';
import type { McpServers } from '../chain/tools/mcp.ts';
import type { ModelClient, Sampling } from '../models/types.ts';
import type { Retriever } from '../retrieval/types.ts';
import type { Task } from '../task/load.ts';
import type { Case, Split } from '../task/schema.ts';
import { checkScore } from '../task/check-score.ts';
import { BudgetExceededError, FapoError, InfraError, errorMessage } from '../util/errors.ts';
import { FAPO_VERSION } from '../version.js';
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
  purpose?: string;
  /** Accounting role of the model calls (default `task`). */
  role?: string;
  onResult?: (result: CaseResult, progress: { done: number; total: number }) => void;
}

export interface EvaluateOutcome {
  run: RunRecord;
  summary: RunSummary;
  /** Case×trial results computed now (the rest came from an earlier, interrupted attempt). */
  computed: number;
  resumed: number;
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
    caseIds: cases.map((c) => c.id),
    ...(opts.purpose ? { purpose: opts.purpose } : {}),
  };
  const run = store.openRun(spec);
  const done = store.doneKeys(run.id);
  const structure = await opts.executor.describe(variant);
  const jobs: { c: Case; trial: number }[] = [];
  for (let trial = 0; trial < opts.trials; trial++) {
    for (const c of cases) if (!done.has(`${c.id}\u0000${trial}`)) jobs.push({ c, trial });
  }
  const total = cases.length * opts.trials;
  let finished = total - jobs.length;
  const limit = pLimit(Math.max(1, opts.concurrency));
  let fatal: BudgetExceededError | FapoError | undefined;

  const runJob = async ({ c, trial }: { c: Case; trial: number }): Promise<void> => {
    if (fatal) return;
    const mcp = opts.mcp?.forCase();
    const host = new CaseHost(
      {
        structure,
        prompts: variant.prompts,
        params: variant.params,
        model: opts.model,
        sampling: opts.sampling,
        retrievers: opts.retrievers,
        trial,
        retrievalGuard: opts.retrievalGuard,
        role: opts.role,
        ...(mcp ? { mcp } : {}),
      },
      c.input,
    );
    // Every case and trial starts from a fresh copy of the tool environment.
    if (task.tools.environment !== undefined) host.toolState = structuredClone(task.tools.environment);
    const started = performance.now();
    const result: CaseResult = {
      caseId: c.id,
      trial,
      status: 'ok',
      output: null,
      score: null,
      steps: host.records,
      diagnostics: host.diagnostics,
      latencyMs: 0,
    };
    let stopped = false;
    try {
      result.output = await opts.executor.run(variant, c.input, host, opts.caseTimeoutMs ?? 300_000);
    } catch (err) {
      if (err instanceof BudgetExceededError || isConfigError(err)) {
        fatal ??= err as BudgetExceededError | FapoError;
        stopped = true;
      } else {
        result.status = err instanceof InfraError ? 'infra_error' : 'task_error';
        result.error = errorMessage(err);
      }
    }
    // Read the case's MCP server states, and stop its own servers, whatever happened.
    const serverStates = (await mcp?.finish()) ?? {};
    if (stopped) return; // not stored: a resumed run (larger budget, fixed config) does this case
    if (result.status === 'ok') {
      try {
        const scored = checkScore(
          await task.scorer({
            case: c,
            output: result.output,
            steps: host.records,
            ...(host.toolState !== undefined ? { finalState: host.toolState } : {}),
            ...(Object.keys(serverStates).length ? { serverStates } : {}),
          }),
        );
        result.score = scored.score;
        if (scored.breakdown) result.breakdown = scored.breakdown;
        if (scored.feedback) result.feedback = scored.feedback;
      } catch (err) {
        result.status = 'scorer_error';
        result.error = `case "${c.id}" (trial ${trial}): ${errorMessage(err)}`;
      }
    }
    result.latencyMs = performance.now() - started;
    store.putResult(run.id, result);
    finished++;
    opts.onResult?.(result, { done: finished, total });
  };

  await Promise.all(jobs.map((job) => limit(() => runJob(job))));
  if (fatal) {
    store.setRunState(run.id, 'failed');
    throw fatal;
  }
  const summary = store.summarize(run.id);
  store.setRunState(run.id, summary.counts.infra_error > 0 ? 'failed' : 'complete');
  return { run: store.getRun(run.id)!, summary, computed: jobs.length, resumed: total - jobs.length };
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

/**
 * A configuration problem (bad key, unknown model) fails every case the same way: stop the run
 * with the message instead of recording N identical task errors. Errors raised by the chain code
 * itself (a retrieval over the caps, a bad template) stay per-case task errors.
 */
function isConfigError(err: unknown): boolean {
  return err instanceof FapoError && !(err instanceof RetrievalCapError);
}
