/** `fapo bench`: every (task, model, strategy, trial) cell, then the study's table. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { SessionConfig } from '../optimize/session.ts';
import type { Strategy } from '../optimize/strategy.ts';
import { PAPER_BUDGETS, type PaperBudget } from '../optimize/gepa/options.ts';
import { FapoError } from '../util/errors.ts';
import {
  type BenchStrategy,
  type CellKey,
  type CellResult,
  NotApplicableError,
  label,
  runCell,
  shippedStartingPoint,
  type StartingPoint,
} from './cells.ts';
import type { BenchmarkTask } from './data/types.ts';
import { buildStudyTable, renderStudyMarkdown, type StudyTable } from './table.ts';

export interface BenchOptions {
  tasks: BenchmarkTask[];
  strategies: BenchStrategy[];
  taskModels: string[];
  optimizerModel?: string;
  trials: number;
  /** `paper`: GEPA's per-task metric-call budgets; a number: that many metric calls for GEPA. */
  budget: 'paper' | number;
  /** FAPO's budget (the study's: 50 variants, 10 rounds). */
  maxVariants: number;
  maxRounds: number;
  /** Judge model that re-scores PUPA's test outputs (reported as the pseudo-task `pupa-judged`). */
  pupaJudge?: string;
  /** FAPO proposer: `agent` (needs the optimizer model) or the model-free `rules`. */
  proposer: 'agent' | 'rules';
  limit?: number;
  outDir: string;
  concurrency: number;
  sandbox: boolean;
  caseTimeoutMs?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** Builds the session config the way `fapo optimize` does, from its flags. */
  sessionConfig: (flags: SessionFlags) => SessionConfig;
  strategyFactory: (name: string) => ((options: Record<string, unknown>) => Strategy) | undefined;
  /** Baseline cells evaluate the test split through provider batch jobs, polled this often. */
  batch?: { pollMs: number };
  log?: (line: string) => void;
  /**
   * Runs a cell elsewhere (`fapo worker --bench-out`, src/bench/queue.ts); cells then run all at once
   * and each result is also written here, so a re-run reads it back.
   */
  remoteCell?: (key: CellKey) => Promise<CellResult>;
}

/** The subset of `fapo optimize` flags a bench cell sets. */
export interface SessionFlags {
  strategy: string;
  proposer: string;
  trials: string;
  seed: string;
  model: string;
  optimizerModel?: string;
  concurrency: string;
  maxVariants: string;
  maxRounds: string;
  accept: string;
  analyst: boolean;
  reviewer: boolean;
  sandbox: boolean;
  caseTimeout?: string;
  maxMetricCalls?: string;
  gepaBudget?: string;
  timeout?: string;
  maxRetries?: string;
}

export interface BenchOutcome {
  cells: CellResult[];
  table: StudyTable;
  markdownPath: string;
  jsonPath: string;
}

/** GEPA's paper budget name for a shipped task; CTIBench was not in the GEPA study. */
export function paperBudgetKey(task: BenchmarkTask): PaperBudget | undefined {
  const key = task === 'livebench-math' ? 'livebench' : task;
  return key in PAPER_BUDGETS ? (key as PaperBudget) : undefined;
}

export function planCells(o: Pick<BenchOptions, 'tasks' | 'taskModels' | 'strategies' | 'trials'>): CellKey[] {
  const cells: CellKey[] = [];
  for (const task of o.tasks)
    for (const model of o.taskModels)
      for (const strategy of o.strategies)
        for (let trial = 0; trial < o.trials; trial++) cells.push({ task, model, strategy, trial });
  return cells;
}

export function cellSessionConfig(
  o: Pick<
    BenchOptions,
    | 'budget'
    | 'proposer'
    | 'optimizerModel'
    | 'concurrency'
    | 'maxVariants'
    | 'maxRounds'
    | 'sandbox'
    | 'caseTimeoutMs'
    | 'sessionConfig'
    | 'timeoutMs'
    | 'maxRetries'
  >,
  key: CellKey,
): SessionConfig {
  const gepaBudget: Partial<SessionFlags> = {};
  if (key.strategy === 'gepa') {
    if (o.budget === 'paper') {
      const name = paperBudgetKey(key.task);
      if (!name)
        throw new NotApplicableError(
          `GEPA has no paper budget for ${key.task} (not part of the GEPA study); pass --budget N to run it anyway`,
        );
      gepaBudget.gepaBudget = name;
    } else {
      gepaBudget.maxMetricCalls = String(o.budget);
    }
  }
  return o.sessionConfig({
    strategy: key.strategy,
    proposer: o.proposer,
    // One evaluation per case and variant inside a session; independence comes from the bench trials.
    trials: '1',
    seed: String(key.trial),
    model: key.model,
    ...(o.optimizerModel ? { optimizerModel: o.optimizerModel } : {}),
    concurrency: String(o.concurrency),
    maxVariants: String(o.maxVariants),
    maxRounds: String(o.maxRounds),
    accept: 'mean',
    analyst: true,
    reviewer: true,
    sandbox: o.sandbox,
    ...(o.caseTimeoutMs ? { caseTimeout: String(o.caseTimeoutMs / 1000) } : {}),
    ...(o.timeoutMs !== undefined ? { timeout: String(o.timeoutMs) } : {}),
    ...(o.maxRetries !== undefined ? { maxRetries: String(o.maxRetries) } : {}),
    ...gepaBudget,
  });
}

