import { startWorker } from '../../scale/worker.ts';
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
}

/** `fapo worker <tasks...> --queue redis://…`: serves case jobs until SIGINT/SIGTERM; returns the exit code. */
export async function workerCommand(taskDirs: string[], flags: WorkerFlags): Promise<number> {
  redisOptions(flags.queue); // a bad URL is an error before any workspace is opened
  const worker = await startWorker({
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
    ...(flags.maxRetries !== undefined ? { maxRetries: parseNonNegativeInt('max-retries', flags.maxRetries) } : {}),
    log: (line) => console.error(line),
  });
  console.error(`worker ${worker.id} ready on ${safeRedisUrl(flags.queue)}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.error(`worker ${worker.id}: finishing active cases, then stopping`);
  await worker.close();
  return 0;
}
