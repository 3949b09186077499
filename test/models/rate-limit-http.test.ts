/**
 * The rate limiter end to end: ModelClients over HTTP to the fake OpenAI-compatible server, which
 * enforces requests/min with 429 + retry-after-ms (test/fixtures/fake-rate-limit.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createModelClient } from '../../src/models/client.ts';
import { RateLimiterRegistry } from '../../src/models/rate-limit.ts';
import { startFakeOpenAI, type FakeLlmServer } from '../fixtures/fake-openai.ts';
import { rateLimitedResponder } from '../fixtures/fake-rate-limit.ts';

const ask = (content: string, role: string) => ({
  messages: [{ role: 'user' as const, content }],
  sampling: { temperature: 0, maxTokens: 16 },
  role,
});

describe('rate-limited ModelClients against a fake server with an RPM limit', () => {
  const servers: FakeLlmServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it('two roles sharing one model stay within its limit: every call succeeds, almost none are refused', async () => {
    // 600 requests per 2 s "minute" (time scaled), bucket of 1/60 of that.
    const limits = { rpm: 600, windowMs: 2_000 };
    const fake = rateLimitedResponder(limits);
    const server = await startFakeOpenAI({ latencyMs: 5, respond: fake.respond });
    servers.push(server);
    const registry = new RateLimiterRegistry(() => ({ rpm: limits.rpm }), { windowMs: limits.windowMs });
    const id = `openai-compatible:m@${server.url}`;
    const task = createModelClient(id, { concurrency: 16, rateLimits: registry, maxRetries: 5 });
    const analyst = createModelClient(id, { concurrency: 16, rateLimits: registry, maxRetries: 5 });
    const calls = [
      ...Array.from({ length: 100 }, (_, i) => task.generate(ask(`task ${i}`, 'task'))),
      ...Array.from({ length: 100 }, (_, i) => analyst.generate(ask(`analyst ${i}`, 'analyst'))),
    ];
    const results = await Promise.allSettled(calls);
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      [],
    );
    assert.equal(fake.stats.accepted, 200);
    assert.ok(fake.stats.rejected <= 4, `${fake.stats.rejected} of 200 calls were refused with 429 (at most 2%)`);
    // One limiter for both clients: had each had its own, together they would send twice the rate.
    assert.equal(Object.keys(registry.stats()).length, 1);
    assert.equal(registry.stats()['openai-compatible:m']!.succeeded, 200);
  });

  it('a 429 with retry-after-ms pauses every role of the model and halves its concurrency', async () => {
    const server = await startFakeOpenAI({ latencyMs: 5 });
    servers.push(server);
    server.enqueue({ status: 429, retryAfterMs: 300 });
    const registry = new RateLimiterRegistry();
    const id = `openai-compatible:m@${server.url}`;
    const task = createModelClient(id, { concurrency: 4, rateLimits: registry });
    const reviewer = createModelClient(id, { concurrency: 4, rateLimits: registry });
    const first = task.generate(ask('first', 'task')); // gets the 429
    await new Promise((resolve) => setTimeout(resolve, 50)); // the 429 has come back
    const later = await Promise.all([0, 1, 2].map((i) => reviewer.generate(ask(`later ${i}`, 'reviewer'))));
    assert.deepEqual(
      later.map((r) => r.text),
      ['later 0', 'later 1', 'later 2'],
    );
    assert.equal((await first).text, 'first');
    const refusedAt = server.requests[0]!.receivedAt;
    for (const request of server.requests.slice(1)) {
      assert.ok(
        request.receivedAt - refusedAt >= 290,
        `a request reached the server ${Math.round(request.receivedAt - refusedAt)} ms after the 429 (retry after 300 ms)`,
      );
    }
    const stats = registry.stats()['openai-compatible:m']!;
    assert.equal(stats.rejected, 1);
    assert.equal(stats.minConcurrency, 2);
  });
});
