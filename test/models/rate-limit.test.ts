import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Clock, ModelRateLimiter, type Permit, RateLimiterRegistry } from '../../src/models/rate-limit.ts';
import { FapoError } from '../../src/util/errors.ts';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Clock {
  time = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.nextId;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };

  /** Moves time forward, firing due timers in order, letting promise callbacks run after each. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts an acquire and records when (fake time) it was admitted. */
function track(limiter: ModelRateLimiter, clock: FakeClock, tokens = 10) {
  const entry: { at?: number; permit?: Permit } = {};
  void limiter.acquire(tokens).then((permit) => {
    entry.at = clock.time;
    entry.permit = permit;
  });
  return entry;
}

describe('ModelRateLimiter', () => {
  it('spaces calls to the requests-per-minute limit', async () => {
    const clock = new FakeClock();
    // 60 rpm with a one-second bucket: one call per second.
    const limiter = new ModelRateLimiter('m', { concurrency: 8, rpm: 60, burstMs: 1_000, clock });
    const calls = [track(limiter, clock), track(limiter, clock), track(limiter, clock)];
    await settle();
    assert.deepEqual(
      calls.map((c) => c.at),
      [0, undefined, undefined],
    );
    await clock.advance(3_000);
    const [first, second, third] = calls.map((c) => c.at!);
    assert.equal(first, 0);
    assert.ok(second! >= 1_000 && second! <= 1_002, `second admitted at ${second}`);
    assert.ok(third! >= 2_000 && third! <= 2_004, `third admitted at ${third}`);
  });

  it('honours a scaled window and burst: 600 per 6 s with a 100 ms bucket', async () => {
    const clock = new FakeClock();
    const limiter = new ModelRateLimiter('m', { concurrency: 1000, rpm: 600, windowMs: 6_000, burstMs: 100, clock });
    const calls = Array.from({ length: 100 }, () => track(limiter, clock));
    await settle();
    assert.equal(calls.filter((c) => c.at !== undefined).length, 10); // the bucket's capacity
    await clock.advance(1_000);
    const admitted = calls.filter((c) => c.at !== undefined).length;
    // 10 at once, then 0.1 per ms: 100 more by t=1000 (timer rounding may cost one).
    assert.ok(admitted >= 99 && admitted <= 100, `admitted ${admitted}`);
  });

  it('halves concurrency on a 429, pauses everyone for Retry-After, and grows back on success', async () => {
    const clock = new FakeClock();
    const limiter = new ModelRateLimiter('m', { concurrency: 8, clock });
    const first = Array.from({ length: 8 }, () => track(limiter, clock));
    const queued = track(limiter, clock);
    await settle();
    assert.equal(first.filter((c) => c.permit).length, 8);
    assert.equal(queued.at, undefined); // all 8 slots taken

    first[0]!.permit!.release({ kind: 'rejected', retryAfterMs: 500 });
    first[1]!.permit!.release({ kind: 'rejected', retryAfterMs: 500 }); // same congestion event: no second cut
    await settle();
    assert.equal(limiter.stats().concurrency, 4);
    assert.equal(limiter.stats().decreases, 1);
    assert.equal(limiter.stats().rateShare, 0.9); // the declared rate was not enough: use 10% less
    assert.equal(queued.at, undefined); // 6 in flight > 4, and paused anyway

    for (const c of first.slice(2)) c.permit!.release({ kind: 'ok', tokens: 10 });
    await clock.advance(499);
    assert.equal(queued.at, undefined, 'admitted during the Retry-After pause');
    await clock.advance(10);
    assert.ok(queued.at !== undefined && queued.at >= 500, `admitted at ${queued.at}`);

    // Additive increase: 4 successes at limit 4 make it 5.
    queued.permit!.release({ kind: 'ok', tokens: 10 });
    for (let i = 0; i < 3; i++) {
      const c = track(limiter, clock);
      await settle();
      c.permit!.release({ kind: 'ok', tokens: 10 });
    }
    assert.ok(limiter.stats().concurrency >= 5, `concurrency ${limiter.stats().concurrency}`);
    assert.equal(limiter.stats().minConcurrency, 4);
    assert.ok(Math.abs(limiter.stats().rateShare - (0.9 + 10 * 0.002)) < 1e-9); // 10 successes since the cut
  });

  it('charges estimated tokens, learns the actual/estimate ratio, and corrects the bucket by usage', async () => {
    const clock = new FakeClock();
    // 6000 tpm with a one-second bucket: 100 tokens of capacity, 0.1 token per ms.
    const limiter = new ModelRateLimiter('m', { concurrency: 8, tpm: 6_000, burstMs: 1_000, clock });
    const a = track(limiter, clock, 100);
    await settle();
    assert.equal(a.at, 0);
    const b = track(limiter, clock, 100);
    await settle();
    assert.equal(b.at, undefined, 'the bucket holds one 100-token estimate');
    a.permit!.release({ kind: 'ok', tokens: 20 }); // 80 tokens come back at once
    await clock.advance(202); // +20 refilled by t=200: 100 again (timers fire 1 ms late)
    assert.ok(b.at !== undefined && b.at >= 200 && b.at <= 201, `b admitted at ${b.at}`);
    assert.ok(Math.abs(limiter.stats().tokenRatio - (1 + 0.2 * (0.2 - 1))) < 1e-9);
  });

  it('grows a bucket smaller than a call to two calls, and keeps refunds above the capacity', async () => {
    const clock = new FakeClock();
    // 6000 tpm, 100 ms bucket: 10 tokens at 0.1 token per ms; calls of 100 tokens.
    const limiter = new ModelRateLimiter('m', { concurrency: 8, tpm: 6_000, burstMs: 100, clock });
    const a = track(limiter, clock, 100);
    const b = track(limiter, clock, 100);
    const c = track(limiter, clock, 100);
    await clock.advance(1_000);
    // The bucket may now hold 200: a waits for its 100 (90 more: t=900), b for the next 100 (t=1900).
    assert.ok(a.at !== undefined && a.at >= 900 && a.at <= 902, `a admitted at ${a.at}`);
    assert.equal(b.at, undefined);
    await clock.advance(1_000);
    assert.ok(b.at !== undefined && b.at >= 1_900 && b.at <= 1_902, `b admitted at ${b.at}`);
    await clock.advance(2_000); // c at t=2900; by t=3900 the bucket holds 100 again
    assert.ok(c.at !== undefined && c.at >= 2_900 && c.at <= 2_904, `c admitted at ${c.at}`);
    // Each used 50 of its 100: 150 come back on top of the 100, above the capacity of 200. The next
    // calls are charged ~114 (learned ratio 0.756 + 2 x deviation 0.192): 250 admit two at once,
    // where a refund capped at the capacity would admit one.
    for (const call of [a, b, c]) call.permit!.release({ kind: 'ok', tokens: 50 });
    const next = [0, 1, 2].map(() => track(limiter, clock, 100));
    await settle();
    assert.equal(next.filter((call) => call.at !== undefined).length, 2);
  });

  it('drops a queued call whose signal aborts, without holding up the others', async () => {
    const clock = new FakeClock();
    const limiter = new ModelRateLimiter('m', { concurrency: 1, clock });
    const holder = track(limiter, clock);
    const controller = new AbortController();
    const aborted = limiter.acquire(10, controller.signal);
    const next = track(limiter, clock);
    controller.abort(new Error('cancelled by the caller'));
    await assert.rejects(aborted, /cancelled by the caller/);
    await settle();
    holder.permit!.release({ kind: 'failed' });
    await settle();
    assert.equal(next.at, 0);
    assert.equal(limiter.stats().admitted, 2);
  });

  it('rejects bad limits with a message naming the model and the setting', () => {
    assert.throws(
      () => new ModelRateLimiter('openai:x', { concurrency: 4, rpm: 0 }),
      (err: unknown) => err instanceof FapoError && /openai:x: rpm is 0/.test(err.message),
    );
    assert.throws(() => new ModelRateLimiter('openai:x', { concurrency: 0 }), /concurrency is 0/);
  });
});

describe('RateLimiterRegistry', () => {
  it('gives every client of one model the same limiter, with that model’s limits', () => {
    const registry = new RateLimiterRegistry((id) => (id === 'openai:a' ? { rpm: 10 } : undefined));
    const a1 = registry.limiter('openai:a', 4);
    assert.equal(registry.limiter('openai:a', 16), a1);
    assert.notEqual(registry.limiter('openai:b', 4), a1);
    assert.deepEqual(Object.keys(registry.stats()).sort(), ['openai:a', 'openai:b']);
  });
});
