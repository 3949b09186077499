/**
 * One bench cell = (task, task model, strategy, trial). Each cell runs in its own copy of the task
 * workspace under the bench output folder, so its store holds its session, cache and meter; a cell
 * whose result file exists is done, and an unfinished session is resumed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { evaluationInputs, openEnvironment } from '../eval/environment.ts';
import { evaluateWithBatches } from '../eval/batch-eval.ts';
import { type EvaluateOptions, evaluateUntilAnswered, requireAllAnswered } from '../eval/runner.ts';
import { Store } from '../eval/store.ts';
import type { CaseResult, RunSummary } from '../eval/types.ts';
import { baselineVariant, variantHash } from '../eval/variant.ts';
import { type MeterSnapshot, UsageMeter } from '../models/meter.ts';
import { parseModelId } from '../models/model-id.ts';
import { lookupPrice } from '../models/pricing.ts';
import { type SessionConfig, type SessionRecord, optimize } from '../optimize/session.ts';
import type { Strategy } from '../optimize/strategy.ts';
import { readTask } from '../task/load.ts';
import type { Sampling } from '../models/types.ts';
import { FapoError, errorMessage } from '../util/errors.ts';
import type { BenchmarkTask } from './data/types.ts';
import { type JudgedScores, judgePupaRun } from './pupa-judge.ts';
import { benchmarkDir, prepareCellWorkspace } from './workspace.ts';

export const BENCH_STRATEGIES = ['baseline', 'fapo', 'gepa'] as const;
export type BenchStrategy = (typeof BENCH_STRATEGIES)[number];

export interface CellKey {
  task: BenchmarkTask;
  model: string;
  strategy: BenchStrategy;
  trial: number;
}

/** What every strategy must share for the comparison to be fair; checked for every cell. */
export interface Fairness {
  /** Hash of the starting chain + prompts + params (the shipped baseline). */
  baselineHash: string;
  model: string;
  sampling: Sampling;
  caps: Record<string, number>;
  /** Test-split runs in the cell's store: at most 2 (the baseline and the selected variant, after the search). */
  testEvaluations: number;
  /** Case results (search and test) that failed because a variant broke a retrieval cap: the runtime refused them, scored 0. */
  capViolations: number;
}

export interface CellResult extends CellKey {
  status: 'complete' | 'not-available';
  reason?: string;
  test?: Pick<RunSummary, 'mean' | 'sd' | 'cases' | 'counts'>;
  /** Test score per case (mean over the session's trials; task errors count 0). */
  perCase?: Record<string, number>;
  usage?: MeterSnapshot;
  /** Wall time of the run that completed the cell (search, test evaluation, setup). */
  wallMs?: number;
  /** Optimizer cells: wall time of the search, summed over resumed attempts. */
  searchWallMs?: number;
  fairness?: Fairness;
  session?: string;
  selectedVariant?: string;
  stopReason?: string;
  /** The store run holding the test results behind `test` and `perCase`. */
  testRun?: string;
  /** PUPA only, with a judge model: the same test outputs re-scored by the LLM judge. */
  judged?: JudgedScores;
}

const RESULT_FILE = 'bench-cell.json';

/** Where a finished cell's result is written; a cell whose file exists is done. */
export function cellResultPath(outDir: string, key: CellKey): string {
  return join(cellDir(outDir, key), RESULT_FILE);
}

export function cellDir(outDir: string, key: CellKey): string {
  return join(outDir, 'cells', key.task, key.model.replace(/[^\w.-]+/g, '_'), key.strategy, `trial-${key.trial}`);
}

export interface CellRunOptions {
  outDir: string;
  limit?: number;
  sandbox: boolean;
  caseTimeoutMs?: number;
  concurrency: number;
  /** Per model call time limit and retries of the baseline cells (optimizer cells: in their session config). */
  timeoutMs?: number;
  maxRetries?: number;
  /** Session config for optimizer cells (model, seed and strategy are set per cell). */
  sessionConfig?: (key: CellKey) => SessionConfig;
  /** Strategy factory per strategy name; undefined = that strategy is not available in this build. */
  strategyFactory: (name: string) => ((options: Record<string, unknown>) => Strategy) | undefined;
  /** Judge model that re-scores PUPA test outputs (quality and leakage judges). */
  pupaJudge?: string;
  /** Baseline cells: evaluate through provider batch jobs (eval/batch-eval.ts), polled this often. */
  batch?: { pollMs: number };
  log?: (line: string) => void;
}

