/**
 * `fapo eval --batch`: the evaluation's model calls go through the provider's batch API (half price,
 * answers within the provider's window, typically minutes) instead of one request each.
 *
 * A chain's calls depend on earlier answers, so they are batched in waves: each *collection pass*
 * runs every case with a client that answers from the response cache and records each miss instead
 * of calling (the case stops at its first miss; nothing is stored). The misses go into one batch job;
 * its results are replayed into the response cache; the next pass gets one step further in every case.
 * Agent steps make one wave per tool-loop turn; their tools run again in every pass (on a fresh copy
 * of the case's tool environment, as in any evaluation), so tools with outside side effects should
 * not be evaluated with --batch.
 * When a pass finds no miss, the ordinary evaluation runs, entirely from the cache, so results are
 * stored, scored and reported exactly as without --batch. Requests a batch could not answer twice
 * (errors, expiry) are called interactively by that final evaluation, at the standard price.
 *
 * Jobs are kept in the workspace store, so after a kill the rerun first waits for the jobs already
 * submitted (see models/batch/runner.ts): nothing is paid twice.
 */
import { type BatchJob, BatchJobSchema, type BatchJobStore, BatchRunner } from '../models/batch/runner.ts';
import type { BatchRunnerOptions } from '../models/batch/runner.ts';
import type { ModelClient } from '../models/types.ts';
import { FapoError } from '../util/errors.ts';
import { openCase } from './case-run.ts';
import { type EvaluateOptions, type EvaluateOutcome, evaluate } from './runner.ts';
import type { Store } from './store.ts';

const JOB_KIND = 'batch-job';

/** Batch jobs as workspace documents (written synchronously: durable before the provider is called). */
export function storeBatchJobs(store: Store): BatchJobStore {
  return {
    put: (job: BatchJob) => store.putDoc(JOB_KIND, job.id, job),
    list: () => store.listDocs(JOB_KIND, { schema: BatchJobSchema }).map((doc) => doc.value),
  };
}

export interface BatchEvaluateOptions extends EvaluateOptions {
  batch: Omit<BatchRunnerOptions, 'jobs' | 'cache'>;
  /** Most collection passes (default 50): a chain with more sequential model calls finishes interactively. */
  maxPasses?: number;
  onPass?: (pass: { pass: number; submitted: number }) => void;
}

export interface BatchEvaluateOutcome extends EvaluateOutcome {
  batch: BatchRunner['stats'] & { passes: number };
}

export async function evaluateWithBatches(opts: BatchEvaluateOptions): Promise<BatchEvaluateOutcome> {
  if (opts.batch.spec.id !== opts.model.id) {
    throw new FapoError(`--batch: the batch model ${opts.batch.spec.id} is not the task model ${opts.model.id}`);
  }
  const runner = new BatchRunner({ ...opts.batch, cache: opts.store.cache, jobs: storeBatchJobs(opts.store) });
  const maxPasses = opts.maxPasses ?? 50;
  let passes = 0;
  for (;;) {
    await runner.settlePending(); // first: jobs of an interrupted run
    passes++;
    await collectPass(opts, runner.collectingClient());
    if (runner.pendingMisses === 0 || passes > maxPasses) break;
    const submitted = await runner.submitMisses();
    opts.onPass?.({ pass: passes, submitted });
  }
  const outcome = await evaluate(opts);
  return { ...outcome, batch: { ...runner.stats, passes } };
}

/** Runs every case once with the collecting client; outcomes are thrown away (misses are what counts). */
async function collectPass(opts: EvaluateOptions, client: ModelClient): Promise<void> {
  const dataset = opts.task.datasets[opts.split];
  const wanted = opts.caseIds ? new Set(opts.caseIds) : undefined;
  const cases = dataset.cases.filter((c) => !wanted || wanted.has(c.id));
  const context = { ...opts, structure: await opts.executor.describe(opts.variant), model: client };
  const jobs: { c: (typeof cases)[number]; trial: number }[] = [];
  for (let trial = 0; trial < opts.trials; trial++) for (const c of cases) jobs.push({ c, trial });
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { c, trial } = jobs[next++]!;
      const { host, mcp } = openCase(context, c, trial);
      try {
        await opts.executor.run(opts.variant, c.input, host, opts.caseTimeoutMs ?? 300_000);
      } catch {
        // A deferred call (or any other failure) ends the case's pass; the final evaluation reports failures.
      } finally {
        await mcp?.finish();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
}
