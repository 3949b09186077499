/**
 * `npm run bench:real`: fapo with REAL models in the loop, offline, on this machine's CPU.
 *
 * 1. Threads: SmolLM2-135M-Instruct with 1 vs 2 llama.cpp threads (each in its own process), the
 *    figures behind the local provider's default of 1 thread; Gemma 3 270M (base) for scale.
 * 2. A small study per task: the baseline vs FAPO (rule proposer; then the agent proposer with the
 *    same small model as optimizer) vs GEPA (reflection by the same small model), all with SmolLM2 as
 *    the task model, three trials, paired CI on the held-out test cases; compute per role, wall time,
 *    tokens/s, and fapo's own overhead outside evaluations. Tasks are cut to a few cases and short
 *    replies to fit a CPU budget: the figures are small-sample, and a 135M model scores low.
 *
 * Tasks: ticket-triage (scripts/bench-real/ticket-triage: 40 hand-written tickets, four queues, an
 * enum in structured output) and CTIBench-RCM (benchmarks/ctibench: CVE -> CWE, free text).
 * Env: BENCH_REAL_TASKS=ticket-triage,ctibench  BENCH_REAL_CASES=train:val:test (over TASKS below)
 *      BENCH_REAL_METHODS=fapo-rules,fapo-agent,gepa  BENCH_REAL_MAX_TOKENS (reply cap, over TASKS)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OptimizeFlags, runOptimize, sessionConfig } from '../src/cli/commands/optimize.ts';
import { createModelClient } from '../src/models/index.ts';
import type { RoleUsage } from '../src/models/meter.ts';
import type { SessionOutcome } from '../src/optimize/session.ts';
import { errorMessage } from '../src/util/errors.ts';
import { ensureTestModels } from './fetch-test-models.mjs';
import { evaluationClock } from './evaluation-time.ts';
import { QUICK, sized } from './quick.ts';

const ROOT = join(import.meta.dirname, '..');

if (process.argv[2] === '--probe') {
  await probe(process.argv[3]!);
  process.exit(0);
}

/** Child mode: a few greedy calls on one model, with FAPO_LOCAL_THREADS from the parent. */
async function probe(modelPath: string): Promise<void> {
  const client = createModelClient(`local:${modelPath}`, { concurrency: 1, timeoutMs: 600_000 });
  const ask = (content: string, schema?: Record<string, unknown>) =>
    client.generate({
      messages: [{ role: 'user', content }],
      sampling: { temperature: 0, maxTokens: 48, seed: 1 },
      ...(schema ? { schema } : {}),
    });
  await ask('Say hi.'); // loads the model and warms the context
  const started = performance.now();
  const replies = [
    await ask('Explain in two sentences why the sky is blue.'),
    await ask('List three fruits.'),
    await ask('Classify the sentiment of "I loved this film" as JSON.', {
      type: 'object',
      properties: { label: { type: 'string', enum: ['positive', 'negative'] } },
      required: ['label'],
    }),
  ];
  const ms = performance.now() - started;
  const output = replies.reduce((n, r) => n + r.usage.outputTokens, 0);
  console.log(JSON.stringify({ ms, output, tokensPerSecond: (1000 * output) / ms }));
}

const models = await ensureTestModels(sized(['smollm2', 'gemma3'], ['smollm2']), (line) => console.error(line));
const smollm2 = models.smollm2!;

