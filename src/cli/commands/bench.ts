import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BENCH_STRATEGIES, type BenchStrategy } from '../../bench/cells.ts';
import { runIfbenchVerify } from '../../bench/ifbench/index.ts';
import { openRemoteCells, type CellSettings } from '../../bench/queue.ts';
import { runBench, type SessionFlags } from '../../bench/run.ts';
import { redisOptions } from '../../scale/redis.ts';
import { parseBenchmarkTasks } from '../../bench/workspace.ts';
import { FapoError } from '../../util/errors.ts';
import { caseTimeoutMs, parseNonNegativeInt, parsePositiveInt } from './eval.ts';
import { strategyFactory } from '../../optimize/strategies.ts';
import { type OptimizeFlags, sessionConfig } from './optimize.ts';

export interface BenchFlags {
  tasks?: string;
  strategies: string;
  taskModel?: string;
  optimizerModel?: string;
  pupaJudge?: string;
  trials: string;
  budget: string;
  maxVariants: string;
  maxRounds: string;
  proposer?: string;
  limit?: string;
  out: string;
  concurrency: string;
  sandbox: boolean;
  caseTimeout?: string;
  json?: boolean;
  queue?: string;
  batch?: boolean;
  batchPoll?: string;
  timeout?: string;
  maxRetries?: string;
}

function parseStrategies(list: string): BenchStrategy[] {
  const names = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  for (const n of names) {
    if (!(BENCH_STRATEGIES as readonly string[]).includes(n))
      throw new FapoError(`unknown strategy "${n}"`, `Use a comma-separated list of ${BENCH_STRATEGIES.join(', ')}.`);
  }
  if (names.length === 0) throw new FapoError('--strategies names no strategy');
  return names as BenchStrategy[];
}

function batchPollMs(value = '30'): number {
  const seconds = Number(value);
  if (!(seconds > 0)) throw new FapoError(`--batch-poll must be a positive number of seconds, got "${value}"`);
  return seconds * 1000;
}

function parseBudget(value: string): 'paper' | number {
  return value === 'paper' ? 'paper' : parsePositiveInt('budget', value);
}

export const benchSessionConfig = (f: SessionFlags) => sessionConfig(f as OptimizeFlags);

export function benchStrategyFactory(name: string) {
  try {
    return strategyFactory(name);
  } catch {
    return undefined;
  }
}

/** `fapo bench`: runs (or resumes) every cell and writes the study's table; returns the exit code. */
export async function benchCommand(flags: BenchFlags): Promise<number> {
  // Checked here rather than by commander, whose required options would also bind `bench ifbench-verify`.
  if (!flags.tasks)
    throw new FapoError(
      'fapo bench needs --tasks',
      'e.g. --tasks hotpotqa,hover,ifbench,pupa,aime,livebench-math,ctibench',
    );
  if (!flags.taskModel)
    throw new FapoError(
      'fapo bench needs --task-model',
      'e.g. --task-model openai:gpt-4.1-mini (sim:echo for an offline smoke run)',
    );
  const proposer = flags.proposer ?? (flags.optimizerModel ? 'agent' : 'rules');
  if (proposer !== 'agent' && proposer !== 'rules')
    throw new FapoError(`--proposer must be "agent" or "rules", got "${proposer}"`);
  const taskModels = flags.taskModel
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (taskModels.length === 0)
    throw new FapoError('--task-model names no model', 'Pass --task-model provider:model (several: comma-separated).');
  const settings: CellSettings = {
    budget: parseBudget(flags.budget),
    maxVariants: parsePositiveInt('max-variants', flags.maxVariants),
    maxRounds: parsePositiveInt('max-rounds', flags.maxRounds),
    proposer,
    ...(flags.optimizerModel ? { optimizerModel: flags.optimizerModel } : {}),
    ...(flags.limit ? { limit: parsePositiveInt('limit', flags.limit) } : {}),
    ...(flags.pupaJudge ? { pupaJudge: flags.pupaJudge } : {}),
    concurrency: parsePositiveInt('concurrency', flags.concurrency),
    sandbox: flags.sandbox,
    ...(flags.caseTimeout ? { caseTimeoutMs: caseTimeoutMs(flags.caseTimeout) } : {}),
    ...(flags.timeout ? { timeoutMs: parsePositiveInt('timeout', flags.timeout) } : {}),
    ...(flags.maxRetries !== undefined ? { maxRetries: parseNonNegativeInt('max-retries', flags.maxRetries) } : {}),
  };
  if (flags.queue) redisOptions(flags.queue); // a bad URL fails before anything is opened
  if (flags.queue && flags.batch)
    throw new FapoError(
      '--batch and --queue cannot be combined yet',
      'Batch jobs are submitted by the process that runs a baseline cell; drop one of the two.',
    );
  const remote = flags.queue ? await openRemoteCells(flags.queue, settings, resolve(flags.out)) : undefined;
  let outcome: Awaited<ReturnType<typeof runBench>>;
  try {
    outcome = await runBench({
      ...settings,
      tasks: parseBenchmarkTasks(flags.tasks),
      strategies: parseStrategies(flags.strategies),
      taskModels,
      trials: parsePositiveInt('trials', flags.trials),
      outDir: flags.out,
      sessionConfig: benchSessionConfig,
      strategyFactory: benchStrategyFactory,
      ...(remote ? { remoteCell: (key) => remote.run(key) } : {}),
      ...(flags.batch ? { batch: { pollMs: batchPollMs(flags.batchPoll) } } : {}),
      ...(flags.json ? {} : { log: (line: string) => console.log(line) }),
    });
  } finally {
    await remote?.close();
  }
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ table: outcome.table, markdown: outcome.markdownPath, json: outcome.jsonPath }, null, 2)}\n`,
    );
  } else {
    console.log('');
    console.log(readFileSync(outcome.markdownPath, 'utf8'));
    console.log(`table: ${outcome.markdownPath}\n       ${outcome.jsonPath}`);
  }
  return 0;
}

export interface IfbenchVerifyFlags {
  input: string;
  output: string;
  loose?: boolean;
  json?: boolean;
}

/** `fapo bench ifbench-verify`: reference-format IFBench results for a `{prompt, response}` file. */
export function ifbenchVerifyCommand(flags: IfbenchVerifyFlags): number {
  const summary = runIfbenchVerify({ input: flags.input, output: flags.output, loose: Boolean(flags.loose) });
  if (summary.skipped.length > 0) {
    console.warn(
      `warning: skipped ${summary.skipped.length} row(s) of ${flags.input} whose prompt is not an IFBench test prompt (edited or foreign): ${summary.skipped
        .map((s) => `row ${s.row} ${JSON.stringify(s.prompt)}`)
        .join('; ')}`,
    );
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  const pct = (a: { followed: number; total: number; accuracy: number }) =>
    `${(100 * a.accuracy).toFixed(1)}% (${a.followed}/${a.total})`;
  console.log(
    `IFBench ${summary.mode}: prompt-level ${pct(summary.promptLevel)}, instruction-level ${pct(summary.instructionLevel)}`,
  );
  console.log(`approximate checkers: ${(100 * summary.approximateShare).toFixed(1)}% of instruction checks`);
  console.log(
    `rows scored: ${summary.promptLevel.total}; skipped (prompt not an IFBench test prompt): ${summary.skipped.length}${summary.skipped.length ? ` (rows ${summary.skipped.map((s) => s.row).join(', ')})` : ''}`,
  );
  console.log(`results: ${flags.output}`);
  return 0;
}
