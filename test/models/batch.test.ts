/**
 * Batch jobs against the fake batch API (test/fixtures/fake-batch.ts): requests collected from cache
 * misses, submitted as one job, polled, replayed through the provider into the cache at the batch
 * price; partial failure, expiry, and a restart that resumes the same job without paying twice.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BatchDeferredError, type BatchJob, BatchJobSchema, BatchRunner } from '../../src/models/batch/runner.ts';
import { createModelClient } from '../../src/models/client.ts';
import { UsageMeter } from '../../src/models/meter.ts';
import { parseModelId } from '../../src/models/model-id.ts';
import { BATCH_DISCOUNT, costUsd, lookupPrice } from '../../src/models/pricing.ts';
import type { CachedResponse, ModelRequest } from '../../src/models/types.ts';
import { type FakeBatchServer, startFakeBatchServer } from '../fixtures/fake-batch.ts';
import { memoryCache } from '../fixtures/mock-model.ts';

const ask = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [
    { role: 'system', content: 'Answer briefly.' },
    { role: 'user', content },
  ],
  sampling: { temperature: 0, maxTokens: 50 },
  ...extra,
});

/** Jobs kept as JSON and read back through the job schema, as the workspace store does. */
function memoryJobs() {
  const jobs = new Map<string, BatchJob>();
  return {
    jobs,
    store: {
      put: (job: BatchJob) => void jobs.set(job.id, JSON.parse(JSON.stringify(job))),
      list: () => [...jobs.values()].map((job) => BatchJobSchema.parse(job)),
    },
  };
}

async function setup(provider: 'openai' | 'anthropic', server: FakeBatchServer) {
  const model = provider === 'openai' ? 'openai:gpt-4.1-mini' : 'anthropic:claude-haiku-4-5';
  const env =
    provider === 'openai'
      ? { OPENAI_API_KEY: 'test-key-123', OPENAI_BASE_URL: server.url }
      : { ANTHROPIC_API_KEY: 'test-key-123', ANTHROPIC_BASE_URL: server.url };
  const spec = parseModelId(model, { env });
  const cache = memoryCache<CachedResponse>();
  const meter = new UsageMeter();
  const { price } = lookupPrice(spec.id);
  return { spec, env, cache, meter, price };
}

/** Asks every request through the collecting client; returns how many were deferred. */
async function collect(runner: BatchRunner, requests: ModelRequest[]): Promise<number> {
  const client = runner.collectingClient();
  let deferred = 0;
  for (const req of requests) {
    try {
      await client.generate(req);
    } catch (err) {
      assert.ok(err instanceof BatchDeferredError, String(err));
      deferred++;
    }
  }
  return deferred;
}