/** What every strategy of a task must start from: the shipped chain + prompts + params, and its sampling. */
export interface StartingPoint {
  baselineHash: string;
  sampling: Sampling;
}

export async function shippedStartingPoint(task: BenchmarkTask): Promise<StartingPoint> {
  const loaded = await readTask(benchmarkDir(task));
  return { baselineHash: variantHash(baselineVariant(loaded)), sampling: loaded.manifest.sampling };
}

export async function runCell(key: CellKey, opts: CellRunOptions): Promise<CellResult> {
  const dir = cellDir(opts.outDir, key);
  const resultPath = join(dir, RESULT_FILE);
  if (existsSync(resultPath)) return readCellResult(resultPath);
  prepareCellWorkspace(benchmarkDir(key.task), dir, {
    sharedIndexDir: join(opts.outDir, 'indexes'),
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
  });
  const result =
    key.strategy === 'baseline' ? await runBaselineCell(key, dir, opts) : await runOptimizerCell(key, dir, opts);
  if (result.status === 'complete' && key.task === 'pupa' && opts.pupaJudge && result.testRun) {
    opts.log?.(`${label(key)}: judging the test outputs with ${opts.pupaJudge}`);
    result.judged = await judgePupaRun(
      dir,
      result.testRun,
      (await readTask(dir)).datasets.test.cases,
      opts.pupaJudge,
      opts.concurrency,
    );
  }
  if (result.status === 'complete') writeFileSync(resultPath, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function runBaselineCell(key: CellKey, dir: string, opts: CellRunOptions): Promise<CellResult> {
  const started = performance.now();
  const meter = new UsageMeter();
  const env = await openEnvironment(dir, {
    model: key.model,
    concurrency: opts.concurrency,
    sandbox: opts.sandbox,
    ...(opts.caseTimeoutMs ? { caseTimeoutMs: opts.caseTimeoutMs } : {}),
    meter,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
  });
  try {
    const variant = env.store.putVariant(baselineVariant(env.task));
    const evalOptions: EvaluateOptions = {
      ...evaluationInputs(env),
      variant,
      split: 'test',
      trials: 1,
      concurrency: Math.max(opts.concurrency, 4),
      purpose: `bench:baseline:trial-${key.trial}`,
      role: 'test',
    };
    const outcome = opts.batch
      ? await evaluateWithBatches({ ...evalOptions, batch: batchSettings(env.model.id, meter, opts) })
      : await evaluateUntilAnswered(evalOptions);
    requireAllAnswered(outcome, `${label(key)}: the test evaluation`);
    const results = env.store.resultsFor(outcome.run.id);
    return {
      ...key,
      status: 'complete',
      test: pickSummary(outcome.summary),
      perCase: perCaseMeans(results),
      usage: meter.snapshot(),
      wallMs: performance.now() - started,
      fairness: {
        baselineHash: variant.hash,
        model: env.model.id,
        sampling: env.sampling,
        caps: env.task.playbook.caps,
        testEvaluations: 1,
        capViolations: countCapViolations(results),
      },
      testRun: outcome.run.id,
    };
  } finally {
    await env.close();
  }
}

/** The batch runner settings of a cell's task model (priced from the default table). */
function batchSettings(modelId: string, meter: UsageMeter, opts: CellRunOptions) {
  const spec = parseModelId(modelId);
  return {
    spec,
    price: lookupPrice(spec.id).price,
    meter,
    pollMs: opts.batch!.pollMs,
    ...(opts.log ? { log: opts.log } : {}),
  };
}

async function runOptimizerCell(key: CellKey, dir: string, opts: CellRunOptions): Promise<CellResult> {
  const factory = opts.strategyFactory(key.strategy);
  if (!factory)
    return { ...key, status: 'not-available', reason: `the ${key.strategy} strategy is not available in this build` };
  if (!opts.sessionConfig) throw new FapoError(`no session configuration for the ${key.strategy} cells`);
  let config: SessionConfig;
  try {
    config = opts.sessionConfig(key);
  } catch (err) {
    // e.g. GEPA has no paper budget for a task the GEPA study did not include (CTIBench).
    if (err instanceof NotApplicableError) return { ...key, status: 'not-available', reason: err.message };
    throw err;
  }
  const resume = unfinishedSession(dir, key.strategy);
  opts.log?.(`${label(key)}: ${resume ? `resuming session ${resume}` : 'starting'}`);
  const started = performance.now();
  const outcome = await optimize({ taskDir: dir, config, strategy: factory, ...(resume ? { resume } : {}) });
  const wallMs = performance.now() - started;
  const store = Store.open(dir);
  try {
    const sessionRuns = store.listRuns().filter((r) => r.spec.purpose === `optimize:${outcome.session.id}`);
    const testRun = sessionRuns.find((r) => r.spec.split === 'test' && r.spec.variant === outcome.result.best.hash);
    const task = await readTask(dir);
    return {
      ...key,
      status: 'complete',
      test: pickSummary(outcome.test.best.summary),
      perCase: Object.fromEntries(outcome.test.best.perCase),
      usage: outcome.usage,
      wallMs,
      searchWallMs: outcome.wallMs,
      fairness: {
        baselineHash: outcome.baseline.hash,
        // The stored session's config: on resume that is what actually ran.
        model: outcome.taskModel,
        sampling: task.manifest.sampling,
        caps: task.playbook.caps,
        // Counted in the store, not taken from the session: any test run a strategy made by itself shows up here.
        testEvaluations: Math.max(outcome.test.evaluations, store.listRuns({ split: 'test' }).length),
        capViolations: sessionRuns.reduce((n, r) => n + countCapViolations(store.resultsFor(r.id)), 0),
      },
      session: outcome.session.id,
      selectedVariant: outcome.result.best.hash,
      stopReason: outcome.result.stopReason,
      ...(testRun ? { testRun: testRun.id } : {}),
    };
  } finally {
    store.close();
  }
}

/** A strategy that does not apply to a task in the original study (reported, never faked). */
export class NotApplicableError extends FapoError {}

function unfinishedSession(dir: string, strategy: string): string | undefined {
  const store = Store.open(dir);
  try {
    return store
      .listDocs<SessionRecord>('sessions')
      .map((d) => d.value)
      .filter((s) => s.state !== 'complete' && s.config.strategy === strategy)
      .at(-1)?.id;
  } finally {
    store.close();
  }
}

function pickSummary(s: RunSummary): CellResult['test'] {
  return { mean: s.mean, sd: s.sd, cases: s.cases, counts: s.counts };
}

/** Per-case mean over trials, as the optimizer's evaluator computes it: task errors count 0, infra errors are left out. */
export function perCaseMeans(results: readonly CaseResult[]): Record<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  for (const r of results) {
    if (r.status !== 'ok' && r.status !== 'task_error') continue;
    const s = sums.get(r.caseId) ?? { sum: 0, n: 0 };
    s.sum += r.status === 'ok' ? (r.score ?? 0) : 0;
    s.n++;
    sums.set(r.caseId, s);
  }
  return Object.fromEntries([...sums].map(([id, s]) => [id, s.sum / s.n]));
}

const CAP_ERROR = /exceeds (passagesPerHop|hops|totalPassages) cap|retrieval #\d+ exceeds hops cap/;

function countCapViolations(results: readonly CaseResult[]): number {
  return results.filter((r) => r.status === 'task_error' && CAP_ERROR.test(r.error ?? '')).length;
}

export const label = (k: CellKey) => `${k.task} × ${k.model} × ${k.strategy} × trial ${k.trial}`;

export const CellResultSchema = z
  .object({
    task: z.string(),
    model: z.string(),
    strategy: z.enum(BENCH_STRATEGIES),
    trial: z.number().int(),
    status: z.enum(['complete', 'not-available']),
  })
  .passthrough();

export function readCellResult(path: string): CellResult {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FapoError(
      `${path}: unreadable bench cell result: ${errorMessage(err)}`,
      'Delete the file to recompute the cell (its session resumes from the store).',
    );
  }
  const parsed = CellResultSchema.safeParse(raw);
  if (!parsed.success)
    throw new FapoError(
      `${path}: not a bench cell result: ${z.prettifyError(parsed.error)}`,
      'Delete the file to recompute the cell.',
    );
  return parsed.data as unknown as CellResult;
}
