/**
 * Per-call framework overhead with an instant model (median over N sequential calls, after warm-up):
 * the bare model call, AI SDK generateText, and the ModelClient with and without cache/meter.
 * Run: node --import tsx test/models/overhead.bench.ts [calls=5000]
 */
import { generateText } from 'ai';
import pLimit from 'p-limit';
import { createModelClient, responseCacheKey, UsageMeter, type CachedResponse, type ModelRequest } from '../../src/models/index.ts';
import { memoryCache, mockModel } from '../fixtures/mock-model.ts';

const calls = Number(process.argv[2] ?? 5000);
const model = mockModel('instant answer');
// The mock records every call; drop the records so memory stays flat over thousands of calls.
const recordOff = () => void model.doGenerateCalls.splice(0);

async function medianMicros(label: string, run: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await run(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1000);
    if (i % 1000 === 0) recordOff();
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  const p90 = samples[Math.floor(samples.length * 0.9)]!;
  console.log(`${label.padEnd(48)} median ${median.toFixed(1).padStart(6)} µs   p90 ${p90.toFixed(1).padStart(6)} µs`);
  return median;
}

const request = (i: number): ModelRequest => ({
  messages: [
    { role: 'system', content: 'You answer questions about the passages.' },
    { role: 'user', content: `Question ${i}: who wrote the passage?` },
  ],
  sampling: { temperature: 0, maxTokens: 64 },
});

const bare = await medianMicros('bare doGenerate (mock)', async (i) =>
  model.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: `q${i}` }] }] }),
);
const sdk = await medianMicros('generateText (AI SDK, maxRetries 0)', (i) =>
  generateText({ model, messages: request(i).messages, allowSystemInMessages: true, maxRetries: 0, temperature: 0 }),
);
const plain = createModelClient('sim:echo', { languageModel: model });
const client = await medianMicros('ModelClient.generate (no cache, no meter)', (i) => plain.generate(request(i)));
const full = createModelClient('sim:echo', { languageModel: model, cache: memoryCache<CachedResponse>(), meter: new UsageMeter({ total: { maxCalls: 1e9 } }) });
const fullMedian = await medianMicros('ModelClient.generate (cache miss + meter)', (i) => full.generate(request(i)));
const hits = await medianMicros('ModelClient.generate (cache hit)', () => full.generate(request(0)));

// The client's own parts, without generateText.
const spec = { provider: 'sim', model: 'echo' } as const;
const limit = pLimit(8);
const meter = new UsageMeter({ total: { maxCalls: 1e9 } });
const parts = await medianMicros('own parts: cache key + p-limit + meter', async (i) => {
  responseCacheKey(spec, request(i));
  await limit(async () => {
    const reservation = await meter.reserve('task', { tokens: 100, costUsd: 0 });
    reservation.commit({ usage: { inputTokens: 5, outputTokens: 3 }, costUsd: 0, latencyMs: 1 });
  });
});

console.log(`\ngenerateText overhead over the bare model call: ${(sdk - bare).toFixed(1)} µs`);
console.log(`ModelClient overhead over generateText: ${(client - sdk).toFixed(1)} µs (with cache + meter: ${(fullMedian - sdk).toFixed(1)} µs); cache hit ${hits.toFixed(1)} µs; own parts ${parts.toFixed(1)} µs`);
