/**
 * `fapo bench --queue`: the cells run on `fapo worker --bench-out` processes (a real redis-server on a
 * free 127.0.0.1 port) and give the same cells as a local `fapo bench`, apart from timings.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAPO_BIN, runCli } from '../fixtures/cli.ts';
import { startRedis, type TestRedis } from '../fixtures/redis-server.ts';
import { tempDir } from '../fixtures/temp.ts';

let redis: TestRedis;
const workers: ChildProcess[] = [];

before(async () => {
  redis = await startRedis();
});

/** SIGTERM to every worker still running; resolves once they have exited. */
function stopAll(): Promise<unknown> {
  return Promise.all(
    workers.map((w) => {
      if (w.exitCode !== null || w.signalCode !== null) return Promise.resolve();
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGTERM');
      return exited;
    }),
  );
}

after(async () => {
  await stopAll();
  await redis.stop();
});

function startCellWorker(dir: string): Promise<void> {
  const w = spawn(process.execPath, [FAPO_BIN, 'worker', '--bench-out', dir, '--queue', redis.url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(w);
  let log = '';
  return new Promise((resolve, reject) => {
    w.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(' ready on ')) resolve();
    });
    w.once('exit', (code) => reject(new Error(`bench worker exited (${code}):\n${log}`)));
  });
}

/** A cell without what differs from run to run (timings, the session id). */
function comparable(cell: Record<string, unknown>): unknown {
  const { wallMs: _w, searchWallMs: _s, session: _id, usage, ...rest } = cell;
  const roles = Object.fromEntries(
    Object.entries((usage as { roles?: object } | undefined)?.roles ?? {}).map(([role, u]) => {
      const { latencyMs: _l, ...counts } = u as Record<string, number>;
      return [role, counts];
    }),
  );
  return { ...rest, roles };
}

test('bench cells dispatched to two workers equal a local bench, and a re-run reads them back', async () => {
  const root = tempDir('fapo-bench-queue-');
  await Promise.all([startCellWorker(join(root, 'w0')), startCellWorker(join(root, 'w1'))]);
  const args = (out: string) => [
    'bench',
    ...['--tasks', 'hotpotqa', '--strategies', 'baseline,fapo', '--task-model', 'sim:echo'],
    ...['--trials', '1', '--limit', '3', '--max-rounds', '1', '--out', out, '--json'],
  ];
  const local = await runCli(args(join(root, 'local')));
  assert.equal(local.code, 0, local.stderr);
  const queued = await runCli([...args(join(root, 'queued')), '--queue', redis.url]);
  assert.equal(queued.code, 0, queued.stderr);
  const cells = (dir: string) =>
    (JSON.parse(readFileSync(join(root, dir, 'bench-table.json'), 'utf8')).cells as Record<string, unknown>[]).map(
      comparable,
    );
  assert.deepEqual(cells('queued'), cells('local'));
  assert.equal(cells('queued').length, 2);

  // With no worker left and an empty Redis, a re-run can only finish by reading the cells it stored.
  await stopAll();
  redis.flush();
  const timeout = new AbortController();
  const again = await Promise.race([
    runCli([...args(join(root, 'queued')), '--queue', redis.url]),
    sleep(60_000, undefined, { signal: timeout.signal }).then(() =>
      assert.fail('the re-run waited for workers instead of reading its stored cells'),
    ),
  ]);
  timeout.abort();
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(cells('queued'), cells('local'));
});
