/**
 * `npm run bench:scale`: cases per second of `fapo eval --queue` with 1, 2 and 4 `fapo worker`
 * processes against a fake model answering in 200 ms, each printed against the ideal (linear in the
 * workers: N × the 1-worker rate) and against the model-bound ceiling (N × worker concurrency / the
 * model time of one case). Target: ≥ 0.9 of linear where CPU is not the bound.
 *
 * Everything runs on this machine: a redis-server on a free 127.0.0.1 port, the fake model, the
 * workers (child processes, chain code in-process: --no-sandbox unless FAPO_BENCH_SANDBOX=1) and the
 * coordinator (this process; the timer covers evaluate() only, not process start-up). Each
 * measurement gets fresh workspaces and an empty Redis, so every call is paid once.
 *
 * Options (environment): FAPO_BENCH_WORKERS=1,2,4  FAPO_BENCH_CONCURRENCY=4 (cases per worker)
 * FAPO_BENCH_CASES=120 (per worker: the load grows with the workers, so each run lasts about as long).
 */
import { cpus } from 'node:os';
import { openEnvironment } from '../src/eval/environment.ts';
import { evaluate } from '../src/eval/runner.ts';
import { baselineVariant } from '../src/eval/variant.ts';
import { QueueDispatcher } from '../src/scale/dispatcher.ts';
import { startCountingLlm } from '../test/fixtures/counting-llm.ts';
import { startRedis } from '../test/fixtures/redis-server.ts';
import { MODEL, spawnWorker, stopWorkers, workspaces } from '../test/scale/helpers.ts';
import { sized } from './quick.ts';

const LATENCY_MS = sized(200, 20);
const counts = (process.env.FAPO_BENCH_WORKERS ?? sized('1,2,4', '1')).split(',').map(Number);
const perWorker = Number(process.env.FAPO_BENCH_CONCURRENCY ?? 4);
const casesPerWorker = Number(process.env.FAPO_BENCH_CASES ?? sized(120, 8));
const sandbox = process.env.FAPO_BENCH_SANDBOX === '1';

const redis = await startRedis();
const llm = await startCountingLlm(LATENCY_MS);
console.log(
  `bench:scale — fake model ${LATENCY_MS} ms/call, ${perWorker} cases at once per worker, ${casesPerWorker} cases per worker, ` +
    `${sandbox ? 'sandboxed' : 'in-process'} chains, ${cpus().length} CPU cores, Redis ${redis.url}`,
);

interface Row {
  workers: number;
  cases: number;
  seconds: number;
  rate: number;
  callsPerCase: number;
}
const rows: Row[] = [];
try {
  for (const n of counts) {
    redis.flush();
    const names = Array.from({ length: n }, (_, i) => `n${n}w${i}`);
    const ws = workspaces('coord', ...names);
    const workers = await Promise.all(
      names.map((name) =>
        spawnWorker(name, ws[name]!, redis.url, llm.url(name), ['--concurrency', String(perWorker)], { sandbox }),
      ),
    );
    const env = await openEnvironment(ws.coord!, { model: MODEL, sandbox: false, remoteModels: true });
    const remote = await QueueDispatcher.open({ url: redis.url, taskName: env.task.manifest.name });
    try {
      const variant = env.store.putVariant(baselineVariant(env.task));
      const split = 'val';
      const trials = Math.ceil((casesPerWorker * n) / env.task.datasets[split].cases.length);
      const started = performance.now();
      const outcome = await evaluate({
        task: env.task,
        store: env.store,
        variant,
        split,
        trials,
        model: env.model,
        sampling: env.sampling,
        executor: env.executor,
        retrievers: env.retrievers,
        concurrency: 1,
        remote,
        purpose: 'bench:scale',
      });
      const seconds = (performance.now() - started) / 1000;
      const cases = outcome.computed;
      if (outcome.summary.counts.ok !== cases) throw new Error(`only ${outcome.summary.counts.ok}/${cases} cases ok`);
      const paid = names.reduce((sum, name) => sum + llm.stats(name).answered, 0);
      rows.push({ workers: n, cases, seconds, rate: cases / seconds, callsPerCase: paid / cases });
      console.log(`  ${n} worker(s): ${cases} cases in ${seconds.toFixed(1)} s`);
    } finally {
      await remote.close();
      await env.close();
      await stopWorkers(workers);
    }
  }
} finally {
  await llm.close();
  await redis.stop();
}

const base = rows[0]!;
console.log('');
console.log('workers  cases/s  ideal (linear)  of linear  model-bound ceiling  of ceiling');
for (const r of rows) {
  const linear = (base.rate * r.workers) / base.workers;
  const ceiling = (r.workers * perWorker) / ((r.callsPerCase * LATENCY_MS) / 1000);
  console.log(
    `${String(r.workers).padStart(7)}  ${r.rate.toFixed(2).padStart(7)}  ${linear.toFixed(2).padStart(14)}  ${(r.rate / linear).toFixed(2).padStart(9)}  ${ceiling.toFixed(2).padStart(19)}  ${(r.rate / ceiling).toFixed(2).padStart(10)}`,
  );
}
const worst = Math.min(...rows.map((r) => r.rate / ((base.rate * r.workers) / base.workers)));
console.log(`\nworst fraction of linear: ${worst.toFixed(2)} (target ≥ 0.90 where CPU is not the bound)`);
