/**
 * `fapo worker`: takes case jobs from the BullMQ queues of the tasks it serves and runs them in its
 * own sandbox, with its own keys and endpoints (read from its environment, never from the queue). Its
 * model calls go through the shared Redis cache layer and, when the job names one, the shared budget.
 * A worker killed mid-case loses its job lock; BullMQ's stalled-job check hands the job to another
 * worker, whose calls the shared cache answers for every call the dead one completed.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { runCase } from '../eval/case-run.ts';
import { type Environment, openEnvironment } from '../eval/environment.ts';
import { chainFingerprint, variantHash } from '../eval/variant.ts';
import { parseModelId } from '../models/model-id.ts';
import { DEFAULT_PRICES, loadPriceTable, lookupPrice, type PriceTable } from '../models/pricing.ts';
import type { ModelClient } from '../models/types.ts';
import { BudgetExceededError, FapoError, errorMessage } from '../util/errors.ts';
import { FAPO_VERSION } from '../version.js';
import { RedisBudget } from './budget.ts';
import { type CaseJob, type CaseJobResult, CaseJobSchema, PROTOCOL_VERSION, queueName } from './protocol.ts';
import { bullConnection, connectRedis } from './redis.ts';
import { emptyUsage, sharedCacheClient } from './shared-client.ts';

export interface WorkerOptions {
  url: string;
  /** Task workspaces this worker serves (one queue each, named after the task). */
  taskDirs: string[];
  /** Cases run at once per task. */
  concurrency: number;
  /** Concurrent provider calls per model. */
  modelConcurrency?: number;
  sandbox?: boolean;
  pricesPath?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** BullMQ job lock: a worker that stops renewing it for this long is considered dead (default 30 s). */
  lockMs?: number;
  /** How often workers look for stalled jobs (default: lockMs / 2). */
  stalledIntervalMs?: number;
  /** How many times a job may stall (its worker die) before it fails (default 5). */
  maxStalledCount?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  readonly id: string;
  /** Stops taking jobs, waits for the active ones, closes connections and sandboxes. */
  close(): Promise<void>;
}

interface Served {
  env: Environment;
  prices: PriceTable;
  clients: Map<string, ModelClient>;
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  if (opts.taskDirs.length === 0) throw new FapoError('fapo worker needs at least one task workspace');
  const id = `${hostname()}:${process.pid}`;
  const log = opts.log ?? (() => {});
  const redis = await connectRedis(opts.url);
  const served = new Map<string, Served>();
  const workers: Worker[] = [];
  try {
    for (const dir of opts.taskDirs) {
      const env = await openEnvironment(dir, {
        concurrency: opts.modelConcurrency ?? 8,
        taskModel: false, // each job names its model; clients are built on demand
        sandbox: opts.sandbox !== false,
        ...(opts.pricesPath ? { pricesPath: opts.pricesPath } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
      });
      const name = env.task.manifest.name;
      if (served.has(name)) {
        await env.close();
        throw new FapoError(`two workspaces given to this worker are both named "${name}"`);
      }
      const prices = opts.pricesPath ? loadPriceTable(opts.pricesPath) : DEFAULT_PRICES;
      served.set(name, { env, prices, clients: new Map() });
    }
    const lockMs = opts.lockMs ?? 30_000;
    for (const [name, s] of served) {
      const worker = new Worker(queueName(name), (job: Job) => processJob(job, name, s, redis, id, lockMs), {
        connection: bullConnection(opts.url),
        concurrency: opts.concurrency,
        lockDuration: lockMs,
        stalledInterval: opts.stalledIntervalMs ?? Math.max(500, Math.floor(lockMs / 2)),
        maxStalledCount: opts.maxStalledCount ?? 5,
      });
      worker.on('error', (err) => log(`worker ${id} (${name}): ${errorMessage(err)}`));
      worker.on('failed', (job, err) => log(`job ${job?.id ?? '?'} failed: ${errorMessage(err)}`));
      workers.push(worker);
      log(`worker ${id} serving task "${name}" (${s.env.task.dir}) from queue ${queueName(name)}`);
    }
    await Promise.all(workers.map((w) => w.waitUntilReady()));
  } catch (err) {
    await Promise.allSettled(workers.map((w) => w.close()));
    await Promise.allSettled([...served.values()].map((s) => s.env.close()));
    redis.disconnect();
    throw err;
  }
  return {
    id,
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await Promise.allSettled([...served.values()].map((s) => s.env.close()));
      redis.disconnect();
    },
  };
}

