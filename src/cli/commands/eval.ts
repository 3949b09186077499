import { writeRunArtifacts, formatMeanSd } from '../../eval/artifacts.ts';
import { evaluateWithBatches } from '../../eval/batch-eval.ts';
import { evaluationInputs, openEnvironment } from '../../eval/environment.ts';
import { type EvaluateOptions, type EvaluateOutcome, evaluate } from '../../eval/runner.ts';
import { parseModelId } from '../../models/model-id.ts';
import { DEFAULT_PRICES, loadPriceTable, lookupPrice } from '../../models/pricing.ts';
import { resolveVariant } from '../../eval/resolve-variant.ts';
import { type Limits, UsageMeter, type RoleUsage } from '../../models/index.ts';
import { lockWorkspace } from '../../eval/workspace-lock.ts';
import { resolve } from 'node:path';
import { QueueDispatcher } from '../../scale/dispatcher.ts';
import { redisOptions, safeRedisUrl } from '../../scale/redis.ts';
import { SPLITS, type Split } from '../../task/schema.ts';
import type { CaseResult } from '../../eval/types.ts';
import { FapoError } from '../../util/errors.ts';
import { simNotice, table, unsettledNote } from '../format.ts';
import { createProgress } from '../progress.ts';

export interface EvalFlags {
  variant?: string;
  split: string;
  trials: string;
  model?: string;
  judgeModel?: string;
  concurrency: string;
  limit?: string;
  json?: boolean;
  sandbox: boolean;
  caseTimeout?: string;
  prices?: string;
  timeout?: string;
  maxRetries?: string;
  queue?: string;
  maxCalls?: string;
  maxCost?: string;
  rpm?: string;
  tpm?: string;
  modelsConfig?: string;
  batch?: boolean;
  batchPoll?: string;
}

export function parseSplit(value: string): Split {
  if (!(SPLITS as readonly string[]).includes(value))
    throw new FapoError(`unknown split "${value}"`, `Use one of: ${SPLITS.join(', ')}.`);
  return value as Split;
}

export function parsePositiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new FapoError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** `--case-timeout <seconds>`, in ms. */
export function caseTimeoutMs(seconds: string): number {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0)
    throw new FapoError(`--case-timeout must be a positive number of seconds, got "${seconds}"`);
  return Math.round(s * 1000);
}

export function parseNonNegativeInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new FapoError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

interface BatchSummary {
  jobs: number;
  passes: number;
  submitted: number;
  answered: number;
  failed: number;
  costUsd: number;
}