describe('BatchRunner', () => {
  const servers: FakeBatchServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  for (const provider of ['openai', 'anthropic'] as const) {
    it(`${provider}: misses go into one job; results fill the cache at the batch price, identical to an interactive answer`, async () => {
      const server = await startFakeBatchServer({ pollsToFinish: 2 });
      servers.push(server);
      const { spec, env, cache, meter, price } = await setup(provider, server);
      const { store } = memoryJobs();
      const runner = new BatchRunner({ spec, env, cache, meter, price, jobs: store, pollMs: 5 });
      const requests = [ask('one'), ask('two', { role: 'test' }), ask('three'), ask('one')];
      assert.equal(await collect(runner, requests), 4);
      assert.equal(await runner.submitMisses(), 3); // 'one' twice is one request
      assert.equal(server.created.length, 1);
      await runner.settlePending();
      assert.equal(runner.stats.answered, 3);
      assert.equal(await collect(runner, requests), 0, 'every request is answered from the cache now');

      const hit = cache.get([...server.billed.keys()][0]!)!;
      assert.ok(hit.usage.inputTokens > 0 && hit.usage.outputTokens > 0);
      assert.ok(Math.abs(hit.costUsd - costUsd(hit.usage, price) * BATCH_DISCOUNT) < 1e-15);
      assert.ok(hit.costUsd > 0);
      assert.ok(Math.abs(meter.usage().costUsd - runner.stats.costUsd) < 1e-15);
      assert.equal(meter.usage('test').calls, 1);
      assert.deepEqual([...server.billed.values()], [1, 1, 1]);

      // The cached answer is what the interactive client returns from the cache.
      const client = createModelClient(spec.id, { env, cache, meter });
      const answer = await client.generate(ask('two', { role: 'test' }));
      assert.equal(answer.cached, true);
      assert.equal(answer.text, 'answer: two');
    });
  }

  it('partial failure and expiry: failed and unanswered requests are batched again, then left to interactive calls', async () => {
    const server = await startFakeBatchServer({ failWhen: (_id, index) => index === 0, expireAfter: 3 });
    servers.push(server);
    const { spec, env, cache, meter, price } = await setup('anthropic', server);
    const { store, jobs } = memoryJobs();
    const runner = new BatchRunner({ spec, env, cache, meter, price, jobs: store, pollMs: 5, maxAttempts: 2 });
    const requests = ['a', 'b', 'c', 'd'].map((q) => ask(q));
    await collect(runner, requests);
    await runner.submitMisses();
    await runner.settlePending();
    const outcome = [...jobs.values()][0]!.outcome!;
    // Anthropic lists expired requests among the results (type "expired"): failed, not missing.
    assert.deepEqual(outcome, { answered: 2, failed: 2, missing: 0, detail: 'ended' });
    // Second attempt: the failed and the expired request.
    assert.equal(await collect(runner, requests), 2);
    assert.equal(await runner.submitMisses(), 2);
    await runner.settlePending();
    // The first line of every batch fails: 'a' failed twice and is not batched a third time.
    const deferred = await collect(runner, requests);
    assert.equal(deferred, 1);
    assert.equal(await runner.submitMisses(), 0, `${deferred} left for interactive calls, none batched a third time`);
    assert.equal(server.created.length, 2);
  });

  it('a restarted runner resumes the stored job instead of submitting its requests again', async () => {
    const server = await startFakeBatchServer();
    servers.push(server);
    const { spec, env, cache, meter, price } = await setup('openai', server);
    const { store } = memoryJobs();
    server.hold();
    const first = new BatchRunner({ spec, env, cache, meter, price, jobs: store, pollMs: 5 });
    const requests = ['x', 'y'].map((q) => ask(q));
    await collect(first, requests);
    await first.submitMisses();
    // "Killed" here: the job is in the store, the batch still running at the provider.
    server.release();
    const second = new BatchRunner({ spec, env, cache, meter, price, jobs: store, pollMs: 5 });
    await second.settlePending();
    assert.equal(await collect(second, requests), 0);
    assert.equal(await second.submitMisses(), 0);
    assert.equal(server.created.length, 1);
    assert.deepEqual([...server.billed.values()], [1, 1]);
  });

  it('killed between creating the batch and storing its id: OpenAI finds the batch by its metadata', async () => {
    const server = await startFakeBatchServer();
    servers.push(server);
    const { spec, env, cache, meter, price } = await setup('openai', server);
    const { store, jobs } = memoryJobs();
    let puts = 0;
    const dying = {
      put: (job: BatchJob) => {
        if (++puts === 2) throw new Error('killed before the batch id was stored');
        store.put(job);
      },
      list: store.list,
    };
    const first = new BatchRunner({ spec, env, cache, meter, price, jobs: dying, pollMs: 5 });
    const requests = ['p', 'q'].map((q) => ask(q));
    await collect(first, requests);
    await assert.rejects(first.submitMisses(), /killed before the batch id was stored/);
    assert.equal([...jobs.values()][0]!.state, 'submitting');
    assert.equal(server.created.length, 1);
    const second = new BatchRunner({ spec, env, cache, meter, price, jobs: store, pollMs: 5 });
    await second.settlePending();
    assert.equal(await collect(second, requests), 0, 'the orphaned batch answered both');
    assert.equal(server.created.length, 1);
    assert.deepEqual([...server.billed.values()], [1, 1]);
    assert.equal([...jobs.values()][0]!.providerBatchId, 'batch_2');
  });

  for (const provider of ['openai', 'anthropic'] as const) {
    it(`${provider}: an agent turn (tools, an earlier tool call and its result) is batched and answered with a tool call`, async () => {
      const server = await startFakeBatchServer({
        answer: (body) => {
          const offered = (body.tools ?? []).map((t: any) => t.function?.name ?? t.name);
          return offered.includes('lookup_order')
            ? { toolCall: { name: 'lookup_order', args: { id: 'A7' } } }
            : { text: 'no tools offered' };
        },
      });
      servers.push(server);
      const { spec, env, cache, meter, price } = await setup(provider, server);
      const { store, jobs } = memoryJobs();
      const turn: ModelRequest = {
        messages: [
          { role: 'system', content: 'You are a support agent.' },
          { role: 'user', content: 'Where is my order?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'c1', name: 'find_customer', args: { email: 'a@b.c' } }],
          },
          { role: 'tool', content: '{"customer":"42"}', toolCallId: 'c1', toolName: 'find_customer' },
        ],
        sampling: { temperature: 0, maxTokens: 50 },
        tools: [
          { name: 'find_customer', description: 'Find a customer', inputSchema: { type: 'object', properties: {} } },
          { name: 'lookup_order', description: 'Look up an order', inputSchema: { type: 'object', properties: {} } },
        ],
      };
      // Settled by a second runner, from the stored job: as after a restart.
      const runner = new BatchRunner({ spec, env, cache, meter, price, jobs: store, pollMs: 5 });
      assert.equal(await collect(runner, [turn]), 1);
      await runner.submitMisses();
      assert.equal([...jobs.values()].length, 1);
      await new BatchRunner({ spec, env, cache, meter, price, jobs: store, pollMs: 5 }).settlePending();
      const answer = await createModelClient(spec.id, { env, cache }).generate(turn);
      assert.equal(answer.cached, true);
      assert.deepEqual(
        answer.toolCalls?.map((c) => [c.name, c.args]),
        [['lookup_order', { id: 'A7' }]],
      );
    });
  }

  it('refuses providers without a batch API, naming the model', async () => {
    const spec = parseModelId('openai-compatible:m@http://127.0.0.1:9/v1');
    const { store } = memoryJobs();
    assert.throws(
      () =>
        new BatchRunner({ spec, cache: memoryCache<CachedResponse>(), jobs: store, price: { input: 0, output: 0 } }),
      /openai-compatible:m: --batch needs a provider with a batch API/,
    );
  });
});
