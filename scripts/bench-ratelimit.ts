/**
 * `npm run bench:ratelimit`: rate-limit aware scheduling against a fake OpenAI-compatible server
 * (127.0.0.1, no network) that enforces requests/min and tokens/min with 429 + retry-after-ms.
 *
 * Time is scaled: the server's and the limiter's "minute" is WINDOW_MS long (printed), so 2,000 calls
 * at 600 requests/min take seconds instead of 3.3 minutes. Everything else is real: HTTP, the AI SDK
 * provider and its retries, the ModelClient, the metering middleware.
 *
 * Figures: calls finished, failed, rejected by the server (429s, retries included), and the achieved
 * rate as a fraction of what the limits allowed over the run's wall time (burst + refill).
 * Targets: >= 90% of the allowed rate, 0 failed calls, <= 2% of calls rejected.
 *
 * Then `fapo eval --batch` (the real CLI, in child processes) against a fake OpenAI Batch API that
 * answers with the offline sim reader: the reported cost against the standard price of the same tokens
 * (target: exactly the 50% batch price), and a run killed (SIGKILL) while its first batch is running,
 * then rerun: requests submitted and billed per request (target: each exactly once).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageMeter } from '../src/models/meter.ts';
import { costUsd, lookupPrice } from '../src/models/pricing.ts';
import { simQa } from '../src/testing/sim-qa.ts';
import { startFakeBatchServer } from '../test/fixtures/fake-batch.ts';
import { createModelClient } from '../src/models/client.ts';
import { RateLimiterRegistry, type RateLimits } from '../src/models/rate-limit.ts';
import { startFakeOpenAI } from '../test/fixtures/fake-openai.ts';
import { rateLimitedResponder } from '../test/fixtures/fake-rate-limit.ts';
import { throughput } from '../test/fixtures/throughput.ts';
import { QUICK, sized } from './quick.ts';

// 6 s per "minute" (10x faster than real time): scaling further leaves the client's quarter-second
// bucket (2.5 requests at 600/min) less time than this process's timer delays on a busy 2-core machine.
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 6_000);
const LATENCY_MS = 20;

interface Scenario {
  name: string;
  calls: number;
  limits: Required<Pick<RateLimits, 'rpm'>> & RateLimits;
  /** Client-side rate limiting on (off: only the fixed concurrency and the AI SDK's retries). */
  limiter: boolean;
  concurrency: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'rpm-bound', calls: sized(2_000, 60), limits: { rpm: 600, tpm: 40_000 }, limiter: true, concurrency: 32 },
  { name: 'tpm-bound', calls: sized(500, 40), limits: { rpm: 600, tpm: 12_000 }, limiter: true, concurrency: 32 },
  {
    name: 'no limiter (reference)',
    calls: sized(300, 30),
    limits: { rpm: 600, tpm: 40_000 },
    limiter: false,
    concurrency: 32,
  },
];

/** A prompt of 10-40 words, so calls differ in tokens. */
function prompt(i: number): string {
  const n = 10 + ((i * 7) % 31);
  return `case ${i}: ${Array.from({ length: n - 2 }, (_, k) => `w${(i + k) % 97}`).join(' ')}`;
}

async function run(scenario: Scenario) {
  const burstMs = WINDOW_MS / 60;
  const limiter = rateLimitedResponder({ ...scenario.limits, windowMs: WINDOW_MS, burstMs });
  const server = await startFakeOpenAI({ latencyMs: LATENCY_MS, respond: limiter.respond });
  const registry = new RateLimiterRegistry(() => scenario.limits, { windowMs: WINDOW_MS });
  const meter = new UsageMeter();
  const client = createModelClient(`openai-compatible:fake@${server.url}`, {
    concurrency: scenario.concurrency,
    meter,
    maxRetries: 6,
    ...(scenario.limiter ? { rateLimits: registry } : {}),
  });
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: scenario.calls }, (_, i) =>
      client
        .generate({
          messages: [{ role: 'user', content: prompt(i) }],
          sampling: { temperature: 0, maxTokens: 64 },
        })
        .catch((err: Error) => {
          failed++;
          firstError ??= err.message;
        }),
    ),
  );
  const wallMs = performance.now() - started;
  await server.close();
  const { accepted, rejected, tokens } = limiter.stats;
  const figures = throughput({
    calls: accepted,
    wallMs,
    windowMs: WINDOW_MS,
    burstMs,
    ...scenario.limits,
    tokensPerCall: tokens / Math.max(1, accepted),
  });
  const stats = registry.stats()[client.id];
  return { scenario, wallMs, failed, firstError, accepted, rejected, tokens, figures, stats };
}