/** The provider prompt cache's share of the input, when it had one. */
function promptCacheNote(usage: { cachedInputTokens: number; cacheWriteTokens: number }): string {
  const parts: string[] = [];
  if (usage.cachedInputTokens > 0) parts.push(`${usage.cachedInputTokens} input read from the provider's prompt cache`);
  if (usage.cacheWriteTokens > 0) parts.push(`${usage.cacheWriteTokens} written to it`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** `fapo eval <task>`: evaluate one variant on one split; returns the process exit code. */
export async function evalCommand(taskDir: string, flags: EvalFlags): Promise<number> {
  const caps = {
    ...(flags.maxCalls ? { maxCalls: parsePositiveInt('max-calls', flags.maxCalls) } : {}),
    ...(flags.maxCost ? { maxCostUsd: parsePositiveNumber('max-cost', flags.maxCost) } : {}),
  };
  if (flags.queue) redisOptions(flags.queue); // a bad URL fails before anything is opened
  if (flags.queue && flags.batch)
    throw new FapoError(
      '--batch and --queue cannot be combined yet',
      'Provider batch jobs are submitted by the coordinator itself; drop one of the two.',
    );
  const lock = lockWorkspace(resolve(taskDir));
  try {
    return await evalLocked(taskDir, flags, caps);
  } finally {
    lock.release();
  }
}

async function evalLocked(taskDir: string, flags: EvalFlags, caps: Limits): Promise<number> {
  const split = parseSplit(flags.split);
  const trials = parsePositiveInt('trials', flags.trials);
  const concurrency = parsePositiveInt('concurrency', flags.concurrency);
  const limit = flags.limit ? parsePositiveInt('limit', flags.limit) : undefined;
  const env = await openEnvironment(taskDir, {
    meter: new UsageMeter({ total: caps }),
    remoteModels: Boolean(flags.queue),
    model: flags.model,
    ...(flags.judgeModel ? { judgeModel: flags.judgeModel } : {}),
    concurrency,
    sandbox: flags.sandbox,
    pricesPath: flags.prices,
    ...(flags.caseTimeout ? { caseTimeoutMs: caseTimeoutMs(flags.caseTimeout) } : {}),
    ...(flags.timeout ? { timeoutMs: parsePositiveInt('timeout', flags.timeout) } : {}),
    ...(flags.maxRetries !== undefined ? { maxRetries: parseNonNegativeInt('max-retries', flags.maxRetries) } : {}),
    ...(flags.rpm ? { rpm: parsePositiveInt('rpm', flags.rpm) } : {}),
    ...(flags.tpm ? { tpm: parsePositiveInt('tpm', flags.tpm) } : {}),
    ...(flags.modelsConfig ? { modelsConfigPath: flags.modelsConfig } : {}),
  });
  let remote: QueueDispatcher | undefined;
  try {
    if (flags.queue) {
      remote = await QueueDispatcher.open({
        url: flags.queue,
        taskName: env.task.manifest.name,
        budget: caps,
        log: (line) => console.error(line),
      });
    }
    const variant = resolveVariant(env.store, env.task, flags.variant);
    const caseIds = limit ? env.task.datasets[split].cases.slice(0, limit).map((c) => c.id) : undefined;
    const progress = flags.json ? undefined : createProgress(`eval v${variant.seq} ${split}`);
    const started = performance.now();
    const evalOptions: EvaluateOptions = {
      ...evaluationInputs(env),
      variant,
      split,
      trials,
      concurrency: Math.max(concurrency, 4),
      caseIds,
      ...(remote ? { remote } : {}),
      purpose: 'eval',
      // The run's spending is durable: a killed and rerun eval keeps its caps and reports it whole.
      onRunOpened: (run) => env.meter.persistTo(env.store.meterLedger(runLedgerName(run.id))),
      onResult: (_r, p) => progress?.update(p.done, p.total),
    };
    let batch: BatchSummary | undefined;
    let outcome: EvaluateOutcome;
    if (flags.batch) {
      const spec = parseModelId(env.model.id);
      const prices = flags.prices ? loadPriceTable(flags.prices) : DEFAULT_PRICES;
      const pollSeconds = Number(flags.batchPoll ?? '30');
      if (!(pollSeconds > 0))
        throw new FapoError(`--batch-poll must be a positive number of seconds, got "${flags.batchPoll}"`);
      const log = flags.json ? undefined : (message: string) => console.error(message);
      const result = await evaluateWithBatches({
        ...evalOptions,
        batch: {
          spec,
          price: lookupPrice(spec.id, prices).price,
          meter: env.meter,
          pollMs: pollSeconds * 1000,
          ...(log ? { log } : {}),
        },
      });
      outcome = result;
      batch = result.batch;
    } else {
      outcome = await evaluate(evalOptions);
    }
    progress?.stop();
    if (outcome.run.state === 'complete') env.store.removeMeterLedger(runLedgerName(outcome.run.id));
    const wallMs = performance.now() - started;
    const usage = remote ? remoteUsage(remote) : env.meter.usage();
    const { dir, report } = await writeRunArtifacts({
      task: env.task,
      store: env.store,
      variant,
      run: outcome.run,
      model: { id: env.model.id, sampling: env.sampling },
      extra: { usage: env.meter.snapshot(), wallMs, sandbox: env.executor.kind },
    });
    const s = outcome.summary;
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            run: outcome.run.id,
            variant: { hash: variant.hash, seq: variant.seq },
            summary: s,
            usage,
            ...(env.judge ? { judge: { model: env.judge.id, usage: env.meter.usage('judge') } } : {}),
            rateLimits: env.rateLimits.stats(),
            ...(batch ? { batch } : {}),
            wallMs,
            resumed: outcome.resumed,
            ...(remote ? { workers: [...remote.workers].sort() } : {}),
            artifacts: dir,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const t = table([
        'variant',
        'split',
        'score (mean ± sd)',
        'trials',
        'ok',
        'task_error',
        'infra_error',
        'scorer_error',
      ]);
      t.push(
        [
          `v${variant.seq} ${variant.hash.slice(0, 8)}`,
          split,
          formatMeanSd(s),
          String(s.trials.length),
          s.counts.ok,
          s.counts.task_error,
          s.counts.infra_error,
          s.counts.scorer_error,
        ].map(String),
      );
      console.log(t.toString());
      const steps = table(['step', 'kind', 'runs', 'mean ms', 'tokens in/out', 'cache hits', 'errors']);
      for (const st of report.steps)
        steps.push(
          [
            st.name,
            st.kind,
            st.runs,
            (st.latencyMs / Math.max(1, st.runs)).toFixed(1),
            `${st.inputTokens}/${st.outputTokens}`,
            st.cacheHits,
            st.errors,
          ].map(String),
        );
      console.log(steps.toString());
      console.log(
        `model calls ${usage.calls} (cache hits ${usage.cacheHits}), tokens ${usage.inputTokens}/${usage.outputTokens}${promptCacheNote(usage)}, cost $${usage.costUsd.toFixed(4)}, wall ${(wallMs / 1000).toFixed(1)} s` +
          (outcome.resumed ? `; resumed: ${outcome.resumed} results kept from an interrupted run` : ''),
      );
      if (env.judge) {
        const j = env.meter.usage('judge');
        console.log(
          `of which judge ${env.judge.id}: calls ${j.calls} (cache hits ${j.cacheHits}), tokens ${j.inputTokens}/${j.outputTokens}, cost $${j.costUsd.toFixed(4)}`,
        );
      }
      const unsettled = unsettledNote(usage);
      if (unsettled) console.log(unsettled);
      if (remote) console.log(`computed by ${remote.workers.size} worker(s) through ${safeRedisUrl(flags.queue!)}`);
      if (batch)
        console.log(
          `batch: ${batch.jobs} job(s) over ${batch.passes} pass(es), ${batch.submitted} requests submitted, ${batch.answered} answered, ${batch.failed} failed; their cost $${batch.costUsd.toFixed(4)} is the batch price (50% of standard)`,
        );
      for (const [id, rl] of Object.entries(env.rateLimits.stats())) {
        if (rl.rejected > 0)
          console.log(
            `${id}: the provider refused ${rl.rejected} of ${rl.admitted} attempts (429/overloaded); concurrency went down to ${rl.minConcurrency}, now ${rl.concurrency}`,
          );
      }
      console.log(`artifacts: ${dir}`);
      const notice = simNotice([env.model.id]);
      if (notice) console.log(notice);
      if (s.counts.infra_error)
        console.error(
          `${s.counts.infra_error} case(s) hit provider errors after retries; they are excluded from the score. Run the same command again to retry them.`,
        );
    }
    const failed = s.counts.task_error + s.counts.scorer_error;
    if (failed > 0) reportCaseErrors(env.store.resultsFor(outcome.run.id), failed, s.counts.ok === 0);
    // A run with no case scored measured nothing: that is a failure, whatever the cause.
    return s.counts.infra_error > 0 || s.counts.ok === 0 ? 1 : 0;
  } finally {
    env.meter.closeLedger();
    await remote?.close();
    await env.close();
  }
}

/** Task and scorer errors, named: the first few, so a broken chain or scorer is seen, not averaged away. */
function reportCaseErrors(results: readonly CaseResult[], failed: number, nothingScored: boolean): void {
  const first = results.filter((r) => r.status === 'task_error' || r.status === 'scorer_error').slice(0, 3);
  console.error(
    nothingScored
      ? `no case was scored: all ${failed} failed in the chain or the scorer. The first errors:`
      : `${failed} case(s) failed in the chain or the scorer (they score no points). The first errors:`,
  );
  for (const r of first)
    console.error(`  ${r.caseId} (trial ${r.trial}, ${r.status}): ${(r.error ?? '').split('\n')[0]}`);
}
const runLedgerName = (runId: string): string => `run-${runId}`;

export function parsePositiveNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new FapoError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

/** The workers' usage in the shape of the local meter's (calls paid, cache hits, tokens, cost). */
function remoteUsage(remote: QueueDispatcher): RoleUsage {
  const u = remote.usage;
  return {
    calls: u.calls,
    cacheHits: u.cacheHits,
    errors: 0,
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    costUsd: u.costUsd,
    savedCostUsd: 0,
    latencyMs: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    unsettledCalls: 0,
    unsettledTokens: 0,
    unsettledCostUsd: 0,
  };
}