export async function runBench(o: BenchOptions): Promise<BenchOutcome> {
  if (o.proposer === 'agent' && o.strategies.includes('fapo') && !o.optimizerModel) {
    throw new FapoError(
      'the agent proposer needs --optimizer-model',
      'Pass --optimizer-model provider:model, or --proposer rules for the model-free proposer.',
    );
  }
  const outDir = resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  pinSettings(outDir, o);
  const starts = new Map<BenchmarkTask, StartingPoint>();
  for (const task of o.tasks) starts.set(task, await shippedStartingPoint(task));
  const cells: CellResult[] = [];
  const keys = planCells(o);
  // Remote cells all start at once (the workers bound the parallelism); results are taken in plan order.
  const remote = o.remoteCell ? keys.map((key) => o.remoteCell!(key)) : undefined;
  // Awaited below in order: a later cell's rejection must not count as unhandled meanwhile.
  for (const p of remote ?? []) p.catch(() => {});
  for (const [i, key] of keys.entries()) {
    const started = performance.now();
    const result = remote
      ? await remote[i]!
      : await runCell(key, {
          outDir,
          ...(o.limit !== undefined ? { limit: o.limit } : {}),
          sandbox: o.sandbox,
          ...(o.caseTimeoutMs ? { caseTimeoutMs: o.caseTimeoutMs } : {}),
          concurrency: o.concurrency,
          ...callLimits(o),
          sessionConfig: (k) => cellSessionConfig(o, k),
          strategyFactory: o.strategyFactory,
          ...(o.pupaJudge ? { pupaJudge: o.pupaJudge } : {}),
          ...(o.batch ? { batch: o.batch } : {}),
          ...(o.log ? { log: o.log } : {}),
        });
    checkFairness(result, starts.get(key.task)!);
    cells.push(result);
    o.log?.(
      `${label(key)}: ${result.status === 'complete' ? `test ${result.test?.mean === null ? 'n/a' : (100 * (result.test?.mean ?? 0)).toFixed(1)} (${((performance.now() - started) / 1000).toFixed(1)} s)` : `not available: ${result.reason}`}`,
    );
  }
  const table = buildStudyTable(cells);
  const header = {
    taskModels: o.taskModels,
    ...(o.optimizerModel ? { optimizerModel: o.optimizerModel } : {}),
    ...(o.pupaJudge ? { pupaJudge: o.pupaJudge } : {}),
    budget:
      o.budget === 'paper'
        ? 'paper (GEPA per-task metric calls; FAPO 50 variants / 10 rounds)'
        : `GEPA ${o.budget} metric calls; FAPO ${o.maxVariants} variants / ${o.maxRounds} rounds`,
    trials: o.trials,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    generatedAt: new Date().toISOString(),
  };
  const markdownPath = join(outDir, 'bench-table.md');
  const jsonPath = join(outDir, 'bench-table.json');
  writeFileSync(markdownPath, renderStudyMarkdown(table, header));
  writeFileSync(jsonPath, `${JSON.stringify({ header, table, cells }, null, 2)}\n`);
  return { cells, table, markdownPath, jsonPath };
}

const SETTINGS_FILE = 'bench-settings.json';

/**
 * The settings every cell of an output folder shares. Finished cells are read back on a re-run, so
 * mixing cells made under another budget or case limit into one table is refused. Tasks, models,
 * strategies and trials may grow: they only add cells.
 */
/** The per-call time limit and retries given, to pass on to the cells. */
export function callLimits(o: { timeoutMs?: number; maxRetries?: number }): {
  timeoutMs?: number;
  maxRetries?: number;
} {
  return {
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
  };
}

function pinSettings(outDir: string, o: BenchOptions): void {
  const settings = {
    budget: o.budget,
    maxVariants: o.maxVariants,
    maxRounds: o.maxRounds,
    proposer: o.proposer,
    optimizerModel: o.optimizerModel ?? null,
    limit: o.limit ?? null,
    pupaJudge: o.pupaJudge ?? null,
  };
  const path = join(outDir, SETTINGS_FILE);
  if (existsSync(path)) {
    const pinned: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isDeepStrictEqual(pinned, settings)) {
      throw new FapoError(
        `${outDir} holds cells made with other settings: ${JSON.stringify(pinned)}, now ${JSON.stringify(settings)}`,
        'Re-run with the same budget, limit, proposer, optimizer model and PUPA judge, or pass another --out.',
      );
    }
    return;
  }
  writeFileSync(path, `${JSON.stringify(settings, null, 2)}\n`);
}

/** Fairness rules, checked on every completed cell; a breach stops the bench rather than skew the table. */
export function checkFairness(cell: CellResult, start: StartingPoint): void {
  if (cell.status !== 'complete' || !cell.fairness) return;
  const f = cell.fairness;
  const where = label(cell);
  const fix = 'Delete the cell folder under --out so it is copied afresh from benchmarks/.';
  if (f.baselineHash !== start.baselineHash)
    throw new FapoError(`${where}: started from a different chain/prompts/params than the shipped baseline`, fix);
  if (!isDeepStrictEqual(f.sampling, start.sampling))
    throw new FapoError(
      `${where}: ran with sampling ${JSON.stringify(f.sampling)}, not the shipped ${JSON.stringify(start.sampling)}`,
      fix,
    );
  if (f.model !== cell.model) throw new FapoError(`${where}: ran task model ${f.model}, not ${cell.model}`);
  if (cell.strategy !== 'baseline' && f.testEvaluations > 2) {
    throw new FapoError(
      `${where}: the session evaluated test ${f.testEvaluations} times; only the baseline and the selected variant may be, once, after the search`,
    );
  }
}
