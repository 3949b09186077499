/**
 * Scale-out end to end: a real redis-server on a free 127.0.0.1 port, `fapo worker` child processes
 * calling a fake model endpoint each, and `fapo eval --queue` as the coordinator. Every run is compared
 * with a local run of the same workspace: identical results, and exactly as many answered (paid) model
 * calls, whatever was killed or restarted on the way.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import { queueName } from '../../src/scale/protocol.ts';
import { bullConnection, redisOptions } from '../../src/scale/redis.ts';
import { Redis } from 'ioredis';
import { startWorker } from '../../src/scale/worker.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';
import { runCli } from '../fixtures/cli.ts';
import { type CountingLlm, startCountingLlm } from '../fixtures/counting-llm.ts';
import { startRedis, type TestRedis } from '../fixtures/redis-server.ts';
import { MODEL, latestResults, spawnWorker, stopWorkers, type WorkerProc, workspaces } from './helpers.ts';

const TRIALS = '3';
let redis: TestRedis;
let llm: CountingLlm;
let reference: { results: ReturnType<typeof latestResults>; paid: number };

before(async () => {
  redis = await startRedis();
  llm = await startCountingLlm(150);
  // The local run every distributed run must match: same cases, same scores, same number of paid calls.
  const ws = workspaces('local');
  const local = await runCli(['eval', ws.local!, '--model', MODEL, '--trials', TRIALS, '--no-sandbox', '--json'], {
    env: { FAPO_OPENAI_COMPATIBLE_BASE_URL: llm.url('local') },
  });
  assert.equal(local.code, 0, local.stderr);
  reference = { results: latestResults(ws.local!), paid: llm.stats('local').answered };
  assert.equal(reference.results.size, 30 * Number(TRIALS));
  assert.ok(reference.paid >= 300, `the reference run paid only ${reference.paid} calls`);
});

after(async () => {
  await llm?.close();
  await redis?.stop();
});

function evalArgs(ws: string, ...extra: string[]): string[] {
  return ['eval', ws, '--queue', redis.url, '--model', MODEL, '--trials', TRIALS, '--no-sandbox', '--json', ...extra];
}

async function startWorkers(prefix: string, ws: Record<string, string>, n: number, extra: string[] = []) {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      spawnWorker(`${prefix}${i}`, ws[`${prefix}${i}`]!, redis.url, llm.url(`${prefix}${i}`), extra),
    ),
  );
}

test('3 workers, killed at random mid-call and replaced: same results as a local run, no completed call repaid', async () => {
  redis.flush();
  const ws = workspaces('coord', ...Array.from({ length: 6 }, (_, i) => `k${i}`));
  const workers: WorkerProc[] = await startWorkers('k', ws, 3);
  const probe = new Redis(redisOptions(redis.url));
  const coordinator = runCli(evalArgs(ws.coord!));
  let finished = false;
  void coordinator.then(() => (finished = true));
  const killed: string[] = [];
  while (!finished && killed.length < 3) {
    // Work goes on for a moment (a few of the fake model's 150 ms calls per slot at most), then every
    // answer is held while a victim is chosen and killed: how fast the machine is cannot change the plot.
    await sleep(50 + Math.random() * 150);
    llm.hold();
    const alive = workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    const victim = alive.find((w) => llm.stats(w.name).open > 0);
    // Kill only mid-call, and only once every answer the model gave so far is in the shared cache.
    const deadline = performance.now() + 10_000;
    while (victim && (await probe.keys('fapo:cache:*')).length < llm.answered('k') && performance.now() < deadline)
      await sleep(10);
    if (victim && (await probe.keys('fapo:cache:*')).length === llm.answered('k')) {
      victim.proc.kill('SIGKILL');
      llm.cut(victim.name); // its open calls never complete: the process is gone
      killed.push(victim.name);
      const name = `k${2 + killed.length}`;
      workers.push(await spawnWorker(name, ws[name]!, redis.url, llm.url(name)));
    }
    llm.release();
  }
  probe.disconnect();
  const run = await coordinator;
  await stopWorkers(workers);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(killed.length, 3, 'the run finished before three workers could be killed mid-call');
  const out = JSON.parse(run.stdout);
  assert.ok(out.workers.length >= 3, `results came from ${out.workers.join(', ')}`);
  assert.deepEqual(latestResults(ws.coord!), reference.results);
  assert.equal(llm.answered('k'), reference.paid, 'completed model calls were paid again');
});

test('a coordinator killed mid-run resumes with the jobs already done (no case recomputed, no call repaid)', async () => {
  redis.flush();
  const ws = workspaces('coord', 'r0', 'r1', 'r2');
  const workers = await startWorkers('r', ws, 3);
  let child: ChildProcess | undefined;
  const first = runCli(evalArgs(ws.coord!), { onSpawn: (c) => (child = c) });
  while (llm.answered('r') < reference.paid / 3) await sleep(20);
  child!.kill('SIGKILL');
  assert.equal((await first).signal, 'SIGKILL');
  await sleep(500); // the workers go on with the queued cases meanwhile
  const second = await runCli(evalArgs(ws.coord!));
  await stopWorkers(workers);
  assert.equal(second.code, 0, second.stderr);
  assert.ok(JSON.parse(second.stdout).resumed > 0, 'nothing stored before the kill was kept');
  assert.deepEqual(latestResults(ws.coord!), reference.results);
  assert.equal(llm.answered('r'), reference.paid, 'model calls were paid again after the restart');
});

test('Redis restarted mid-run: the run completes with the same results and no call repaid', async () => {
  redis.flush();
  const ws = workspaces('coord', 's0', 's1', 's2');
  // Job locks longer than the outage: a worker that lives through it keeps its cases.
  const workers = await startWorkers('s', ws, 3, ['--lock-ms', '10000']);
  const run = runCli(evalArgs(ws.coord!));
  while (llm.answered('s') < reference.paid / 3) await sleep(20);
  await redis.stop();
  await sleep(1000);
  await redis.start();
  const done = await run;
  await stopWorkers(workers);
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(latestResults(ws.coord!), reference.results);
  assert.equal(llm.answered('s'), reference.paid, 'model calls were paid again after the Redis restart');
});

test('Redis losing its data mid-run (no persistence): the lost jobs are added again and the results are the same', async () => {
  redis.flush();
  const ws = workspaces('coord', 'f0', 'f1', 'f2');
  const workers = await startWorkers('f', ws, 3);
  const run = runCli(evalArgs(ws.coord!));
  while (llm.answered('f') < reference.paid / 3) await sleep(20);
  redis.flush(); // queues, cached answers and locks gone at once, as after a restart without persistence
  const done = await run;
  await stopWorkers(workers);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /were not in Redis \(restarted without persistence\?\); adding them again/);
  assert.deepEqual(latestResults(ws.coord!), reference.results);
});

test('--max-calls is a hard cap across workers: the run stops with a budget error and never passes it', async () => {
  redis.flush();
  const ws = workspaces('coord', 'b0', 'b1', 'b2');
  const workers = await startWorkers('b', ws, 3);
  const run = await runCli(evalArgs(ws.coord!, '--max-calls', '25'));
  await stopWorkers(workers); // lets calls still in flight finish first
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stderr, /shared budget maxCalls reached across workers/);
  // A reservation is refused only once 25 calls have been paid: never more, and the budget is used up.
  assert.equal(llm.answered('b'), 25);
});

test('a bad Redis URL or a Redis that is down is a clear error with exit code 2', async () => {
  const ws = workspaces('coord');
  const bad = await runCli(['eval', ws.coord!, '--queue', 'http://127.0.0.1:1', '--no-sandbox']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /is not a Redis URL: the scheme is "http"/);
  const down = await runCli(['eval', ws.coord!, '--queue', 'redis://127.0.0.1:1', '--no-sandbox']);
  assert.equal(down.code, 2);
  assert.match(down.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  const worker = await runCli(['worker', ws.coord!, '--queue', 'redis://127.0.0.1:1', '--no-sandbox']);
  assert.equal(worker.code, 2);
  assert.match(worker.stderr, /cannot reach Redis/);
});

test('a worker whose workspace differs (another scorer) refuses the cases and the run stops naming the difference', async () => {
  redis.flush();
  const ws = workspaces('coord', 'm0');
  // A real change (a comment would not do: fingerprints are taken of the minified bundle).
  const scorer = join(ws.m0!, 'scorer.ts');
  writeFileSync(scorer, readFileSync(scorer, 'utf8').replace("'Correct.'", "'Right.'"));
  const workers = await startWorkers('m', ws, 1);
  const run = await runCli(evalArgs(ws.coord!));
  await stopWorkers(workers);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stderr, /its copy of task "multi-hop-qa" differs from the coordinator's \(the scorer\)/);
  assert.equal(llm.answered('m'), 0);
});

test('a worker needs no default model: its manifest may name none (each job names its model)', async () => {
  redis.flush();
  const ws = workspaces('coord', 'n0');
  const manifest = join(ws.n0!, 'fapo.task.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^model: .*$/m, ''));
  const workers = await startWorkers('n', ws, 1);
  const run = await runCli(evalArgs(ws.coord!, '--limit', '2'));
  await stopWorkers(workers);
  assert.equal(run.code, 0, run.stderr);
  const results = latestResults(ws.coord!);
  assert.equal(results.size, 2 * Number(TRIALS));
  for (const [key, r] of results) assert.deepEqual(r, reference.results.get(key), key);
});

test('a job payload that is not a case job fails at once with the reason (zod), and is not retried', async () => {
  redis.flush();
  const ws = workspaces('z0');
  installSimBehaviours(); // the workspace's manifest model is sim:qa (the CLI installs the stand-ins)
  const worker = await startWorker({ url: redis.url, taskDirs: [ws.z0!], concurrency: 1, sandbox: false });
  const queue = new Queue(queueName('multi-hop-qa'), { connection: bullConnection(redis.url) });
  try {
    const job = await queue.add('case', { v: 1, task: 'multi-hop-qa', trial: -1 }, { attempts: 3 });
    let state = await job.getState();
    for (let i = 0; i < 200 && state !== 'failed'; i++) {
      await sleep(25);
      state = await job.getState();
    }
    assert.equal(state, 'failed');
    const failed = await Job.fromId(queue, job.id!);
    assert.match(failed!.failedReason, /invalid case job/);
    assert.equal(failed!.attemptsMade, 1, 'an invalid payload was retried');
  } finally {
    await queue.close();
    await worker.close();
  }
});
