/**
 * Batch jobs for non-interactive work (`fapo eval --batch`). A BatchRunner hands out a *collecting*
 * client: cache hits answer as usual, a miss is recorded and the call fails with BatchDeferredError
 * (an InfraError, so the case stops there and nothing is scored). `submitMisses` sends the recorded
 * requests as one provider batch job; `settlePending` polls every unfinished job of the model, replays
 * each result through the provider code into the response cache (billed at the batch price), and
 * marks the job done. The caller repeats collect → submit → settle until no miss remains (one wave
 * per chain step), then evaluates normally, entirely from the cache.
 *
 * Kill safety: a job is recorded in the workspace store (`batch-job` documents) before it is
 * submitted and updated with the provider's batch id as soon as it exists, so a rerun polls the same
 * job instead of paying for its requests again; results already in the cache are never re-ingested.
 * The one unsafe window is between the provider creating the batch and fapo storing its id (one HTTP
 * answer); a job caught there is reported, and its requests are batched again.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InfraError, errorMessage } from '../../util/errors.ts';
import { responseCacheKey } from '../cache-key.ts';
import type { UsageMeter } from '../meter.ts';
import type { Env, ModelSpec } from '../model-id.ts';
import { BATCH_DISCOUNT, costUsd, type Price } from '../pricing.ts';
import type { CachedResponse, ModelClient, ModelRequest, ResponseCache } from '../types.ts';
import { type BatchApi, createBatchApi } from './api.ts';
import { captureRequestBody, replayResponse } from './bodies.ts';

/** A model call answered later by a batch job: the case stops here and is evaluated in a later pass. */
export class BatchDeferredError extends InfraError {
  constructor(modelId: string) {
    super(`${modelId}: call deferred to a batch job`);
    this.name = 'BatchDeferredError';
  }
}

/**
 * A request as stored with its job: the ModelRequest without its signal, plus its role. Loose objects:
 * every field of the request (tool definitions, tool-call messages, …) must survive the round trip,
 * or the replayed answer would not be the one the cache key stands for.
 */
const StoredRequest = z.looseObject({
  messages: z.array(z.looseObject({ role: z.string(), content: z.string() })),
  sampling: z.looseObject({}),
  role: z.string(),
});

export const BatchJobSchema = z.object({
  id: z.string(),
  modelId: z.string(),
  /** submitting: recorded, not yet known to the provider; submitted: has a provider id; done: ingested. */
  state: z.enum(['submitting', 'submitted', 'done']),
  providerBatchId: z.string().optional(),
  createdAt: z.string(),
  /** Requests by custom id (= response cache key). */
  requests: z.record(z.string(), StoredRequest),
  outcome: z.object({ answered: z.number(), failed: z.number(), missing: z.number(), detail: z.string() }).optional(),
});
export type BatchJob = z.infer<typeof BatchJobSchema>;

/** Where jobs are kept (the workspace store's documents). */
export interface BatchJobStore {
  put(job: BatchJob): void;
  list(): BatchJob[];
}

export interface BatchRunnerOptions {
  spec: ModelSpec;
  cache: ResponseCache;
  jobs: BatchJobStore;
  price: Price;
  meter?: UsageMeter;
  /** Time between status polls (default 30 s). */
  pollMs?: number;
  env?: Env;
  /** The provider's batch endpoints (default: built from the spec). */
  api?: BatchApi;
  /** A request that failed in this many batch jobs is left to the interactive call (default 2). */
  maxAttempts?: number;
  log?: (message: string) => void;
}

export interface BatchRunnerStats {
  jobs: number;
  submitted: number;
  /** Responses ingested into the cache. */
  answered: number;
  /** Requests a job answered with an error, or left unanswered (expired, cancelled). */
  failed: number;
  /** Batch price of the ingested responses. */
  costUsd: number;
}

export class BatchRunner {
  private readonly misses = new Map<string, ModelRequest>();
  private readonly attempts = new Map<string, number>();
  private readonly api: BatchApi;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  readonly stats: BatchRunnerStats = { jobs: 0, submitted: 0, answered: 0, failed: 0, costUsd: 0 };

  constructor(private readonly opts: BatchRunnerOptions) {
    this.api = opts.api ?? createBatchApi(opts.spec, opts.env);
    this.pollMs = opts.pollMs ?? 30_000;
    this.maxAttempts = opts.maxAttempts ?? 2;
  }

  /** Requests collected since the last submit. */
  get pendingMisses(): number {
    return this.misses.size;
  }

  /** A client that answers from the cache and records every miss instead of calling the provider. */
  collectingClient(): ModelClient {
    const { spec, cache } = this.opts;
    return {
      id: spec.id,
      generate: async (req) => {
        const key = responseCacheKey(spec, req);
        const hit = cache.get(key);
        if (hit) return { ...hit, costUsd: 0, latencyMs: 0, cached: true };
        if ((this.attempts.get(key) ?? 0) < this.maxAttempts && !this.misses.has(key)) {
          const { signal: _signal, ...stored } = req;
          this.misses.set(key, stored);
        }
        throw new BatchDeferredError(spec.id);
      },
    };
  }

