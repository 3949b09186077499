/**
 * Per-model admission control for hosted providers, whose limits are requests and tokens per minute,
 * not CPU. One ModelRateLimiter per model id (see RateLimiterRegistry), shared by every role and
 * client that calls that model, gates each provider attempt:
 *
 * - Token buckets for the declared limits (requests/min, tokens/min): refilled continuously, as
 *   Anthropic documents its limiter, with a small burst capacity (a quarter second's worth by
 *   default: OpenAI documents that it may enforce a per-minute limit per second; the other three
 *   quarters absorb arrival jitter).
 * - AIMD on the rate too: a 429 although the declared rate was respected cuts the rate used by 10%,
 *   successes win it back slowly (see rateShare).
 * - AIMD concurrency: starts at the configured concurrency, halves on a 429 / overload answer (once per
 *   congestion event: calls that started before the last cut do not cut again), and grows by one after
 *   each `limit` successful calls, back up to the configured concurrency.
 * - Retry-After: a rejected call pauses every new call of the model (all roles) until the time the
 *   provider asked for; the AI SDK's retry of that call waits the same time and then queues here again.
 *
 * Token estimate of a call: the metering middleware's input upper bound plus the output allowance,
 * scaled by the observed ratio of actual to estimated tokens (learned from usage, starting at 1), then
 * corrected by the actual usage once the call returns (the difference is added to or taken from the
 * bucket).
 *
 * Hand-written rather than `bottleneck`: bottleneck has a fixed reservoir or a fixed concurrency but no
 * AIMD, no per-job token weights that are corrected after the job, and no way to pause for a server's
 * Retry-After; layering those on top would be more code than this.
 */
import { FapoError } from '../util/errors.ts';

export interface RateLimits {
  /** Requests per minute the provider allows for this model. */
  rpm?: number;
  /** Input + output tokens per minute the provider allows for this model. */
  tpm?: number;
}

/** Time source and timers; tests pass a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref?.(); // a queued call keeps the process alive through its own promise, not the timer
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RateLimiterOptions extends RateLimits {
  /** Starting and largest number of concurrent calls. */
  concurrency: number;
  /** Length of the "minute" the limits refer to, in ms (default 60 000; benches scale it down). */
  windowMs?: number;
  /**
   * Bucket capacity, as the time it takes to refill (default 250 ms of a 60 s minute: a quarter of
   * the one second's worth a provider is assumed to hold, so calls that reach it closer together than
   * they were sent — network jitter, new connections, pauses of this process — find room in its
   * bucket instead of a 429).
   */
  burstMs?: number;
  /** Pause after a 429 that carries no Retry-After header (default 1 000 ms). */
  defaultPauseMs?: number;
  clock?: Clock;
}

/** How a call admitted by `acquire` ended. */
export type CallOutcome =
  | { kind: 'ok'; tokens: number }
  /** 429 / overloaded: the provider refused the call; `retryAfterMs` from its headers when sent. */
  | { kind: 'rejected'; retryAfterMs?: number }
  /** Any other failure (timeout, 5xx, cancelled): no tokens were spent. */
  | { kind: 'failed' };

export interface Permit {
  /** Reports how the call ended; must be called exactly once. */
  release(outcome: CallOutcome): void;
}

export interface RateLimiterStats {
  /** The declared limits (empty: adaptive concurrency and Retry-After only). */
  limits: RateLimits;
  /** Calls admitted (every provider attempt, retries included). */
  admitted: number;
  succeeded: number;
  /** Answers that were 429 / overloaded. */
  rejected: number;
  failed: number;
  /** Concurrency limit now, and the smallest it has been. */
  concurrency: number;
  minConcurrency: number;
  /** Times the concurrency was cut. */
  decreases: number;
  /** Actual / estimated tokens, as learned so far. */
  tokenRatio: number;
  /** Share of the declared limits in use now (below 1 after 429s despite respecting them). */
  rateShare: number;
}

interface Waiter {
  /** Upper bound of the call's tokens, as given. */
  bound: number;
  /** Tokens charged on admission: the bound scaled by the learned ratio. */
  estimate: number;
  resolve(permit: Permit): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A token bucket that may go into debt (a call larger than the capacity waits for a full bucket). */
class Bucket {
  private tokens: number;
  private updatedAt: number;
  private capacity: number;

  constructor(
    private readonly perMs: number,
    burstMs: number,
    now: number,
    /** Share of the declared rate used now (see ModelRateLimiter.rateShare). */
    private readonly share: () => number,
    /** The whole minute's limit: the capacity never grows past it. */
    private readonly maxCapacity = Number.POSITIVE_INFINITY,
  ) {
    this.capacity = Math.max(1, perMs * burstMs);
    this.tokens = this.capacity;
    this.updatedAt = now;
  }

