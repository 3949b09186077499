import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageMeter } from '../../src/models/meter.ts';
import { BudgetExceededError, FapoError } from '../../src/util/errors.ts';

const outcome = (input: number, output: number, costUsd = 0) => ({
  usage: { inputTokens: input, outputTokens: output },
  costUsd,
  latencyMs: 10,
});

describe('UsageMeter', () => {
  it('accounts calls, errors, tokens, cost, latency and cache hits per role and in total', async () => {
    const meter = new UsageMeter();
    (await meter.reserve('task', { tokens: 100, costUsd: 1 })).commit(outcome(10, 5, 0.25));
    (await meter.reserve('reviewer', { tokens: 100, costUsd: 1 })).fail(7);
    meter.recordCacheHit('task', 0.25);
    assert.deepEqual(meter.usage('task'), {
      calls: 1,
      cacheHits: 1,
      errors: 0,
      inputTokens: 10,
      outputTokens: 5,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.25,
      savedCostUsd: 0.25,
      latencyMs: 10,
      unsettledCalls: 0,
      unsettledTokens: 0,
      unsettledCostUsd: 0,
    });
    assert.equal(meter.usage('reviewer').errors, 1);
    assert.equal(meter.usage().calls, 2);
    assert.equal(meter.usage().latencyMs, 17);
  });

  it('never lets concurrent reservations pass a token cap, and waits for in-flight calls that may free room', async () => {
    const meter = new UsageMeter({ total: { maxTokens: 1000 } });
    const first = await meter.reserve('task', { tokens: 600, costUsd: 0 });
    let secondGranted = false;
    const second = meter.reserve('task', { tokens: 600, costUsd: 0 }).then((r) => {
      secondGranted = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(secondGranted, false, 'must wait: 600 reserved + 600 > 1000');
    first.commit(outcome(100, 100)); // spent 200, so 200 + 600 fits
    (await second).commit(outcome(300, 300));
    assert.equal(meter.usage().inputTokens + meter.usage().outputTokens, 800);
    await assert.rejects(meter.reserve('task', { tokens: 300, costUsd: 0 }), (err: unknown) => {
      assert.ok(err instanceof BudgetExceededError);
      assert.equal(err.budget, 'total.maxTokens');
      return true;
    });
  });

  it('rejects a waiting call once the in-flight calls have spent the room', async () => {
    const meter = new UsageMeter({ total: { maxCostUsd: 1 } });
    const first = await meter.reserve('task', { tokens: 0, costUsd: 0.6 });
    const second = meter.reserve('task', { tokens: 0, costUsd: 0.6 });
    first.commit(outcome(0, 0, 0.5));
    await assert.rejects(second, BudgetExceededError);
  });

  it('caps calls per role and in total under many concurrent reservations', async () => {
    const meter = new UsageMeter({ total: { maxCalls: 7 }, byRole: { proposer: { maxCalls: 3 } } });
    const attempts = Array.from({ length: 20 }, (_, i) =>
      meter.reserve(i % 2 ? 'proposer' : 'task', { tokens: 1, costUsd: 0 }).then((r) => {
        setTimeout(() => r.commit(outcome(1, 0)), 1);
      }),
    );
    await Promise.allSettled(attempts);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(meter.usage().calls, 7);
    assert.equal(meter.usage('proposer').calls, 3);
  });

  it('snapshots to plain JSON and restores from it (resume)', async () => {
    const meter = new UsageMeter();
    (await meter.reserve('proposer', { tokens: 10, costUsd: 0 })).commit(outcome(3, 4, 0.01));
    const snapshot = JSON.parse(JSON.stringify(meter.snapshot()));
    assert.equal(snapshot.total.outputTokens, 4);
    const resumed = UsageMeter.restore(snapshot, { total: { maxCalls: 1 } });
    assert.deepEqual(resumed.usage('proposer'), meter.usage('proposer'));
    await assert.rejects(resumed.reserve('task', { tokens: 1, costUsd: 0 }), BudgetExceededError);
    assert.throws(() => UsageMeter.restore({ version: 1, roles: { task: { calls: -1 } } }), FapoError);
  });

  it('refuses to settle a reservation twice', async () => {
    const reservation = await new UsageMeter().reserve('task', { tokens: 1, costUsd: 0 });
    reservation.commit(outcome(1, 1));
    assert.throws(() => reservation.fail(1));
  });
});