  /** Submits the collected misses as one batch job; returns how many requests it holds. */
  async submitMisses(): Promise<number> {
    if (this.misses.size === 0) return 0;
    const { spec } = this.opts;
    const requests: BatchJob['requests'] = {};
    const lines = [];
    for (const [key, req] of this.misses) {
      requests[key] = { ...req, role: req.role ?? 'task' } as BatchJob['requests'][string];
      lines.push({ customId: key, body: await captureRequestBody(spec, req, { env: this.opts.env }) });
      this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
    }
    this.misses.clear();
    const job: BatchJob = {
      id: randomUUID(),
      modelId: spec.id,
      state: 'submitting',
      createdAt: new Date().toISOString(),
      requests,
    };
    this.opts.jobs.put(job); // before the provider knows it: see the kill-safety note above
    job.providerBatchId = await this.api.submit(lines, job.id);
    job.state = 'submitted';
    this.opts.jobs.put(job);
    this.stats.jobs++;
    this.stats.submitted += lines.length;
    this.opts.log?.(`${spec.id}: submitted batch ${job.providerBatchId} with ${lines.length} requests`);
    return lines.length;
  }

  /** Waits for every unfinished job of this model and ingests its results. */
  async settlePending(): Promise<void> {
    for (const job of this.opts.jobs.list()) {
      if (job.modelId !== this.opts.spec.id || job.state === 'done') continue;
      if (job.state === 'submitting') {
        // Killed before the provider's batch id was stored: adopt the batch if the provider can find
        // it (OpenAI metadata), else its requests are collected again.
        const found = await this.api.find?.(job.id);
        if (found) {
          const adopted: BatchJob = { ...job, state: 'submitted', providerBatchId: found };
          this.opts.jobs.put(adopted);
          this.opts.log?.(`${job.modelId}: found batch ${found} of interrupted job ${job.id} at the provider`);
          await this.settle(adopted);
          continue;
        }
        this.finish(job, {
          answered: 0,
          failed: 0,
          missing: Object.keys(job.requests).length,
          detail: 'never submitted (interrupted)',
        });
        this.opts.log?.(
          `${job.modelId}: batch job ${job.id} was interrupted while being submitted; its requests go into a new job`,
        );
        continue;
      }
      await this.settle(job);
    }
  }

  private async settle(job: BatchJob): Promise<void> {
    const batchId = job.providerBatchId!;
    let status = await this.api.status(batchId);
    while (status.state !== 'ended') {
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      status = await this.api.status(batchId);
    }
    const results = await this.api.results(batchId);
    let answered = 0;
    let failed = 0;
    for (const [key, stored] of Object.entries(job.requests)) {
      const result = results.get(key);
      if (!result) continue;
      if (!result.ok) {
        failed++;
        continue;
      }
      if (this.opts.cache.get(key)) continue; // ingested before a kill: never billed twice
      try {
        await this.ingest(key, stored, result.body);
        answered++;
      } catch (err) {
        failed++;
        this.opts.log?.(`${job.modelId}: batch result ${key.slice(0, 12)} unusable: ${errorMessage(err)}`);
      }
    }
    const missing = Object.keys(job.requests).filter((key) => !results.has(key)).length;
    this.finish(job, { answered, failed, missing, detail: status.detail });
    this.opts.log?.(
      `${job.modelId}: batch ${batchId} ${status.detail}: ${answered} answered, ${failed} failed, ${missing} unanswered`,
    );
  }

  private async ingest(key: string, stored: BatchJob['requests'][string], body: unknown): Promise<void> {
    const { spec, price, meter } = this.opts;
    const { role } = stored;
    const request = stored as unknown as ModelRequest;
    const { text, object, toolCalls, usage } = await replayResponse(spec, request, body, { env: this.opts.env });
    const cost = costUsd(usage, price, BATCH_DISCOUNT);
    const response: CachedResponse = { text, usage, costUsd: cost, latencyMs: 0, modelId: spec.id };
    if (object !== undefined) response.object = object;
    if (toolCalls !== undefined) response.toolCalls = toolCalls;
    // Booked as a call of its role, at the batch price (the interactive call would have cost 1/discount).
    const reservation = await meter?.reserve(role, { tokens: usage.inputTokens + usage.outputTokens, costUsd: cost });
    this.opts.cache.put(key, response);
    reservation?.commit({ usage, costUsd: cost, latencyMs: 0 });
    this.stats.answered++;
    this.stats.costUsd += cost;
  }

  private finish(job: BatchJob, outcome: NonNullable<BatchJob['outcome']>): void {
    this.stats.failed += outcome.failed + (job.state === 'submitted' ? outcome.missing : 0);
    this.opts.jobs.put({ ...job, state: 'done', outcome });
  }
}
