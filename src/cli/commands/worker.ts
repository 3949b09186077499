import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { type CellKey, runCell } from '../../bench/cells.ts';
import { type CellSettings, startCellWorker } from '../../bench/queue.ts';
import { callLimits, cellSessionConfig } from '../../bench/run.ts';
import { startWorker } from '../../scale/worker.ts';
import { FapoError } from '../../util/errors.ts';
import { benchSessionConfig, benchStrategyFactory } from './bench.ts';
import { redisOptions, safeRedisUrl } from '../../scale/redis.ts';
import { parseNonNegativeInt, parsePositiveInt } from './eval.ts';

export interface WorkerFlags {
  queue: string;
  concurrency: string;
  modelConcurrency: string;
  lockMs: string;
  stalledMs?: string;
  maxStalled: string;
  prices?: string;
  timeout?: string;
  maxRetries?: string;
  sandbox: boolean;
  benchOut?: string;
}

/** `fapo worker <tasks...> --queue redis://…`: serves case jobs until SIGINT/SIGTERM; returns the exit code. */
export async function workerCommand(taskDirs: string[], flags: WorkerFlags): Promise<number> {
  redisOptions(flags.queue); // a bad URL is an error before any workspace is opened
  if (taskDirs.length === 0 && !flags.benchOut)
    throw new FapoError(
      'fapo worker has nothing to serve',
      'Name task workspaces (evaluation cases) and/or pass --bench-out <dir> (bench cells).',
    );
  const log = (line: string) => console.error(line);
  const worker =
    taskDirs.length > 0
      ? await startWorker({
          url: flags.queue,
          taskDirs,
          concurrency: parsePositiveInt('concurrency', flags.concurrency),
          modelConcurrency: parsePositiveInt('model-concurrency', flags.modelConcurrency),
          sandbox: flags.sandbox,
          lockMs: parsePositiveInt('lock-ms', flags.lockMs),
          ...(flags.stalledMs ? { stalledIntervalMs: parsePositiveInt('stalled-ms', flags.stalledMs) } : {}),
          maxStalledCount: parsePositiveInt('max-stalled', flags.maxStalled),
          ...(flags.prices ? { pricesPath: flags.prices } : {}),
          ...(flags.timeout ? { timeoutMs: parsePositiveInt('timeout', flags.timeout) } : {}),
          ...(flags.maxRetries !== undefined
            ? { maxRetries: parseNonNegativeInt('max-retries', flags.maxRetries) }
            : {}),
          log,
        })
      : { id: `${hostname()}:${process.pid}`, close: async () => {} };
  const cells = flags.benchOut
    ? await startCellWorker({ url: flags.queue, benchOut: resolve(flags.benchOut), runCell: runBenchCell, log })
    : undefined;
  console.error(`worker ${worker.id} ready on ${safeRedisUrl(flags.queue)}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.error(`worker ${worker.id}: finishing active cases, then stopping`);
  await Promise.all([worker.close(), cells?.close()]);
  return 0;
}

/** One bench cell, exactly as `fapo bench` runs it locally, in the worker's own output folder. */
function runBenchCell(key: CellKey, settings: CellSettings, outDir: string) {
  return runCell(key, {
    outDir,
    ...(settings.limit !== undefined ? { limit: settings.limit } : {}),
    sandbox: settings.sandbox,
    ...(settings.caseTimeoutMs ? { caseTimeoutMs: settings.caseTimeoutMs } : {}),
    concurrency: settings.concurrency,
    ...callLimits(settings),
    sessionConfig: (k) => cellSessionConfig({ ...settings, sessionConfig: benchSessionConfig }, k),
    strategyFactory: benchStrategyFactory,
    ...(settings.pupaJudge ? { pupaJudge: settings.pupaJudge } : {}),
    log: (line) => console.error(line),
  });
}