async function processJob(
  job: Job,
  taskName: string,
  served: Served,
  redis: Redis,
  workerId: string,
  lockMs: number,
): Promise<CaseJobResult> {
  const parsed = CaseJobSchema.safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableError(`invalid case job ${job.id}: ${z.prettifyError(parsed.error)}`);
  }
  const data = parsed.data;
  const usage = emptyUsage();
  const reply = (outcome: CaseJobResult['outcome']): CaseJobResult => ({
    v: PROTOCOL_VERSION,
    worker: workerId,
    usage,
    outcome,
  });
  const mismatch = await checkWorkspace(data, taskName, served.env, workerId);
  if (mismatch) return reply({ fatal: { kind: 'config', ...mismatch } });

  const { env } = served;
  const variant = { ...data.variant };
  const shared = (modelId: string) =>
    sharedCacheClient({
      redis,
      inner: clientFor(served, modelId),
      local: env.store.cache,
      spec: parseModelId(modelId),
      price: lookupPrice(parseModelId(modelId).id, served.prices).price,
      ...(data.budget ? { budget: new RedisBudget(redis, data.budget) } : {}),
      usage,
      lockMs,
    });
  const model = shared(data.model);
  let outcome: Awaited<ReturnType<typeof runCase>>;
  try {
    outcome = await runCase(
      {
        task: env.task,
        variant,
        structure: await env.executor.describe(variant),
        model,
        sampling: data.sampling,
        executor: env.executor,
        retrievers: env.retrievers,
        retrievalGuard: env.retrievalGuard,
        mcp: env.mcp,
        ...(data.caseTimeoutMs ? { caseTimeoutMs: data.caseTimeoutMs } : {}),
        ...(data.role ? { role: data.role } : {}),
        ...(data.judge ? { judge: shared(data.judge) } : {}),
      },
      data.case,
      data.trial,
    );
  } catch (err) {
    if (err instanceof BudgetExceededError) outcome = { fatal: err };
    else if (err instanceof FapoError) outcome = { fatal: err };
    else throw err; // BullMQ retries the job (attempts), then reports it failed
  }
  if ('result' in outcome) {
    return reply({ result: outcome.result });
  }
  const err = outcome.fatal;
  return reply({
    fatal:
      err instanceof BudgetExceededError
        ? { kind: 'budget', budget: err.budget, message: err.message }
        : { kind: 'config', message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
  });
}

/** One client per model id and task, sharing the worker's SQLite cache, meter and concurrency limit. */
function clientFor(served: Served, modelId: string): ModelClient {
  let client = served.clients.get(modelId);
  if (!client) {
    client = served.env.client(modelId);
    served.clients.set(modelId, client);
  }
  return client;
}

/**
 * A worker whose workspace differs from the coordinator's (another scorer, chain helper, corpus or
 * fapo release) would compute different results under the same run identity: refuse the job, naming
 * what differs, and the coordinator stops the run.
 */
async function checkWorkspace(
  job: CaseJob,
  taskName: string,
  env: Environment,
  workerId: string,
): Promise<{ message: string; hint: string } | undefined> {
  const differs = (what: string) => ({
    message: `worker ${workerId}: its copy of task "${taskName}" differs from the coordinator's (${what})`,
    hint: 'Give every worker the same workspace files and fapo release as the coordinator.',
  });
  if (job.task !== taskName) return differs(`job for task "${job.task}"`);
  if (variantHash(job.variant) !== job.variant.hash) return differs('the variant content does not match its hash');
  if (job.fingerprints.fapoVersion && job.fingerprints.fapoVersion !== FAPO_VERSION)
    return differs(`fapo ${FAPO_VERSION} here, ${job.fingerprints.fapoVersion} there`);
  if (job.fingerprints.scorer && job.fingerprints.scorer !== env.task.scorerFingerprint) return differs('the scorer');
  if (job.fingerprints.chain && job.fingerprints.chain !== (await chainFingerprint(env.task.dir, job.variant)))
    return differs('the chain module or a file it imports');
  if ((job.fingerprints.tools ?? '') !== (env.task.tools.fingerprint ?? '')) return differs('the tool modules');
  for (const [name, fingerprint] of Object.entries(job.fingerprints.resources ?? {})) {
    if (env.retrievers.get(name)?.fingerprint !== fingerprint) return differs(`the retrieval resource "${name}"`);
  }
  return undefined;
}
