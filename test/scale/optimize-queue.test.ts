/**
 * `fapo optimize --queue`: the session's evaluations run on `fapo worker` processes (a real
 * redis-server on a free 127.0.0.1 port) and the session comes out as a local one does: same
 * trajectory, same selected variant, same test scores, same task-model calls paid, booked in its meter.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { startRedis, type TestRedis } from '../fixtures/redis-server.ts';
import { spawnWorker, stopWorkers, workspaces } from './helpers.ts';

let redis: TestRedis;

before(async () => {
  redis = await startRedis();
});

after(async () => {
  await redis.stop();
});

const optimizeArgs = (ws: string, ...extra: string[]) => [
  'optimize',
  ws,
  ...['--max-rounds', '2', '--trials', '1', '--no-sandbox', '--json', ...extra],
];

async function withWorkers<T>(names: string[], ws: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  // The example's model is sim:qa; the base URL is never used.
  const workers = await Promise.all(names.map((n) => spawnWorker(n, ws[n]!, redis.url, 'http://127.0.0.1:9/v1')));
  try {
    return await fn();
  } finally {
    await stopWorkers(workers);
  }
}

test('a session evaluated on two workers equals a local session, usage included', async () => {
  redis.flush();
  const ws = workspaces('local', 'coord', 'o0', 'o1');
  const local = await runCli(optimizeArgs(ws.local!));
  assert.equal(local.code, 0, local.stderr);
  const queued = await withWorkers(['o0', 'o1'], ws, () => runCli(optimizeArgs(ws.coord!, '--queue', redis.url)));
  assert.equal(queued.code, 0, queued.stderr);
  const a = JSON.parse(local.stdout);
  const b = JSON.parse(queued.stdout);
  assert.ok(a.trajectory.length >= 2, 'the search accepted no variant: nothing was compared');
  assert.deepEqual(b.trajectory, a.trajectory);
  assert.equal(b.best, a.best);
  assert.deepEqual(b.test, a.test);
  for (const role of ['task', 'test']) {
    const { latencyMs: _a, ...localUsage } = a.usage.roles[role];
    const { latencyMs: _b, ...queuedUsage } = b.usage.roles[role];
    assert.deepEqual(queuedUsage, localUsage, `${role} usage`);
  }
  assert.ok(a.usage.roles.task.calls > 100);
});

test('--max-task-calls is kept across workers: the session stops on the shared budget as a local one does', async () => {
  redis.flush();
  const ws = workspaces('local', 'coord', 'p0', 'p1');
  const local = await runCli(optimizeArgs(ws.local!, '--max-task-calls', '100'));
  const queued = await withWorkers(['p0', 'p1'], ws, () =>
    runCli(optimizeArgs(ws.coord!, '--max-task-calls', '100', '--queue', redis.url)),
  );
  // The baseline's validation alone needs more than 100 calls: both stop there, and report it.
  assert.equal(local.code, 0, local.stderr);
  assert.equal(queued.code, 0, queued.stderr);
  const [a, b] = [local, queued].map((run) => JSON.parse(run.stdout).session.stopReason);
  assert.match(a, /^budget ran out during the baseline evaluation/);
  assert.match(
    b,
    /^budget ran out during the baseline evaluation .*shared budget maxCalls reached across workers \(spent 100;/,
  );
});

test('--max-cost with --queue is refused (it cannot be kept across machines yet), not loosened', async () => {
  const ws = workspaces('coord');
  const run = await runCli(optimizeArgs(ws.coord!, '--max-cost', '1', '--queue', redis.url));
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--max-cost is not kept across queue workers yet/);
});
