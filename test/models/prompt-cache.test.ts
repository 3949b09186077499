/**
 * Prompt caching end to end over HTTP: the fake servers report cached input the way each provider
 * does (OpenAI `prompt_tokens_details.cached_tokens`, Anthropic `cache_read_input_tokens` /
 * `cache_creation_input_tokens`); the client reads it into usage, the meter and the cost.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createModelClient, UsageMeter } from '../../src/models/index.ts';
import { costUsd } from '../../src/models/pricing.ts';
import { markStablePrefix } from '../../src/models/prompt-cache.ts';
import { Store } from '../../src/eval/store.ts';
import { startFakeAnthropic } from '../fixtures/fake-anthropic.ts';
import { startFakeOpenAI, type FakeLlmServer } from '../fixtures/fake-openai.ts';
import { tempDir } from '../fixtures/temp.ts';

const request = {
  messages: [
    { role: 'system' as const, content: 'You answer questions about the corpus. '.repeat(50) },
    { role: 'user' as const, content: 'Which river flows through Paris?' },
  ],
  sampling: { temperature: 0, maxTokens: 100 },
};
const close = (usd: number, expected: number) => assert.ok(Math.abs(usd - expected) < 1e-12, `${usd} != ${expected}`);

describe('prompt caching', () => {
  const servers: FakeLlmServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it('OpenAI: cached_tokens are metered and billed at the cached-input price', async () => {
    const server = await startFakeOpenAI({
      respond: () => ({ text: 'Seine', usage: { input: 1000, output: 100, cachedInput: 800 } }),
    });
    servers.push(server);
    const meter = new UsageMeter();
    const client = createModelClient('openai:gpt-4.1-mini', {
      meter,
      env: { OPENAI_API_KEY: 'test-key-123', OPENAI_BASE_URL: server.url },
    });
    const response = await client.generate(request);
    assert.deepEqual(response.usage, { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 800 });
    // 200 fresh x $0.40 + 800 cached x $0.10 + 100 out x $1.60, per 1M
    close(response.costUsd, (200 * 0.4 + 800 * 0.1 + 100 * 1.6) / 1e6);
    assert.equal(meter.usage('task').cachedInputTokens, 800);
    close(meter.usage('task').costUsd, response.costUsd);
    // OpenAI caches prefixes by itself: the request carries no cache markers.
    assert.ok(!JSON.stringify(server.requests[0]!.body).includes('cache_control'));
  });

  it('Anthropic: marks the system prompt as the cache breakpoint and bills cache reads and writes', async () => {
    const server = await startFakeAnthropic({
      respond: () => ({ text: 'Seine', usage: { input: 2000, output: 50, cachedInput: 1500, cacheWrite: 300 } }),
    });
    servers.push(server);
    const meter = new UsageMeter();
    const client = createModelClient('anthropic:claude-haiku-4-5', {
      meter,
      env: { ANTHROPIC_API_KEY: 'test-key-123', ANTHROPIC_BASE_URL: server.url },
    });
    const response = await client.generate(request);
    const body = server.requests[0]!.body;
    assert.deepEqual(body.system.at(-1).cache_control, { type: 'ephemeral' });
    assert.ok(!JSON.stringify(body.messages).includes('cache_control'), 'the case-specific user message is not cached');
    assert.deepEqual(response.usage, {
      inputTokens: 2000,
      outputTokens: 50,
      cachedInputTokens: 1500,
      cacheWriteTokens: 300,
    });
    // 200 fresh x $1 + 1500 read x $0.10 + 300 written x $1.25 + 50 out x $5, per 1M
    close(response.costUsd, (200 * 1 + 1500 * 0.1 + 300 * 1.25 + 50 * 5) / 1e6);
    assert.deepEqual([meter.usage().cachedInputTokens, meter.usage().cacheWriteTokens], [1500, 300]);
  });

  it('Anthropic agent turns: the latest tool result carries a cache breakpoint on the wire', async () => {
    const server = await startFakeAnthropic({ respond: () => ({ text: 'done' }) });
    servers.push(server);
    const client = createModelClient('anthropic:claude-haiku-4-5', {
      env: { ANTHROPIC_API_KEY: 'test-key-123', ANTHROPIC_BASE_URL: server.url },
    });
    await client.generate({
      messages: [
        { role: 'system', content: 'You are a support agent.' },
        { role: 'user', content: 'Where is my order?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'lookup', args: { id: 7 } }] },
        { role: 'tool', content: '{"status":"shipped"}', toolCallId: 'c1', toolName: 'lookup' },
      ],
      sampling: { temperature: 0, maxTokens: 50 },
      tools: [{ name: 'lookup', description: 'Look up an order', inputSchema: { type: 'object', properties: {} } }],
    });
    const body = server.requests[0]!.body;
    assert.deepEqual(body.system.at(-1).cache_control, { type: 'ephemeral' });
    const lastBlock = body.messages.at(-1).content.at(-1);
    assert.equal(lastBlock.type, 'tool_result');
    assert.deepEqual(lastBlock.cache_control, { type: 'ephemeral' });
    assert.equal(body.messages[0].content.at(-1).cache_control, undefined, 'the case question is not marked');
  });

  it('marks only the last system message, without changing the prompt it was given', () => {
    const prompt = [
      { role: 'system' as const, content: 'a' },
      { role: 'system' as const, content: 'b' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'q' }] },
    ];
    const marked = markStablePrefix(prompt);
    assert.equal(marked[0]!.providerOptions, undefined);
    assert.deepEqual(marked[1]!.providerOptions, { anthropic: { cacheControl: { type: 'ephemeral' } } });
    assert.equal(Object.hasOwn(prompt[1]!, 'providerOptions'), false);
    const noSystem = [prompt[2]!];
    assert.equal(markStablePrefix(noSystem), noSystem);
  });

  it('in a tool loop, also marks the latest turn so the next turn reads the conversation from the cache', () => {
    const loop = [
      { role: 'system' as const, content: 'agent' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'q' }] },
      {
        role: 'assistant' as const,
        content: [{ type: 'tool-call' as const, toolCallId: 'c1', toolName: 't', input: {} }],
      },
      {
        role: 'tool' as const,
        content: [
          {
            type: 'tool-result' as const,
            toolCallId: 'c1',
            toolName: 't',
            output: { type: 'text' as const, value: 'r' },
          },
        ],
      },
    ];
    const marked = markStablePrefix(loop);
    assert.deepEqual(
      marked.map((m) => m.providerOptions !== undefined),
      [true, false, false, true],
    );
  });

  it('costs: cached and written input at their prices, a discount over everything, the input price as fallback', () => {
    const price = { input: 2, output: 8, cachedInput: 0.5 };
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 500_000 };
    close(costUsd(usage, price), 1 + 0.25 + 8);
    close(costUsd(usage, price, 0.5), (1 + 0.25 + 8) / 2);
    close(costUsd({ ...usage, cacheWriteTokens: 100_000 }, { input: 2, output: 8 }), 2 + 8);
  });

  it('the response cache keeps cached-token counts', () => {
    const store = Store.open(tempDir('fapo-prompt-cache-'));
    try {
      const usage = { inputTokens: 10, outputTokens: 2, cachedInputTokens: 8 };
      store.cache.put('k', { text: 't', usage, costUsd: 1, latencyMs: 1, modelId: 'openai:x' });
      store.flush();
      assert.deepEqual(store.cache.get('k')?.usage, usage);
    } finally {
      store.close();
    }
  });
});
