/**
 * The coordinator's side of the queue: a RemoteCases (src/eval/remote.ts) that turns each case of a
 * run into a BullMQ job and resolves with the worker's result. The coordinator keeps the SQLite store
 * and the run's identity; workers only compute.
 *
 * - Job ids come from (run id, case id, trial): after a coordinator restart the same jobs are found,
 *   finished ones answer at once, running ones are awaited, nothing is added twice.
 * - Results arrive by QueueEvents; a periodic sweep also reads the jobs' state, which catches events
 *   missed while the coordinator or Redis was away, and re-adds jobs Redis lost (a restart without
 *   persistence).
 * - A job whose result is fatal (budget, configuration) or that failed is removed after it is
 *   reported, so a resumed run computes it again instead of reading the old verdict.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { CaseOutcome } from '../eval/case-run.ts';
import type { CaseDispatch, RemoteCases } from '../eval/remote.ts';
import type { CaseResult } from '../eval/types.ts';
import type { UsageMeter } from '../models/meter.ts';
import { BudgetExceededError, FapoError, errorMessage } from '../util/errors.ts';
import { type BudgetCaps, RedisBudget } from './budget.ts';
import {
  type CaseJob,
  CaseJobResultSchema,
  type CaseUsage,
  PROTOCOL_VERSION,
  caseJobId,
  queueName,
} from './protocol.ts';
import { bullConnection, connectRedis } from './redis.ts';
import { emptyUsage } from './shared-client.ts';

export interface DispatcherOptions {
  url: string;
  taskName: string;
  /** Caps shared by every worker's provider calls for this dispatcher's runs. */
  budget?: BudgetCaps;
  /** How often pending jobs' state is read (default 1000 ms). */
  sweepMs?: number;
  /** Attempts of a job whose worker threw (not a stall, not a case error): default 3. */
  attempts?: number;
  /** Only jobs of these accounting roles reserve against `budget` (default: every job). */
  budgetRoles?: readonly string[];
  /** The coordinator's meter: the workers' calls and cache hits are booked into it as results arrive. */
  meter?: UsageMeter;
  log?: (line: string) => void;
}

interface Pending {
  dispatch: CaseDispatch;
  job: CaseJob;
  resolve(outcome: CaseOutcome): void;
  reject(err: Error): void;
}

/** Kept a day, so a coordinator restarted within a day finds the results its workers finished. */
const KEEP_S = 24 * 3600;

export class QueueDispatcher implements RemoteCases {
  /** Summed usage reported by the workers for the results received. */
  readonly usage: CaseUsage = emptyUsage();
  /** Workers (host:pid) that returned results. */
  readonly workers = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private batch: string[] = [];
  private flushScheduled = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private closed = false;