console.log('fapo bench:real: real GGUF models through local: (node-llama-cpp, CPU)\n');
console.log('1. threads (3 greedy calls of up to 48 tokens after a warm-up; each row its own process)');
const probes: [name: string, path: string, threads: number][] = [
  ['SmolLM2-135M-Instruct Q4_1', smollm2, 1],
  ['SmolLM2-135M-Instruct Q4_1', smollm2, 2],
  ['Gemma 3 270M (base) Q4_K_M', models.gemma3!, 1],
];
for (const [name, path, threads] of sized(probes, probes.slice(0, 1))) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--probe', path], {
    env: { ...process.env, FAPO_LOCAL_THREADS: String(threads) },
    encoding: 'utf8',
    timeout: 600_000,
  });
  const row = child.status === 0 ? JSON.parse(child.stdout.trim().split('\n').pop()!) : undefined;
  console.log(
    `   ${name.padEnd(28)} threads ${threads}: ${
      row
        ? `${(row.ms / 1000).toFixed(1)} s for ${row.output} tokens, ${row.tokensPerSecond.toFixed(1)} tokens/s`
        : `failed: ${child.stderr.slice(-300)}`
    }`,
  );
}
console.log(`   load average now: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

// Time spent inside evaluations, to separate fapo's own overhead (attribution, proposals, review,
// bookkeeping) from the time spent running the chains and the model.
const evaluations = evaluationClock();

/** Cases per split (train/val/test) and the reply cap of each task: sized for about an hour in all. */
const TASKS: Record<string, { cases: [number, number, number]; maxTokens: number }> = {
  'ticket-triage': { cases: [8, 16, 16], maxTokens: 32 },
  ctibench: { cases: [4, 8, 8], maxTokens: 64 },
};
const casesOverride = process.env.BENCH_REAL_CASES?.split(':').map(Number) as [number, number, number] | undefined;
const maxTokensOverride = process.env.BENCH_REAL_MAX_TOKENS ? Number(process.env.BENCH_REAL_MAX_TOKENS) : undefined;
const tasks = (process.env.BENCH_REAL_TASKS ?? sized(Object.keys(TASKS).join(','), 'ticket-triage'))
  .split(',')
  .map((name) => {
    const preset = QUICK
      ? { cases: [2, 2, 2] as [number, number, number], maxTokens: 16 }
      : (TASKS[name] ?? { cases: [8, 16, 16], maxTokens: 64 });
    return { name, cases: casesOverride ?? preset.cases, maxTokens: maxTokensOverride ?? preset.maxTokens };
  });
const methods = (process.env.BENCH_REAL_METHODS ?? sized('fapo-rules,fapo-agent,gepa', 'fapo-rules')).split(',');
const model = `local:${smollm2}`;

const FLAGS: OptimizeFlags = {
  strategy: 'fapo',
  proposer: 'rules',
  trials: sized('3', '1'),
  seed: '0',
  model,
  concurrency: '4',
  // A 135M model's long reply on two busy cores can take minutes: the 120 s default ended a GEPA session.
  timeout: '600000',
  maxVariants: sized('4', '1'),
  maxRounds: sized('3', '1'),
  accept: 'mean',
  analyst: false,
  reviewer: false,
  sandbox: true,
  json: true,
};
const methodFlags = (method: string, valCases: number): Partial<OptimizeFlags> =>
  ({
    'fapo-rules': {},
    // The optimizer roles get the same 135M model: labelled as such in the table.
    'fapo-agent': { proposer: 'agent', optimizerModel: model },
    // About the rule proposer's budget: four candidates on every validation case.
    gepa: { strategy: 'gepa', reflectionModel: model, maxMetricCalls: String(4 * valCases) },
  })[method] ?? {};

/** A copy of the task (the bench's own, else a benchmark) cut to a few cases per split and short replies. */
function smallTask({ name, cases, maxTokens }: (typeof tasks)[number]): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'fapo-bench-real-')), name);
  const own = join(import.meta.dirname, 'bench-real', name);
  const source = existsSync(own) ? own : join(ROOT, 'benchmarks', name);
  cpSync(source, dir, { recursive: true, filter: (src) => !src.includes('.fapo') });
  for (const [split, n] of [
    ['train', cases[0]],
    ['val', cases[1]],
    ['test', cases[2]],
  ] as const) {
    const file = join(dir, 'data', `${split}.jsonl`);
    writeFileSync(file, `${readFileSync(file, 'utf8').trim().split('\n').slice(0, n).join('\n')}\n`);
  }
  const manifest = join(dir, 'fapo.task.yaml');
  const capped = readFileSync(manifest, 'utf8').replace(
    /maxTokens: (\d+)/,
    (_, n: string) => `maxTokens: ${Math.min(Number(n), maxTokens)}`,
  );
  writeFileSync(manifest, capped);
  return dir;
}

const pct = (x: number | null | undefined) =>
  x === undefined || x === null ? '  n/a' : (100 * x).toFixed(1).padStart(5);
const tokens = (u: RoleUsage | undefined) => (u ? u.inputTokens + u.outputTokens : 0);

console.log(
  `\n2. study: task model SmolLM2-135M-Instruct, ${FLAGS.trials} trials, concurrency 4; test = held-out, evaluated once per session; ` +
    tasks.map((t) => `${t.name}: ${t.cases.join('/')} train/val/test cases, maxTokens ≤ ${t.maxTokens}`).join('; '),
);
console.log(
  `   ${'task'.padEnd(13)} ${'method'.padEnd(34)} ${'base'.padStart(5)} ${'sel.'.padStart(5)}  ${'Δ [95% CI] p'.padEnd(28)} ${'task calls'.padEnd(10)} ${'optimizer roles'.padEnd(26)} ${'wall'.padStart(7)} ${'tok/s'.padStart(6)} overhead`,
);
for (const task of tasks) {
  const dir = smallTask(task);
  const name = task.name;
  try {
    for (const method of methods) {
      const label =
        method === 'fapo-agent'
          ? 'fapo agent (optimizer: SmolLM2 too)'
          : method === 'gepa'
            ? 'GEPA (reflection: SmolLM2 too)'
            : 'fapo rules (model-free proposer)';
      evaluations.reset();
      const started = performance.now();
      let outcome: SessionOutcome;
      try {
        outcome = await runOptimize(dir, sessionConfig({ ...FLAGS, ...methodFlags(method, task.cases[1]) }), {
          quiet: true,
        });
      } catch (err) {
        console.log(`   ${name.padEnd(13)} ${label.padEnd(34)} did not run: ${errorMessage(err).slice(0, 200)}`);
        continue;
      }
      const wallMs = performance.now() - started;
      const { baseline, best, comparison: c } = outcome.test;
      const roles = outcome.usage.roles;
      const task_ = roles.task;
      const optimizerRoles = Object.entries(roles).filter(([role]) => role !== 'task' && role !== 'test');
      const optimizerText = optimizerRoles.length
        ? optimizerRoles.map(([role, u]) => `${role} ${u.calls}c/${tokens(u)}t`).join(', ')
        : 'none (model-free)';
      const allCalls = Object.values(roles).reduce((n, u) => n + u.calls, 0);
      const modelMs = Object.values(roles).reduce((n, u) => n + u.latencyMs, 0);
      const outputTokens = Object.values(roles).reduce((n, u) => n + u.outputTokens, 0);
      console.log(
        `   ${name.padEnd(13)} ${label.padEnd(34)} ${pct(baseline.summary.mean)} ${pct(best.summary.mean)}  ${`${(100 * c.delta).toFixed(1)} [${(100 * c.ci.low).toFixed(1)}, ${(100 * c.ci.high).toFixed(1)}] p=${c.pValue.toFixed(2)}`.padEnd(28)} ${`${task_?.calls ?? 0}+${task_?.cacheHits ?? 0}h`.padEnd(10)} ${optimizerText.padEnd(26)} ${`${(wallMs / 1000).toFixed(0)} s`.padStart(7)} ${((1000 * outputTokens) / Math.max(1, modelMs)).toFixed(1).padStart(6)} ${(100 * (1 - evaluations.ms / wallMs)).toFixed(1)}%`,
      );
      console.log(
        `   ${''.padEnd(9)} ${''.padEnd(34)} ${allCalls} model calls, Σ call latency ${(modelMs / 1000).toFixed(0)} s over ${(wallMs / 1000).toFixed(0)} s wall ` +
          `(latency bound at 4 sequences: ${(modelMs / 4 / 1000).toFixed(0)} s); selected v${outcome.result.best.seq}; ` +
          `val trajectory ${outcome.result.trajectory.map((p) => pct(p.valMean).trim()).join(' → ')}`,
      );
    }
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}
console.log(
  '\nbase/sel. = test score of the baseline / of the selected variant (%); Δ = paired difference with its bootstrap CI' +
    ' and permutation p; task calls = paid + cache hits (h); optimizer roles = calls (c) / tokens (t); tok/s = output' +
    ' tokens per second of summed call latency (concurrent calls overlap); overhead = share of wall time outside' +
    ' evaluations (fapo’s attribution, proposals, review, bookkeeping).',
);