  /**
   * Grows the capacity to twice a call's size. A call larger than the bucket waits for a full
   * bucket, and every moment its timer fires late, the full bucket wastes refill: with calls the
   * size of the bucket that cost a tenth of the rate.
   */
  accommodate(amount: number): void {
    this.capacity = Math.min(this.maxCapacity, Math.max(this.capacity, 2 * amount));
  }

  /** Refill stops at the capacity; a refund (see adjust) may leave the bucket above it. */
  private refill(now: number): void {
    if (this.tokens < this.capacity) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.perMs * this.share());
    }
    this.updatedAt = now;
  }

  /** Ms until `amount` (capped at the capacity) is available; 0 when it is now. */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity) - this.tokens;
    return need <= 0 ? 0 : need / (this.perMs * this.share());
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.tokens -= amount;
  }

  /**
   * Positive: give back what a call was over-charged; negative: charge what it used beyond its
   * estimate. A refund is not capped at the capacity: the provider never counted those tokens, so
   * capping would lose them for good (with a bucket smaller than one call, most of the rate).
   */
  adjust(amount: number, now: number): void {
    this.refill(now);
    this.tokens += amount;
  }

  /** The provider says the budget is spent: whatever we thought was left is not there. */
  drain(now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, 0);
  }
}

const RATIO_SMOOTHING = 0.2;
const RATE_SHARE_STEP = 0.002;
const MIN_RATE_SHARE = 0.5;

export class ModelRateLimiter {
  private readonly clock: Clock;
  private readonly maxConcurrency: number;
  private limit: number;
  private inFlight = 0;
  private successesSinceChange = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;
  private readonly requests: Bucket | undefined;
  private readonly tokens: Bucket | undefined;
  private readonly queue: Waiter[] = [];
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;
  private ratio = 1;
  /**
   * Share of the declared rates the buckets refill at: cut by 10% per congestion event, regained by
   * 0.2% per success. A 429 while the declared rate is respected means the provider counts
   * differently (its window, its token count, jitter in arrival times); slowing down a little is the
   * only answer that stops repeated refusals.
   */
  private rateShare = 1;
  private ratioDeviation = 0;
  private readonly defaultPauseMs: number;
  private readonly declared: RateLimits = {};
  private readonly counts = { admitted: 0, succeeded: 0, rejected: 0, failed: 0, decreases: 0, minConcurrency: 0 };

  constructor(
    readonly modelId: string,
    options: RateLimiterOptions,
  ) {
    checkLimits(modelId, options);
    if (options.rpm !== undefined) this.declared.rpm = options.rpm;
    if (options.tpm !== undefined) this.declared.tpm = options.tpm;
    this.clock = options.clock ?? systemClock;
    this.maxConcurrency = options.concurrency;
    this.limit = options.concurrency;
    this.counts.minConcurrency = this.limit;
    this.defaultPauseMs = options.defaultPauseMs ?? 1_000;
    const windowMs = options.windowMs ?? 60_000;
    const burstMs = options.burstMs ?? windowMs / 240;
    const now = this.clock.now();
    const share = () => this.rateShare;
    if (options.rpm) this.requests = new Bucket(options.rpm / windowMs, burstMs, now, share);
    if (options.tpm) this.tokens = new Bucket(options.tpm / windowMs, burstMs, now, share, options.tpm);
  }

