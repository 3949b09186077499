/**
 * The real AI SDK providers (openai, openai-compatible, anthropic) against the fake servers: the HTTP,
 * retry, timeout, usage and structured-output paths. Tests run concurrently, each with its own server.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import {
  createLanguageModel,
  createModelClient,
  type ModelClientOptions,
  type ModelRequest,
  UsageMeter,
} from '../../src/models/index.ts';
import { BudgetExceededError, InfraError } from '../../src/util/errors.ts';
import { startFakeAnthropic } from '../fixtures/fake-anthropic.ts';
import type { FakeLlmServer } from '../fixtures/fake-llm-server.ts';
import { startFakeOpenAI } from '../fixtures/fake-openai.ts';

const SECRET = 'sk-test-secret-0123456789';
const servers: FakeLlmServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function openAI(options: ModelClientOptions = {}) {
  const server = await startFakeOpenAI();
  servers.push(server);
  const client = createModelClient('openai:gpt-4o-mini', {
    env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.url },
    ...options,
  });
  return { server, client };
}

async function anthropic(options: ModelClientOptions = {}) {
  const server = await startFakeAnthropic();
  servers.push(server);
  const env = { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: server.url };
  const client = createModelClient('anthropic:claude-haiku-4-5', { env, ...options });
  return { server, client, env };
}

const ask = (content: string, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content },
  ],
  sampling: { temperature: 0 },
  ...extra,
});

/** Time between the first two requests the server saw; the SDK's default first backoff is 2000 ms. */
const retryGap = (server: FakeLlmServer) => Math.round(server.requests[1]!.receivedAt - server.requests[0]!.receivedAt);

const infraError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof InfraError, `expected InfraError, got ${String(err)}`);
  assert.match(err.message, pattern);
  assert.ok(!err.message.includes(SECRET), 'the API key must not appear in the message');
  return true;
};

const schema = {
  type: 'object',
  properties: { label: { type: 'string', enum: ['positive', 'negative'] } },
  required: ['label'],
  additionalProperties: false,
};

describe('openai provider against the fake server', { concurrency: true }, () => {
  it('answers, reports usage and cost, and sends the key as a bearer token', async () => {
    const { server, client } = await openAI();
    server.enqueue({ text: 'pong', usage: { input: 1000, output: 2000 } });
    const response = await client.generate(ask('ping', { sampling: { temperature: 0, seed: 3, maxTokens: 50 } }));
    assert.equal(response.text, 'pong');
    assert.deepEqual(response.usage, { inputTokens: 1000, outputTokens: 2000 });
    assert.ok(Math.abs(response.costUsd - (1000 * 0.15 + 2000 * 0.6) / 1e6) < 1e-12);
    const request = server.requests[0]!;
    assert.equal(request.path, '/v1/chat/completions');
    assert.equal(request.headers.authorization, `Bearer ${SECRET}`);
    assert.deepEqual([request.body.seed, request.body.max_tokens, request.body.messages[0].role], [3, 50, 'system']);
  });

  it('retries a 429 after the retry-after-ms delay, not the default 2 s backoff', async () => {
    const { server, client } = await openAI();
    server.enqueue({ status: 429, retryAfterMs: 10 }, { text: 'ok' });
    assert.equal((await client.generate(ask('q'))).text, 'ok');
    assert.equal(server.calls, 2);
    assert.ok(retryGap(server) < 1500, `retry-after-ms must be honoured (gap ${retryGap(server)} ms)`);
  });

  it('recovers from a 500, and gives up on a persistent one with InfraError naming the status', async () => {
    const { server, client } = await openAI({ maxRetries: 2 });
    server.enqueue({ status: 500, retryAfterMs: 1 }, { text: 'recovered' });
    assert.equal((await client.generate(ask('first'))).text, 'recovered');
    server.enqueue(...Array.from({ length: 3 }, () => ({ status: 500, retryAfterMs: 1 })));
    await assert.rejects(client.generate(ask('second')), infraError(/HTTP 500.*gave up after 3 attempts/s));
    assert.equal(server.calls, 5);
  });

  it('turns a hung request into InfraError after the timeout', async () => {
    const { server, client } = await openAI({ timeoutMs: 300 });
    server.enqueue({ hang: true });
    const started = performance.now();
    await assert.rejects(client.generate(ask('q')), infraError(/no answer within 300 ms/));
    assert.ok(performance.now() - started < 5000);
  });

  it('retries a connection reset, and reports a persistent one as InfraError', async () => {
    const { server, client } = await openAI({ maxRetries: 1 });
    server.enqueue({ reset: true }, { text: 'after reset' });
    assert.equal((await client.generate(ask('a'))).text, 'after reset'); // one default 2 s backoff
    const noRetry = createModelClient('openai:gpt-4o-mini', {
      env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.url },
      maxRetries: 0,
    });
    server.enqueue({ reset: true });
    await assert.rejects(noRetry.generate(ask('b')), infraError(/no HTTP response|Cannot connect/));
  });

  it('retries a malformed JSON body, and reports a persistent one as InfraError', async () => {
    const { server, client } = await openAI({ maxRetries: 1 });
    server.enqueue({ malformed: true }, { malformed: true });
    await assert.rejects(client.generate(ask('q')), infraError(/openai:gpt-4o-mini.*(JSON|json).*gave up after 2/s));
    assert.equal(server.calls, 2);
  });

  it('sends a json_schema response format and parses the structured reply', async () => {
    const { server, client } = await openAI();
    server.enqueue({ json: { label: 'negative' } });
    const response = await client.generate(ask('classify', { schema }));
    assert.deepEqual(response.object, { label: 'negative' });
    const format = server.requests[0]!.body.response_format;
    assert.equal(format.type, 'json_schema');
    assert.deepEqual(format.json_schema.schema, schema);
  });
});

