import { PAPER_BUDGETS } from '../../optimize/gepa/index.ts';
import { DEFAULT_BUDGET, type BudgetOptions } from '../../optimize/budget.ts';
import { type SessionConfig, type SessionOutcome, optimize } from '../../optimize/session.ts';
import { taskCallSavings } from '../../models/meter.ts';
import { describeEvent, type OptimizeEvent } from '../../optimize/events.ts';
import { strategyFactory } from '../../optimize/strategies.ts';
import { formatMeanSd } from '../../eval/artifacts.ts';
import { Store } from '../../eval/store.ts';
import { loadTask } from '../../task/load.ts';
import type { RemoteFactory } from '../../eval/remote.ts';
import { QueueDispatcher } from '../../scale/dispatcher.ts';
import { redisOptions } from '../../scale/redis.ts';
import { FapoError } from '../../util/errors.ts';
import { writeReportFor } from './report.ts';
import { simNotice } from '../format.ts';
import { createProgress } from '../progress.ts';
import { parsePositiveInt } from './eval.ts';

export interface OptimizeFlags {
  strategy: string;
  proposer: string;
  trials: string;
  seed: string;
  model?: string;
  optimizerModel?: string;
  analystModel?: string;
  reviewerModel?: string;
  reflectionModel?: string;
  concurrency: string;
  timeout?: string;
  maxVariants: string;
  maxRounds: string;
  maxTaskCalls?: string;
  maxOptimizerTokens?: string;
  maxCost?: string;
  maxWallTime?: string;
  accept: string;
  target?: string;
  resume?: boolean | string;
  analyst: boolean;
  reviewer: boolean;
  sandbox: boolean;
  json?: boolean;
  maxMetricCalls?: string;
  gepaBudget?: string;
  useMerge?: boolean;
  queue?: string;
}

export function sessionConfig(flags: OptimizeFlags): SessionConfig {
  const num = (name: string, v: string | undefined) => (v === undefined ? undefined : positiveNumber(name, v));
  const budget: BudgetOptions = {
    ...DEFAULT_BUDGET,
    maxVariants: parsePositiveInt('max-variants', flags.maxVariants),
    maxRounds: parsePositiveInt('max-rounds', flags.maxRounds),
    ...(flags.maxTaskCalls ? { maxTaskCalls: parsePositiveInt('max-task-calls', flags.maxTaskCalls) } : {}),
    ...(flags.maxOptimizerTokens
      ? { maxOptimizerTokens: parsePositiveInt('max-optimizer-tokens', flags.maxOptimizerTokens) }
      : {}),
    ...(flags.maxCost ? { maxCostUsd: num('max-cost', flags.maxCost) } : {}),
    ...(flags.maxWallTime ? { maxWallMs: 1000 * num('max-wall-time', flags.maxWallTime)! } : {}),
  };
  if (flags.accept !== 'mean' && flags.accept !== 'significant')
    throw new FapoError(`--accept must be "mean" or "significant", got "${flags.accept}"`);
  const optimizer = flags.optimizerModel;
  const target = num('target', flags.target);
  if (target !== undefined && target > 1) throw new FapoError('--target is a score in [0,1], e.g. 0.8');
  return {
    strategy: flags.strategy,
    trials: parsePositiveInt('trials', flags.trials),
    seed: Number.isInteger(Number(flags.seed)) ? Number(flags.seed) : 0,
    concurrency: parsePositiveInt('concurrency', flags.concurrency),
    ...(flags.timeout ? { timeoutMs: parsePositiveInt('timeout', flags.timeout) } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    budget,
    roles: {
      ...(optimizer ? { proposer: optimizer } : {}),
      ...((flags.analystModel ?? optimizer) && flags.analyst ? { analyst: flags.analystModel ?? optimizer } : {}),
      ...((flags.reviewerModel ?? optimizer) && flags.reviewer ? { reviewer: flags.reviewerModel ?? optimizer } : {}),
      ...((flags.reflectionModel ?? optimizer) ? { reflection: flags.reflectionModel ?? optimizer } : {}),
    },
    accept: flags.accept,
    ...(target !== undefined ? { target } : {}),
    sandbox: flags.sandbox,
    strategyOptions:
      flags.strategy === 'gepa'
        ? gepaOptions(flags)
        : {
            proposer: flags.proposer,
            analyst: flags.analyst,
            reviewerModel: flags.reviewer,
            ...(optimizer ? { proposerModel: optimizer } : {}),
          },
  };
}

function gepaOptions(flags: OptimizeFlags): Record<string, unknown> {
  if (!flags.maxMetricCalls && !flags.gepaBudget) {
    throw new FapoError(
      'GEPA needs a budget in metric calls',
      `Pass --max-metric-calls N or --gepa-budget ${Object.keys(PAPER_BUDGETS).join('|')} (the paper's per-task budgets).`,
    );
  }
  return {
    ...(flags.maxMetricCalls
      ? { maxMetricCalls: parsePositiveInt('max-metric-calls', flags.maxMetricCalls) }
      : { budget: flags.gepaBudget }),
    useMerge: Boolean(flags.useMerge),
    seed: Number(flags.seed) || 0,
  };
}

function positiveNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new FapoError(`--${name} must be a positive number, got "${v}"`);
  return n;
}