console.log(
  `fake server: 127.0.0.1, ${LATENCY_MS} ms per answer; time scaled: 1 "minute" = ${WINDOW_MS} ms ` +
    `(server buckets refill continuously and hold 1/60 of a minute's limit = ${WINDOW_MS / 60} ms of refill; the client holds a quarter of that); ` +
    'tokens = words of the messages + words of the reply, as the fake server reports usage.',
);
let ok = true;
for (const scenario of SCENARIOS) {
  const r = await run(scenario);
  const rejectedPct = (100 * r.rejected) / scenario.calls;
  const pct = 100 * r.figures.fractionOfAllowed;
  console.log(`\n== ${scenario.name}: ${scenario.calls} calls, limits ${JSON.stringify(scenario.limits)} per minute`);
  console.log(
    `  wall ${(r.wallMs / 1000).toFixed(2)} s = ${(r.wallMs / WINDOW_MS).toFixed(2)} scaled minutes; ` +
      `${r.figures.callsPerMinute.toFixed(0)} calls/min; mean ${(r.tokens / Math.max(1, r.accepted)).toFixed(1)} tokens/call`,
  );
  console.log(
    `  achieved ${pct.toFixed(1)}% of the allowed rate (${r.accepted} calls of ${r.figures.allowedCalls.toFixed(0)} allowed; ${r.figures.binding} binds)`,
  );
  console.log(
    `  failed calls ${r.failed}; rejected by the server (429) ${r.rejected} = ${rejectedPct.toFixed(2)}% of calls` +
      (r.firstError ? `; first error: ${r.firstError.slice(0, 200)}` : ''),
  );
  if (r.stats)
    console.log(
      `  limiter: ${r.stats.admitted} attempts, concurrency now ${r.stats.concurrency} (min ${r.stats.minConcurrency}, ${r.stats.decreases} cuts), learned tokens actual/bound ${r.stats.tokenRatio.toFixed(2)}, rate share in use ${r.stats.rateShare.toFixed(3)}`,
    );
  if (scenario.limiter) {
    const pass = pct >= 90 && r.failed === 0 && rejectedPct <= 2;
    ok &&= pass;
    console.log(`  target >= 90% of allowed, 0 failed, <= 2% rejected: ${pass ? 'PASS' : 'FAIL'}`);
  }
}
ok = (await batchFigures()) && ok;
process.exitCode = ok || QUICK ? 0 : 1;

