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
 */
import { UsageMeter } from '../src/models/meter.ts';
import { createModelClient } from '../src/models/client.ts';
import { RateLimiterRegistry, type RateLimits } from '../src/models/rate-limit.ts';
import { startFakeOpenAI } from '../test/fixtures/fake-openai.ts';
import { rateLimitedResponder } from '../test/fixtures/fake-rate-limit.ts';
import { throughput } from '../test/fixtures/throughput.ts';

const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 3_000);
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
  { name: 'rpm-bound', calls: 2_000, limits: { rpm: 600, tpm: 40_000 }, limiter: true, concurrency: 16 },
  { name: 'tpm-bound', calls: 1_000, limits: { rpm: 600, tpm: 12_000 }, limiter: true, concurrency: 16 },
  { name: 'no limiter (reference)', calls: 300, limits: { rpm: 600, tpm: 40_000 }, limiter: false, concurrency: 16 },
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
    `(server buckets refill continuously and hold 1/60 of a minute's limit = ${WINDOW_MS / 60} ms of refill; the client holds half that); ` +
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
process.exitCode = ok ? 0 : 1;