export async function runOptimize(
  taskDir: string,
  config: SessionConfig,
  opts: { resume?: boolean | string; quiet?: boolean; queue?: string } = {},
): Promise<SessionOutcome> {
  const progress = opts.quiet ? undefined : createProgress('evaluating');
  let lastLabel = '';
  try {
    return await optimize({
      taskDir,
      config,
      strategy: strategyFactory(config.strategy),
      resume: opts.resume,
      ...(opts.queue ? { remote: queueFactory(opts.queue) } : {}),
      ...(opts.quiet ? {} : { onEvent: printEvent }),
      onProgress: (label, done, total) => {
        if (label !== lastLabel) lastLabel = label;
        if (done === total) return;
        progress?.update(done, total, label);
      },
    });
  } finally {
    progress?.stop();
  }
}

export function printOutcome(outcome: SessionOutcome): void {
  const { result, test, usage } = outcome;
  console.log('');
  console.log(
    `selected: v${result.best.seq} (${result.best.level}) — validation ${formatMeanSd(result.bestValidation.summary)}`,
  );
  console.log(
    `test (evaluated once): baseline ${formatMeanSd(test.baseline.summary)} → selected ${formatMeanSd(test.best.summary)}; Δ ${(100 * test.comparison.delta).toFixed(1)} points, 95% CI [${(100 * test.comparison.ci.low).toFixed(1)}, ${(100 * test.comparison.ci.high).toFixed(1)}], paired permutation p = ${test.comparison.pValue.toFixed(3)}`,
  );
  const calls = taskCallSavings(usage.roles.task);
  console.log(
    `task-model calls paid: ${calls.paid}; avoided by the cache and upstream reuse: ${calls.avoided} (${(100 * (calls.savedFraction ?? 0)).toFixed(0)}% fewer than re-running every variant from scratch)`,
  );
  for (const [role, u] of Object.entries(usage.roles)) {
    if (role === 'task') continue;
    console.log(`${role}: ${u.calls} calls, ${u.inputTokens + u.outputTokens} tokens, $${u.costUsd.toFixed(4)}`);
  }
  console.log(`cost: $${usage.total.costUsd.toFixed(4)}; wall time ${(outcome.wallMs / 1000).toFixed(1)} s`);
}

/** Writes the session report into the workspace and returns its folder. */
export async function saveReport(taskDir: string, outcome: SessionOutcome): Promise<string> {
  const task = await loadTask(taskDir);
  const store = Store.open(task.dir);
  try {
    return writeReportFor(store, task.dir, task.manifest.name, outcome);
  } finally {
    store.close();
  }
}

export async function optimizeCommand(taskDir: string, flags: OptimizeFlags): Promise<number> {
  const config = sessionConfig(flags);
  if (flags.queue) redisOptions(flags.queue); // a bad URL fails before the session starts
  const outcome = await runOptimize(taskDir, config, {
    resume: flags.resume,
    quiet: flags.json,
    ...(flags.queue ? { queue: flags.queue } : {}),
  });
  const reportDir = await saveReport(taskDir, outcome);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          session: outcome.session,
          report: reportDir,
          best: outcome.result.best.hash,
          trajectory: outcome.result.trajectory,
          test: {
            baseline: outcome.test.baseline.summary,
            best: outcome.test.best.summary,
            comparison: outcome.test.comparison,
          },
          usage: outcome.usage,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    printOutcome(outcome);
    console.log(`report: ${reportDir}/report.html (also report.md, report.json, changelog.md, memory.jsonl)`);
    const notice = simNotice(
      [outcome.taskModel, ...Object.values(config.roles)].filter((x): x is string => Boolean(x)),
    );
    if (notice) console.log(notice);
  }
  return 0;
}

/**
 * Task-model evaluations on queue workers: the task-call cap becomes the shared Redis budget (what is
 * left of it in a resumed session) and the workers' calls are booked into the session's meter. A
 * dollar cap over every role cannot be kept across machines yet, so it is refused rather than loosened.
 */
function queueFactory(url: string): RemoteFactory {
  return async ({ taskName, meter, caps }) => {
    if (caps.total?.maxCostUsd !== undefined)
      throw new FapoError(
        '--max-cost is not kept across queue workers yet',
        'Cap the task model with --max-task-calls (shared by the workers), or run without --queue.',
      );
    const taskCalls = caps.byRole?.task?.maxCalls;
    return QueueDispatcher.open({
      url,
      taskName,
      meter,
      budgetRoles: ['task'],
      ...(taskCalls !== undefined ? { budget: { maxCalls: Math.max(0, taskCalls - meter.usage('task').calls) } } : {}),
      log: (line) => console.error(line),
    });
  };
}

function printEvent(event: OptimizeEvent): void {
  for (const line of describeEvent(event)) console.log(line);
}
