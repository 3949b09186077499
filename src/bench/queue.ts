/**
 * Bench cells on queue workers: `fapo bench --queue` enqueues one BullMQ job per (task, task model,
 * strategy, trial) cell and `fapo worker --bench-out <dir>` runs it in its own output folder, with its
 * own keys, and returns the cell's result; the coordinator writes it into its own output folder and
 * builds the table. A cell is a whole optimization session, so it is the unit of distribution here
 * (cells are independent; the cases inside one stay on its worker).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { z } from 'zod';
import { bullConnection, connectRedis } from '../scale/redis.ts';
import { FapoError, errorMessage } from '../util/errors.ts';
import { canonicalHash } from '../util/hash.ts';
import {
  BENCH_STRATEGIES,
  type CellKey,
  type CellResult,
  CellResultSchema,
  cellResultPath,
  label,
  readCellResult,
} from './cells.ts';
import { BENCHMARK_TASKS } from './data/types.ts';

export const BENCH_QUEUE = 'fapo-bench-cells';

/** The bench settings a cell's result depends on (pinned per output folder, as bench-settings.json). */
export const CellSettingsSchema = z.object({
  budget: z.union([z.literal('paper'), z.number().int().positive()]),
  maxVariants: z.number().int().positive(),
  maxRounds: z.number().int().positive(),
  proposer: z.enum(['agent', 'rules']),
  optimizerModel: z.string().optional(),
  limit: z.number().int().positive().optional(),
  pupaJudge: z.string().optional(),
  concurrency: z.number().int().positive(),
  sandbox: z.boolean(),
  /** Per-case timeout (ms); default: each workspace's. */
  caseTimeoutMs: z.number().int().positive().optional(),
  /** Per model call time limit and retries (`--timeout`, `--max-retries`); not pinned: they change no result. */
  timeoutMs: z.number().int().positive().optional(),
  maxRetries: z.number().int().nonnegative().optional(),
});
export type CellSettings = z.infer<typeof CellSettingsSchema>;

const CellJobSchema = z.object({
  v: z.literal(1),
  settings: CellSettingsSchema,
  key: z.object({
    task: z.enum(BENCHMARK_TASKS),
    model: z.string(),
    strategy: z.enum(BENCH_STRATEGIES),
    trial: z.number().int().nonnegative(),
  }),
});

/** The same cell under the same settings is the same job: a restarted coordinator adds nothing twice. */
export function cellJobId(settings: CellSettings, key: CellKey): string {
  return `cell-${canonicalHash({ settings, key }).slice(0, 40)}`;
}

/** A worker keeps cells of different settings apart: one folder per settings hash under --bench-out. */
export function workerCellDir(benchOut: string, settings: CellSettings): string {
  return join(benchOut, `settings-${canonicalHash(settings).slice(0, 16)}`);
}

export interface RemoteCells {
  run(key: CellKey): Promise<CellResult>;
  close(): Promise<void>;
}

/** The coordinator's side: enqueue a cell, await its result, keep a copy in the local output folder. */
export async function openRemoteCells(url: string, settings: CellSettings, outDir: string): Promise<RemoteCells> {
  const redis = await connectRedis(url); // a Redis that is down is a clear error before anything is enqueued
  redis.disconnect();
  const connection = bullConnection(url);
  const queue = new Queue(BENCH_QUEUE, { connection });
  const events = new QueueEvents(BENCH_QUEUE, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  return {
    async run(key) {
      const path = cellResultPath(outDir, key);
      if (existsSync(path)) return readCellResult(path); // finished by an earlier run
      const job = await queue.add(
        'cell',
        { v: 1, settings, key },
        { jobId: cellJobId(settings, key), attempts: 2, removeOnComplete: { age: 7 * 24 * 3600 } },
      );
      let raw: unknown;
      try {
        raw = await job.waitUntilFinished(events);
      } catch (err) {
        await job.remove().catch(() => {}); // a re-run tries the cell again
        throw new FapoError(`${label(key)} failed on a worker: ${errorMessage(err)}`);
      }
      const parsed = CellResultSchema.safeParse(raw);
      if (!parsed.success) throw new FapoError(`${label(key)}: the worker's result is not a bench cell result`);
      const result = parsed.data as unknown as CellResult;
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
      return result;
    },
    async close() {
      await Promise.allSettled([queue.close(), events.close()]);
    },
  };
}

export interface CellWorker {
  close(): Promise<void>;
}

/** The worker's side: runs each cell job with `runCell` (given by the CLI, which owns the session config). */
export async function startCellWorker(opts: {
  url: string;
  benchOut: string;
  runCell: (key: CellKey, settings: CellSettings, outDir: string) => Promise<CellResult>;
  log?: (line: string) => void;
}): Promise<CellWorker> {
  const redis = await connectRedis(opts.url);
  redis.disconnect();
  const worker = new Worker(
    BENCH_QUEUE,
    async (job) => {
      const parsed = CellJobSchema.safeParse(job.data);
      if (!parsed.success)
        throw new UnrecoverableError(`invalid bench cell job ${job.id}: ${z.prettifyError(parsed.error)}`);
      const { settings, key } = parsed.data;
      const outDir = workerCellDir(opts.benchOut, settings);
      opts.log?.(`bench cell ${label(key)} → ${outDir}`);
      return opts.runCell(key, settings, outDir);
    },
    // A cell runs for minutes to hours: one at a time per worker process; its lock is renewed while it runs.
    { connection: bullConnection(opts.url), concurrency: 1, lockDuration: 60_000, maxStalledCount: 3 },
  );
  worker.on('error', (err) => opts.log?.(`bench worker: ${errorMessage(err)}`));
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}