  private constructor(
    private readonly opts: DispatcherOptions,
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    readonly budget: RedisBudget | undefined,
  ) {
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, returnvalue));
    events.on('failed', ({ jobId }) => {
      this.checkOne(jobId).catch((err) => this.log(`job ${jobId}: ${errorMessage(err)}`));
    });
    events.on('error', (err) => this.log(`queue events: ${errorMessage(err)}`));
    queue.on('error', (err) => this.log(`queue: ${errorMessage(err)}`));
    this.sweepTimer = setInterval(() => void this.sweep(), opts.sweepMs ?? 1000);
  }

  /** Connects (a Redis that is down is a clear error) and defines the shared budget when caps are given. */
  static async open(opts: DispatcherOptions): Promise<QueueDispatcher> {
    const redis = await connectRedis(opts.url);
    const connection = bullConnection(opts.url);
    const name = queueName(opts.taskName);
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      let budget: RedisBudget | undefined;
      if (opts.budget && Object.values(opts.budget).some((v) => v !== undefined)) {
        // A fresh scope per coordinator, as a local run's meter starts at zero in each process.
        budget = new RedisBudget(redis, `${name}-${Date.now().toString(36)}-${process.pid}`);
        await budget.define(opts.budget);
      }
      if ((await queue.getWorkersCount()) === 0) {
        opts.log?.(`no fapo worker is connected to queue ${name} yet: the cases wait until one is`);
      }
      return new QueueDispatcher(opts, redis, queue, events, budget);
    } catch (err) {
      await Promise.allSettled([queue.close(), events.close()]);
      redis.disconnect();
      throw err;
    }
  }

  run(dispatch: CaseDispatch): Promise<CaseOutcome> {
    if (this.closed) return Promise.reject(new FapoError('the queue dispatcher is closed'));
    const id = caseJobId(dispatch.runId, dispatch.case.id, dispatch.trial);
    const existing = this.pending.get(id);
    if (existing)
      return Promise.reject(new FapoError(`case ${dispatch.case.id} trial ${dispatch.trial} dispatched twice`));
    return new Promise<CaseOutcome>((resolve, reject) => {
      this.pending.set(id, { dispatch, job: this.jobData(dispatch), resolve, reject });
      this.batch.push(id);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Every case the runner starts in this turn goes in one addBulk round trip.
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Pending jobs (dispatched, no result yet). */
  get inFlight(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const p of this.pending.values()) p.reject(new FapoError('the queue dispatcher was closed'));
    this.pending.clear();
    await Promise.allSettled([this.queue.close(), this.events.close()]);
    this.redis.disconnect();
  }

  private jobData(d: CaseDispatch): CaseJob {
    return {
      v: PROTOCOL_VERSION,
      task: this.opts.taskName,
      runId: d.runId,
      fingerprints: {
        dataset: d.spec.datasetFingerprint,
        ...(d.spec.scorerFingerprint ? { scorer: d.spec.scorerFingerprint } : {}),
        ...(d.spec.chainFingerprint ? { chain: d.spec.chainFingerprint } : {}),
        ...(d.spec.resourceFingerprints ? { resources: d.spec.resourceFingerprints } : {}),
        ...(d.spec.toolsFingerprint ? { tools: d.spec.toolsFingerprint } : {}),
        ...(d.spec.fapoVersion ? { fapoVersion: d.spec.fapoVersion } : {}),
      },
      variant: {
        hash: d.variant.hash,
        chainPath: d.variant.chainPath,
        chainSource: d.variant.chainSource,
        prompts: d.variant.prompts,
        params: d.variant.params,
      },
      case: d.case,
      trial: d.trial,
      model: d.model,
      sampling: d.sampling,
      ...(d.judge ? { judge: d.judge } : {}),
      ...(d.role ? { role: d.role } : {}),
      ...(d.caseTimeoutMs ? { caseTimeoutMs: d.caseTimeoutMs } : {}),
      ...(this.budget && (this.opts.budgetRoles?.includes(d.role ?? 'task') ?? true)
        ? { budget: this.budget.scope }
        : {}),
    };
  }

  private async flush(ids?: string[]): Promise<void> {
    const batch = ids ?? this.batch;
    if (!ids) {
      this.flushScheduled = false;
      this.batch = [];
    }
    const jobs = batch.flatMap((id) => {
      const p = this.pending.get(id);
      return p ? [{ name: 'case', data: p.job, opts: this.jobOptions(id) }] : [];
    });
    if (jobs.length === 0) return;
    try {
      await this.queue.addBulk(jobs);
    } catch (err) {
      // Redis away: the sweep re-adds whatever is missing once it is back.
      this.log(`could not enqueue ${jobs.length} case(s) yet: ${errorMessage(err)}`);
      return;
    }
    // Jobs that existed already (a restarted coordinator) may have finished long ago: look now.
    await this.sweep(batch);
  }

  private jobOptions(jobId: string) {
    return {
      jobId,
      attempts: this.opts.attempts ?? 3,
      backoff: { type: 'exponential' as const, delay: 1000 },
      removeOnComplete: { age: KEEP_S },
      removeOnFail: { age: KEEP_S },
    };
  }

  /** Reads the state of pending jobs (all, or the given ones); settles finished ones, re-adds lost ones. */
  private async sweep(ids?: string[]): Promise<void> {
    if (this.closed || (this.sweeping && !ids)) return;
    if (!ids) this.sweeping = true;
    try {
      const lost: string[] = [];
      await Promise.all(
        (ids ?? [...this.pending.keys()]).map(async (id) => {
          if (!this.pending.has(id)) return;
          const found = await this.checkOne(id);
          if (found === 'missing') lost.push(id);
        }),
      );
      if (lost.length && !ids) {
        this.log(`${lost.length} case job(s) were not in Redis (restarted without persistence?); adding them again`);
        await this.flush(lost);
      }
    } catch (err) {
      this.log(`sweep: ${errorMessage(err)}`);
    } finally {
      if (!ids) this.sweeping = false;
    }
  }

  private async checkOne(id: string): Promise<'missing' | 'open' | 'settled'> {
    if (!this.pending.has(id)) return 'settled';
    // State first, then the job: completion writes the return value and the state in one script, so
    // a job read after it was seen completed has its value (read before, it may not yet).
    const state = await this.queue.getJobState(id);
    if (state === 'unknown') return 'missing';
    if (state !== 'completed' && state !== 'failed') return 'open';
    const job = await Job.fromId(this.queue, id);
    if (!job) return 'missing';
    if (state === 'completed') {
      this.settle(id, job.returnvalue);
      return 'settled';
    }
    this.fail(id, job.failedReason || 'no reason given');
    await job.remove().catch(() => {});
    return 'settled';
  }

  private settle(jobId: string, raw: unknown): void {
    const p = this.pending.get(jobId);
    if (!p) return;
    const parsed = CaseJobResultSchema.safeParse(typeof raw === 'string' ? safeJson(raw) : raw);
    if (!parsed.success) {
      this.pending.delete(jobId);
      p.resolve({
        fatal: new FapoError(
          `the result of case ${p.dispatch.case.id} (trial ${p.dispatch.trial}) from the queue is invalid:\n${z.prettifyError(parsed.error)}`,
          'Every worker must run the same fapo release as the coordinator.',
        ),
      });
      void this.removeJob(jobId);
      return;
    }
    const { worker, usage, outcome } = parsed.data;
    this.pending.delete(jobId);
    this.workers.add(worker);
    for (const k of Object.keys(this.usage) as (keyof CaseUsage)[]) this.usage[k] += usage[k];
    // The outcome is handed on once the usage is in the meter: whoever reads the meter next sees it.
    const resolve = (o: CaseOutcome) => void this.book(p.dispatch.role ?? 'task', usage).finally(() => p.resolve(o));
    if ('result' in outcome) {
      const result = outcome.result as CaseResult;
      if (result.caseId !== p.dispatch.case.id || result.trial !== p.dispatch.trial) {
        resolve({ fatal: new FapoError(`job ${jobId} answered for case ${result.caseId} trial ${result.trial}`) });
        return;
      }
      resolve({ result });
      return;
    }
    const f = outcome.fatal;
    resolve({
      fatal:
        f.kind === 'budget'
          ? new BudgetExceededError(f.budget ?? 'budget', f.message)
          : new FapoError(f.message, f.hint),
    });
    void this.removeJob(jobId);
    void this.abortWaiting(p.dispatch.runId);
  }

  private fail(jobId: string, reason: string): void {
    const p = this.pending.get(jobId);
    if (!p) return;
    this.pending.delete(jobId);
    p.resolve({
      fatal: new FapoError(
        `case ${p.dispatch.case.id} (trial ${p.dispatch.trial}) failed on the workers: ${reason}`,
        'See the worker logs; run the same command again to retry the unfinished cases.',
      ),
    });
    void this.abortWaiting(p.dispatch.runId);
  }

  /** After a fatal outcome the run stops: jobs no worker has started are withdrawn. */
  private async abortWaiting(runId: string): Promise<void> {
    for (const [id, p] of [...this.pending]) {
      if (p.dispatch.runId !== runId) continue;
      try {
        const job = await Job.fromId(this.queue, id);
        if (job && (await job.getState()) === 'waiting') {
          await job.remove();
          this.pending.delete(id);
          p.resolve({ fatal: new FapoError('withdrawn: the run stopped on an earlier case') });
        }
      } catch {
        // started meanwhile, or Redis away: it finishes (or is swept) normally
      }
    }
  }

  private async removeJob(id: string): Promise<void> {
    try {
      await (await Job.fromId(this.queue, id))?.remove();
    } catch (err) {
      if (!this.closed) this.log(`could not remove job ${id}: ${errorMessage(err)}`);
    }
  }

  /**
   * Books a result's calls into the coordinator's meter, so its usage, reports and budget checks see
   * what the workers spent (the shared Redis budget already kept the caps while they spent it).
   */
  private async book(role: string, usage: CaseUsage): Promise<void> {
    const meter = this.opts.meter;
    if (!meter) return;
    for (let i = 0; i < usage.cacheHits; i++) meter.recordCacheHit(role, 0);
    for (let i = 0; i < usage.calls; i++) {
      const first = i === 0;
      try {
        const reservation = await meter.reserve(role, { tokens: 0, costUsd: 0 });
        reservation.commit({
          usage: { inputTokens: first ? usage.inputTokens : 0, outputTokens: first ? usage.outputTokens : 0 },
          costUsd: first ? usage.costUsd : 0,
          latencyMs: 0,
        });
      } catch (err) {
        this.log(`could not book a worker's ${role} call into the meter: ${errorMessage(err)}`);
        return;
      }
    }
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
