/**
 * Per-call framework overhead with an instant model (median over N sequential calls, after warm-up):
 * the bare mock model call, the old generateText path (for reference), and the ModelClient on a cache
 * miss (provider call + cache + meter; text, then structured output) and a cache hit.
 * Run: node --import tsx test/models/overhead.bench.ts [calls=5000]
 */
import { generateText } from 'ai';
import { createModelClient, UsageMeter, type CachedResponse, type ModelRequest } from '../../src/models/index.ts';
import { toPrompt } from '../../src/models/provider-call.ts';
import { memoryCache, mockModel } from '../fixtures/mock-model.ts';

const calls = Number(process.argv[2] ?? 5000);
const WARM_UP = 500;
const model = mockModel('instant answer');
// The mock records every call; drop the records so memory stays flat over thousands of calls.
const recordOff = () => void model.doGenerateCalls.splice(0);

async function medianMicros(label: string, run: (i: number) => PromiseLike<unknown>): Promise<number> {
  for (let i = 0; i < WARM_UP; i++) await run(calls + i); // warm-up requests never collide with measured ones
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
  console.log(`${label.padEnd(52)} median ${median.toFixed(1).padStart(6)} µs   p90 ${p90.toFixed(1).padStart(6)} µs`);
  return median;
}

const request = (i: number): ModelRequest => ({
  messages: [
    { role: 'system', content: 'You answer questions about the passages.' },
    { role: 'user', content: `Question ${i}: who wrote the passage?` },
  ],
  sampling: { temperature: 0, maxTokens: 64 },
});

console.log(`${calls} calls per line after ${WARM_UP} warm-up calls\n`);
const direct = await medianMicros('mock doGenerate, direct', (i) =>
  model.doGenerate({ prompt: toPrompt(request(i).messages), temperature: 0, maxOutputTokens: 64 }),
);
const sdk = await medianMicros('generateText (old client path, for reference)', (i) =>
  generateText({
    model,
    messages: request(i).messages as { role: 'system' | 'user'; content: string }[],
    allowSystemInMessages: true,
    maxRetries: 3,
    timeout: 120_000,
    temperature: 0,
    maxOutputTokens: 64,
  }),
);
// Each client gets its own cache and a capped meter, so a miss line never sees an entry.
const client = (languageModel = model) =>
  createModelClient('sim:echo', {
    languageModel,
    cache: memoryCache<CachedResponse>(),
    meter: new UsageMeter({ total: { maxCalls: 1e9 } }),
  });
const missClient = client();
const miss = await medianMicros('ModelClient.generate, cache miss (cache + meter)', (i) =>
  missClient.generate(request(i)),
);
const jsonModel = mockModel('{"label":"positive","score":0.9}');
const schema = {
  type: 'object',
  properties: { label: { enum: ['positive', 'negative'] }, score: { type: 'number' } },
  required: ['label'],
};
const jsonClient = client(jsonModel);
const jsonMiss = await medianMicros('ModelClient.generate, cache miss, JSON schema', (i) => {
  if (i % 1000 === 0) jsonModel.doGenerateCalls.splice(0);
  return jsonClient.generate({ ...request(i), schema });
});
const hitClient = client();
await hitClient.generate(request(0));
const hit = await medianMicros('ModelClient.generate, cache hit', () => hitClient.generate(request(0)));

console.log(
  `\nclient overhead over the direct model call: cache miss ${(miss - direct).toFixed(1)} µs (target ≤ 25), ` +
    `with a JSON schema ${(jsonMiss - direct).toFixed(1)} µs; cache hit ${hit.toFixed(1)} µs`,
);
console.log(`generateText overhead over the direct model call: ${(sdk - direct).toFixed(1)} µs`);
