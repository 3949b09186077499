/** The shared Redis budget against a real redis-server: many clients racing for the same caps. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBudget } from '../../src/scale/budget.ts';
import { caseJobId } from '../../src/scale/protocol.ts';
import { redisOptions } from '../../src/scale/redis.ts';
import { BudgetExceededError } from '../../src/util/errors.ts';
import { startRedis, type TestRedis } from '../fixtures/redis-server.ts';

let redis: TestRedis;
const clients: Redis[] = [];

before(async () => {
  redis = await startRedis();
  for (let i = 0; i < 4; i++) clients.push(new Redis(redisOptions(redis.url)));
});

after(async () => {
  for (const c of clients) c.disconnect();
  await redis.stop();
});

async function race(
  scope: string,
  n: number,
  reserve: { calls: number; tokens: number; costUsd: number },
  spend: typeof reserve,
) {
  let ok = 0;
  let exceeded = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const budget = new RedisBudget(clients[i % clients.length]!, scope);
      try {
        const r = await budget.reserve(reserve);
        ok++;
        await new Promise((res) => setTimeout(res, Math.random() * 20));
        await r.commit(spend);
      } catch (err) {
        assert.ok(err instanceof BudgetExceededError, String(err));
        exceeded++;
      }
    }),
  );
  return { ok, exceeded };
}

test('40 concurrent reservations from 4 connections against maxCalls 10: exactly 10 calls pass', async () => {
  await new RedisBudget(clients[0]!, 'calls').define({ maxCalls: 10 });
  const { ok, exceeded } = await race(
    'calls',
    40,
    { calls: 1, tokens: 0, costUsd: 0 },
    { calls: 1, tokens: 0, costUsd: 0 },
  );
  assert.equal(ok, 10);
  assert.equal(exceeded, 30);
  assert.equal((await new RedisBudget(clients[1]!, 'calls').spent()).calls, 10);
});

test('a cost cap waits for in-flight reservations and counts what calls really spent', async () => {
  await new RedisBudget(clients[0]!, 'cost').define({ maxCostUsd: 1 });
  // Each call may cost up to 0.5 but spends 0.2: far more than two fit, never more than the cap.
  const { ok } = await race('cost', 20, { calls: 1, tokens: 0, costUsd: 0.5 }, { calls: 1, tokens: 0, costUsd: 0.2 });
  const spent = await new RedisBudget(clients[0]!, 'cost').spent();
  assert.ok(spent.costUsd <= 1 + 1e-9, `spent ${spent.costUsd}`);
  assert.ok(ok >= 3, `only ${ok} calls passed`);
  assert.equal(spent.calls, ok);
});

test('released reservations free their room; a scope Redis does not have is an error', async () => {
  const budget = new RedisBudget(clients[0]!, 'release');
  await budget.define({ maxTokens: 100 });
  for (let i = 0; i < 10; i++) await (await budget.reserve({ calls: 1, tokens: 100, costUsd: 0 })).release();
  assert.deepEqual(await budget.spent(), { calls: 0, tokens: 0, costUsd: 0 });
  await assert.rejects(budget.reserve({ calls: 1, tokens: 101, costUsd: 0 }), BudgetExceededError);
  await assert.rejects(
    new RedisBudget(clients[0]!, 'never-defined').reserve({ calls: 1, tokens: 1, costUsd: 0 }),
    /is not in Redis/,
  );
});

test('a reservation of a worker that died expires and stops holding the budget', async () => {
  const budget = new RedisBudget(clients[0]!, 'expiry', 200);
  await budget.define({ maxCalls: 1 });
  await budget.reserve({ calls: 1, tokens: 0, costUsd: 0 }); // never settled: its worker "died"
  const started = performance.now();
  const r = await budget.reserve({ calls: 1, tokens: 0, costUsd: 0 });
  assert.ok(performance.now() - started >= 150, 'the second reservation did not wait for the first to expire');
  await r.commit({ calls: 1, tokens: 0, costUsd: 0 });
  await assert.rejects(budget.reserve({ calls: 1, tokens: 0, costUsd: 0 }), BudgetExceededError);
});

test('job ids are stable per (run, case, trial), distinct otherwise, and free of ":"', () => {
  const id = caseJobId('a'.repeat(64), 'case:1/x', 2);
  assert.equal(id, caseJobId('a'.repeat(64), 'case:1/x', 2));
  assert.notEqual(id, caseJobId('a'.repeat(64), 'case:1/x', 3));
  assert.notEqual(id, caseJobId('a'.repeat(64), 'case:1/y', 2));
  assert.notEqual(id, caseJobId('b'.repeat(64), 'case:1/x', 2));
  assert.doesNotMatch(id, /:/);
});