  /**
   * Waits until the call may start: a free concurrency slot, no Retry-After pause, one request and
   * the call's estimated tokens in the buckets. Callers are admitted in arrival order.
   * @param tokenBound upper bound of the call's input + output tokens
   */
  acquire(tokenBound: number, signal?: AbortSignal): Promise<Permit> {
    signal?.throwIfAborted();
    return new Promise<Permit>((resolve, reject) => {
      const estimate = this.estimateFor(tokenBound);
      this.tokens?.accommodate(estimate);
      const waiter: Waiter = {
        bound: tokenBound,
        estimate,
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  stats(): RateLimiterStats {
    return {
      limits: { ...this.declared },
      ...this.counts,
      concurrency: this.limit,
      tokenRatio: this.ratio,
      rateShare: this.rateShare,
    };
  }

  private pump(): void {
    while (this.queue.length > 0) {
      if (this.inFlight >= this.limit) return; // a release pumps again
      const now = this.clock.now();
      const head = this.queue[0]!;
      const wait = Math.max(
        this.pausedUntil - now,
        this.requests?.waitFor(1, now) ?? 0,
        this.tokens?.waitFor(head.estimate, now) ?? 0,
      );
      if (wait > 0) return this.wakeAt(now + wait);
      this.queue.shift();
      if (head.onAbort) head.signal?.removeEventListener('abort', head.onAbort);
      this.requests?.take(1, now);
      this.tokens?.take(head.estimate, now);
      this.inFlight++;
      this.counts.admitted++;
      head.resolve(this.permit(head, now));
    }
  }

  private wakeAt(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    // +1 ms: timers may fire a little early relative to performance.now(); waking early only re-arms.
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - this.clock.now()) + 1,
    );
  }

  private permit({ bound, estimate }: Waiter, startedAt: number): Permit {
    let released = false;
    return {
      release: (outcome) => {
        if (released) throw new Error('A rate-limit permit was released twice.');
        released = true;
        this.inFlight--;
        this.settle(outcome, bound, estimate, startedAt);
        this.pump();
      },
    };
  }

  /**
   * The learned mean ratio plus twice its mean deviation: a call charged below its actual tokens can
   * overdraw the provider's bucket (a 429), one charged above them only holds tokens until it returns.
   */
  private estimateFor(bound: number): number {
    return bound * Math.min(2, this.ratio + 2 * this.ratioDeviation);
  }

  private settle(outcome: CallOutcome, bound: number, estimate: number, startedAt: number): void {
    const now = this.clock.now();
    switch (outcome.kind) {
      case 'ok': {
        this.counts.succeeded++;
        this.tokens?.adjust(estimate - outcome.tokens, now);
        if (bound > 0) {
          const observed = Math.min(2, Math.max(0.01, outcome.tokens / bound));
          this.ratioDeviation += RATIO_SMOOTHING * (Math.abs(observed - this.ratio) - this.ratioDeviation);
          this.ratio += RATIO_SMOOTHING * (observed - this.ratio);
        }
        this.rateShare = Math.min(1, this.rateShare + RATE_SHARE_STEP);
        // Additive increase: one more slot per `limit` successes (about one per round trip).
        if (++this.successesSinceChange >= this.limit && this.limit < this.maxConcurrency) {
          this.limit++;
          this.successesSinceChange = 0;
        }
        return;
      }
      case 'rejected': {
        this.counts.rejected++;
        this.tokens?.adjust(estimate, now); // the provider did not run the call
        this.requests?.drain(now);
        this.tokens?.drain(now);
        const pause = outcome.retryAfterMs ?? this.defaultPauseMs;
        this.pausedUntil = Math.max(this.pausedUntil, now + pause);
        // Multiplicative decrease, once per congestion event.
        if (startedAt > this.lastDecreaseAt) {
          this.limit = Math.max(1, Math.floor(this.limit / 2));
          this.rateShare = Math.max(MIN_RATE_SHARE, this.rateShare * 0.9);
          this.counts.minConcurrency = Math.min(this.counts.minConcurrency, this.limit);
          this.counts.decreases++;
          this.lastDecreaseAt = now;
          this.successesSinceChange = 0;
        }
        return;
      }
      case 'failed':
        this.counts.failed++;
        this.tokens?.adjust(estimate, now);
        return;
    }
  }
}

function checkLimits(modelId: string, options: RateLimiterOptions): void {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new FapoError(`${modelId}: ${name} is ${value}; it must be a positive number.`);
    }
  };
  positive('rpm', options.rpm);
  positive('tpm', options.tpm);
  positive('windowMs', options.windowMs);
  positive('burstMs', options.burstMs);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new FapoError(`${modelId}: concurrency is ${options.concurrency}; it must be a whole number >= 1.`);
  }
}

/**
 * One limiter per model id, so every role and client calling the same model shares its limits. The
 * limits of a model come from `limitsFor` (models config, flags); its starting concurrency is the
 * concurrency of the first client that asks.
 */
export class RateLimiterRegistry {
  private readonly limiters = new Map<string, ModelRateLimiter>();

  constructor(
    private readonly limitsFor: (modelId: string) => RateLimits | undefined = () => undefined,
    private readonly base: Omit<RateLimiterOptions, 'concurrency' | 'rpm' | 'tpm'> = {},
  ) {}

  /**
   * The limiter of a hosted model; undefined for in-process models (sim, local), which have no
   * provider limits and whose per-call overhead budget is a few microseconds.
   */
  limiterFor(spec: { id: string; provider: string }, concurrency: number): ModelRateLimiter | undefined {
    return spec.provider === 'sim' || spec.provider === 'local' ? undefined : this.limiter(spec.id, concurrency);
  }

  limiter(modelId: string, concurrency: number): ModelRateLimiter {
    let limiter = this.limiters.get(modelId);
    if (!limiter) {
      limiter = new ModelRateLimiter(modelId, { ...this.base, ...this.limitsFor(modelId), concurrency });
      this.limiters.set(modelId, limiter);
    }
    return limiter;
  }

  /** Stats of every model that was called, for reports. */
  stats(): Record<string, RateLimiterStats> {
    return Object.fromEntries([...this.limiters].map(([id, limiter]) => [id, limiter.stats()]));
  }
}
