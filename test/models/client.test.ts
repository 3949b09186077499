import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APICallError } from 'ai';
import { createModelClient, UsageMeter, type CachedResponse, type ModelRequest } from '../../src/models/index.ts';
import { BudgetExceededError, FapoError, InfraError } from '../../src/util/errors.ts';
import { memoryCache, mockModel } from '../fixtures/mock-model.ts';

const ask = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: 'user', content }],
  sampling: { temperature: 0 },
  ...extra,
});

describe('model client with a mock model', () => {
  it('returns text, usage, cost and latency from the model', async () => {
    const model = mockModel('hello', { usage: { input: 1_000_000, output: 500_000 } });
    const client = createModelClient('openai:gpt-4.1-mini', {
      languageModel: model,
      env: { OPENAI_API_KEY: 'test-key-123' },
    });
    const response = await client.generate(ask('hi', { sampling: { temperature: 0.3, maxTokens: 20, seed: 7 } }));
    assert.equal(response.text, 'hello');
    assert.deepEqual(response.usage, { inputTokens: 1_000_000, outputTokens: 500_000 });
    assert.ok(Math.abs(response.costUsd - 1.2) < 1e-9); // $0.40 per 1M in + $1.60 per 1M out x 0.5
    assert.equal(response.cached, false);
    assert.equal(response.modelId, 'openai:gpt-4.1-mini');
    const call = model.doGenerateCalls[0]!;
    assert.equal(call.temperature, 0.3);
    assert.equal(call.maxOutputTokens, 20);
    assert.equal(call.seed, 7);
  });

  it('serves identical requests from the cache at no cost, counting hits separately', async () => {
    const model = mockModel('answer');
    const cache = memoryCache<CachedResponse>();
    const meter = new UsageMeter();
    const client = createModelClient('sim:echo', { languageModel: model, cache, meter });
    const first = await client.generate(ask('q', { role: 'analyst' }));
    const second = await client.generate(ask('q', { role: 'analyst' }));
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.equal(second.costUsd, 0);
    assert.equal(second.text, 'answer');
    assert.equal(model.doGenerateCalls.length, 1);
    assert.deepEqual(
      [meter.usage('analyst').calls, meter.usage('analyst').cacheHits, meter.usage('analyst').inputTokens],
      [1, 1, 5],
    );
  });

  it('ignores the sample key at temperature 0 and keys on it when sampling', async () => {
    const model = mockModel((options) => `t=${options.temperature}`);
    const client = createModelClient('sim:echo', { languageModel: model, cache: memoryCache<CachedResponse>() });
    await client.generate(ask('q', { sampleKey: 't1/c1' }));
    const greedyOtherTrial = await client.generate(ask('q', { sampleKey: 't2/c1' }));
    assert.equal(greedyOtherTrial.cached, true);
    const sampled = { sampling: { temperature: 0.7 } };
    await client.generate(ask('q', { ...sampled, sampleKey: 't1/c1' }));
    const otherTrial = await client.generate(ask('q', { ...sampled, sampleKey: 't2/c1' }));
    const sameTrial = await client.generate(ask('q', { ...sampled, sampleKey: 't1/c1' }));
    assert.equal(otherTrial.cached, false);
    assert.equal(sameTrial.cached, true);
    assert.equal(model.doGenerateCalls.length, 3);
  });

  it('makes one provider call for identical concurrent requests', async () => {
    const model = mockModel('x', { latencyMs: 20 });
    const client = createModelClient('sim:echo', { languageModel: model, cache: memoryCache<CachedResponse>() });
    const responses = await Promise.all([1, 2, 3].map(() => client.generate(ask('same'))));
    assert.equal(model.doGenerateCalls.length, 1);
    assert.deepEqual(responses.map((r) => r.cached).sort(), [false, true, true]);
  });

  it('requests structured output with the JSON schema and returns the parsed object', async () => {
    const model = mockModel('{"label":"positive","score":3}');
    const schema = {
      type: 'object',
      properties: { label: { enum: ['positive', 'negative'] }, score: { type: 'number' } },
      required: ['label'],
    };
    const client = createModelClient('sim:json', { languageModel: model });
    const response = await client.generate(ask('classify', { schema }));
    assert.deepEqual(response.object, { label: 'positive', score: 3 });
    assert.deepEqual(model.doGenerateCalls[0]!.responseFormat, { type: 'json', schema });
  });

  it('returns text without an object when the model ignores the schema (a model failure, not infra)', async () => {
    const client = createModelClient('sim:json', { languageModel: mockModel('not json at all') });
    const response = await client.generate(ask('classify', { schema: { type: 'object' } }));
    assert.equal(response.text, 'not json at all');
    assert.equal(response.object, undefined);
    assert.deepEqual(response.usage, { inputTokens: 5, outputTokens: 3 });
  });

  it('never runs more calls at once than the concurrency limit', async () => {
    let running = 0;
    let peak = 0;
    const model = mockModel('x');
    const inner = model.doGenerate.bind(model);
    model.doGenerate = async (options) => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return inner(options);
    };
    const client = createModelClient('sim:echo', { languageModel: model, concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => client.generate(ask(`q${i}`))));
    assert.equal(peak, 3);
  });

  it('refuses calls past a budget cap under concurrency, and a cached hit needs no budget', async () => {
    const meter = new UsageMeter({ total: { maxCalls: 5 }, byRole: { proposer: { maxCalls: 2 } } });
    const cache = memoryCache<CachedResponse>();
    const client = createModelClient('sim:echo', { languageModel: mockModel('x', { latencyMs: 5 }), meter, cache });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => client.generate(ask(`q${i}`, { role: i % 2 ? 'proposer' : 'task' }))),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(refused.every((r) => r.reason instanceof BudgetExceededError));
    assert.equal(meter.usage().calls, 5);
    assert.equal(meter.usage('proposer').calls, 2);
    const done = results.findIndex((r) => r.status === 'fulfilled');
    const again = await client.generate(ask(`q${done}`, { role: done % 2 ? 'proposer' : 'task' }));
    assert.equal(again.cached, true);
  });

  it('keeps concurrent spend under a cost cap', async () => {
    const meter = new UsageMeter({ total: { maxCostUsd: 0.05 } });
    const client = createModelClient('openai:m', {
      languageModel: mockModel('x', { latencyMs: 2, usage: { input: 5, output: 3 } }),
      meter,
      prices: { 'openai:m': { input: 1000, output: 1000 } }, // $0.008 per call
      concurrency: 20,
      env: { OPENAI_API_KEY: 'k' },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        client.generate(ask(`q${i}`, { sampling: { temperature: 0, maxTokens: 3 } })),
      ),
    );
    const spent = meter.usage().costUsd;
    assert.ok(spent <= 0.05 && spent >= 0.008 * 5, `spent ${spent}`);
    assert.ok(results.some((r) => r.status === 'rejected' && r.reason instanceof BudgetExceededError));
  });

  it('maps provider failures to InfraError, a rejected key to FapoError, never leaking the key', async () => {
    const failWith = (statusCode: number) => {
      const model = mockModel('x');
      model.doGenerate = async () => {
        throw new APICallError({
          message: `status ${statusCode} for key sk-secretvalue123456`,
          url: 'http://127.0.0.1:1/v1/chat/completions',
          requestBodyValues: {},
          statusCode,
          isRetryable: false,
        });
      };
      const client = createModelClient('openai:gpt-4o', {
        languageModel: model,
        env: { OPENAI_API_KEY: 'sk-secretvalue123456' },
      });
      return client.generate(ask('q')).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
    };
    const serverError = await failWith(400);
    assert.ok(serverError instanceof InfraError);
    assert.match(serverError.message, /HTTP 400.*provider openai|provider openai.*HTTP 400/s);
    const badKey = await failWith(401);
    assert.ok(badKey instanceof FapoError);
    assert.match(badKey.hint ?? '', /OPENAI_API_KEY/);
    for (const err of [serverError, badKey]) assert.doesNotMatch(err!.message, /secretvalue/);
  });
});