describe('openai-compatible provider against the fake server', { concurrency: true }, () => {
  it('sends no Authorization header without a key and reports usage', async () => {
    const server = await startFakeOpenAI();
    servers.push(server);
    const client = createModelClient(`openai-compatible:llama3@${server.url}`, { env: {} });
    const response = await client.generate(ask('hello local model'));
    assert.equal(response.text, 'hello local model');
    assert.deepEqual(response.usage, { inputTokens: 5, outputTokens: 3 });
    assert.equal(server.requests[0]!.headers.authorization, undefined);
    assert.equal(response.modelId, 'openai-compatible:llama3');
  });

  it('streams a reply with usage (streamText)', async () => {
    const server = await startFakeOpenAI();
    servers.push(server);
    server.enqueue({ text: 'streamed answer', usage: { input: 4, output: 2 } });
    const result = streamText({
      model: createLanguageModel(`openai-compatible:m@${server.url}`, { env: {} }),
      prompt: 'go',
    });
    assert.equal(await result.text, 'streamed answer');
    assert.equal((await result.usage).outputTokens, 2);
    assert.equal(server.requests[0]!.body.stream, true);
  });

  it('runs a tool-call round trip with generateText and stopWhen', async () => {
    const server = await startFakeOpenAI();
    servers.push(server);
    server.enqueue({ toolCall: { args: { a: 2, b: 3 } } }, { text: 'The sum is 5.' });
    const result = await generateText({
      model: createLanguageModel(`openai-compatible:llama3@${server.url}`, { env: {} }),
      prompt: 'What is 2 + 3?',
      tools: {
        add: tool({
          inputSchema: z.object({ a: z.number(), b: z.number() }),
          execute: async ({ a, b }) => ({ sum: a + b }),
        }),
      },
      stopWhen: stepCountIs(3),
    });
    assert.equal(result.text, 'The sum is 5.');
    assert.equal(result.steps.length, 2);
    assert.deepEqual(
      result.steps[0]!.toolResults.map((r) => r.output),
      [{ sum: 5 }],
    );
    const toolMessage = server.requests[1]!.body.messages.find((m: { role: string }) => m.role === 'tool');
    assert.deepEqual(JSON.parse(toolMessage.content), { sum: 5 });
    assert.equal(server.requests[0]!.body.tools[0].function.name, 'add');
  });
});