async function batchFigures(): Promise<boolean> {
  const ROOT = join(import.meta.dirname, '..');
  const MODEL = 'openai:gpt-4.1-mini';
  const CASES = sized(30, 4);
  const server = await startFakeBatchServer({
    answer: (body) => ({
      text: simQa({
        messages: body.messages.map((m: { role: string; content: string }) => ({ role: m.role, content: m.content })),
        sampling: { temperature: 0 },
      }),
    }),
  });
  const root = mkdtempSync(join(tmpdir(), 'fapo-bench-batch-'));
  const workspace = (name: string) => {
    const dir = join(root, name);
    cpSync(join(ROOT, 'examples', 'two-hop-qa'), dir, { recursive: true, filter: (src) => !src.includes('.fapo') });
    return dir;
  };
  const cli = (dir: string, onSpawn?: (kill: () => void) => void) =>
    new Promise<{ code: number | null; signal: string | null; stdout: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'fapo.js'),
          'eval',
          dir,
          '--split',
          'val',
          '--limit',
          String(CASES),
          '--model',
          MODEL,
          '--batch',
          '--batch-poll',
          '0.05',
          '--no-sandbox',
          '--json',
        ],
        {
          env: { ...process.env, OPENAI_API_KEY: 'sk-fake-bench-key', OPENAI_BASE_URL: server.url },
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      onSpawn?.(() => child.kill('SIGKILL'));
      child.on('close', (code, signal) => resolve({ code, signal, stdout }));
    });
  console.log(
    `\n== fapo eval --batch: example two-hop-qa, ${CASES} val cases, ${MODEL} against a fake OpenAI Batch API on 127.0.0.1 ` +
      '(answers from the offline sim reader, not a model; batches finish on the first poll)',
  );
  let ok = true;
  try {
    const run = await cli(workspace('priced'));
    const out = JSON.parse(run.stdout);
    const standard = costUsd(
      { inputTokens: out.usage.inputTokens, outputTokens: out.usage.outputTokens },
      lookupPrice(MODEL).price,
    );
    const pricedOk = run.code === 0 && Math.abs(out.usage.costUsd - standard / 2) < 1e-12 && standard > 0;
    ok &&= pricedOk;
    console.log(
      `  ${out.batch.jobs} batch jobs (one per step wave) over ${out.batch.passes} passes; ${out.usage.calls} calls, tokens ${out.usage.inputTokens}/${out.usage.outputTokens}, ${out.summary.counts.ok} cases ok`,
    );
    console.log(
      `  reported cost $${out.usage.costUsd.toFixed(6)}; standard price of the same tokens $${standard.toFixed(6)}; ratio ${(out.usage.costUsd / standard).toFixed(3)}`,
    );
    console.log(`  target: the reported cost is the batch price (50%): ${pricedOk ? 'PASS' : 'FAIL'}`);

    // The same requests in a fresh workspace have the same custom ids: count this run's billing only.
    const before = server.created.length;
    const billedBefore = new Map(server.billed);
    server.hold();
    const dir = workspace('killed');
    const polls = () => server.paths.filter((p) => p.startsWith('GET /v1/batches/')).length;
    const killed = await cli(dir, (kill) => {
      const start = polls();
      const timer = setInterval(() => {
        if (server.created.length > before && polls() >= start + 2) {
          clearInterval(timer);
          kill();
        }
      }, 10);
    });
    server.release();
    const rerun = await cli(dir);
    const out2 = JSON.parse(rerun.stdout);
    const submitted = server.created.slice(before).flat();
    const unique = new Set(submitted).size;
    const billedNow = (id: string) => (server.billed.get(id) ?? 0) - (billedBefore.get(id) ?? 0);
    const billedTwice = submitted.filter((id) => billedNow(id) > 1).length;
    const billedOnce = submitted.filter((id) => billedNow(id) === 1).length;
    const resumeOk =
      killed.signal === 'SIGKILL' &&
      rerun.code === 0 &&
      unique === submitted.length &&
      billedTwice === 0 &&
      billedOnce === submitted.length;
    ok &&= resumeOk;
    console.log(
      `  killed with SIGKILL while batch 1 of the run was in progress; rerun: exit ${rerun.code}, ${out2.summary.counts.ok} cases ok, ${out2.batch.jobs} more jobs`,
    );
    console.log(
      `  requests submitted ${submitted.length}, distinct ${unique}; billed once ${billedOnce}, more than once ${billedTwice}; rerun booked ${out2.usage.calls} calls for $${out2.usage.costUsd.toFixed(6)}`,
    );
    console.log(`  target: nothing submitted or paid twice: ${resumeOk ? 'PASS' : 'FAIL'}`);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
  return ok;
}