describe('anthropic provider against the fake server', { concurrency: true }, () => {
  it('answers with usage after a 429 with retry-after: 0', async () => {
    const { server, client } = await anthropic();
    server.enqueue({ status: 429, retryAfterSeconds: 0 }, { text: 'bonjour', usage: { input: 12, output: 4 } });
    const response = await client.generate(ask('hello'));
    assert.ok(retryGap(server) < 1500, `retry-after must be honoured (gap ${retryGap(server)} ms)`);
    assert.equal(response.text, 'bonjour');
    assert.deepEqual(response.usage, { inputTokens: 12, outputTokens: 4 });
    assert.equal(server.requests[1]!.path, '/v1/messages');
    assert.equal(server.requests[1]!.headers['x-api-key'], SECRET);
    assert.equal(server.requests[1]!.body.system[0].text, 'Be brief.');
  });

  it('parses structured output', async () => {
    const { server, client } = await anthropic();
    server.enqueue({ json: { label: 'positive' } });
    const response = await client.generate(ask('classify', { schema }));
    assert.deepEqual(response.object, { label: 'positive' });
  });

  it('reports a persistent overload as InfraError', async () => {
    const { server, client } = await anthropic({ maxRetries: 1 });
    server.enqueue({ status: 529, retryAfterMs: 1 }, { status: 529, retryAfterMs: 1 });
    await assert.rejects(
      client.generate(ask('q')),
      infraError(/HTTP 529.*provider anthropic|provider anthropic.*HTTP 529/s),
    );
  });

  it('runs a tool-call round trip', async () => {
    const { server, env } = await anthropic();
    server.enqueue({ toolCall: { args: { a: 4, b: 5 } } }, { text: 'It is 9.' });
    const result = await generateText({
      model: createLanguageModel('anthropic:claude-haiku-4-5', { env }),
      prompt: 'What is 4 + 5?',
      tools: {
        add: tool({
          inputSchema: z.object({ a: z.number(), b: z.number() }),
          execute: async ({ a, b }) => ({ sum: a + b }),
        }),
      },
      stopWhen: stepCountIs(3),
    });
    assert.equal(result.text, 'It is 9.');
    assert.deepEqual(
      result.steps[0]!.toolResults.map((r) => r.output),
      [{ sum: 9 }],
    );
    const toolResult = server.requests[1]!.body.messages.at(-1).content[0];
    assert.equal(toolResult.type, 'tool_result');
  });
});

describe('token budgets against an endpoint reporting impossible usage', () => {
  for (const [what, usage] of [
    ['negative', { input: -27_000, output: 0 }],
    ['cached above total', { input: 10, output: 2, cachedInput: 500 }],
  ] as const) {
    it(`a ${what} report is billed the call's bound, so the cap still stops the calls`, async () => {
      const server = await startFakeOpenAI({ respond: () => ({ text: 'fine', usage }) });
      servers.push(server);
      const meter = new UsageMeter({ total: { maxTokens: 600 } });
      const client = createModelClient('openai:gpt-4o-mini', {
        env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: server.url },
        meter,
      });
      const answers = [];
      for (let i = 0; i < 30; i++) {
        try {
          answers.push(await client.generate(ask(`question ${i}`, { sampling: { temperature: 0, maxTokens: 20 } })));
        } catch (err) {
          assert.ok(err instanceof BudgetExceededError, String(err));
          break;
        }
      }
      // Each call's bound is ~36 input bytes + 20 output tokens: a 600-token cap pays for 10 of them.
      assert.ok(server.calls <= 11, `${server.calls} calls reached the server`);
      assert.equal(answers.length, server.calls);
      const spent = meter.usage().inputTokens + meter.usage().outputTokens;
      assert.ok(spent > 0 && spent <= 600, `metered ${spent} tokens`);
      assert.ok(answers.every((a) => a.usage.inputTokens > 0 && a.usage.outputTokens === 20));
    });
  }
});
