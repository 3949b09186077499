import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { APICallError, InvalidArgumentError, InvalidPromptError } from 'ai';
import { createModelClient, type ChatMessage, type ModelRequest } from '../../src/models/index.ts';
import { callLanguageModel } from '../../src/models/provider-call.ts';
import { FapoError, InfraError } from '../../src/util/errors.ts';
import { startFakeAnthropic } from '../fixtures/fake-anthropic.ts';
import { startFakeOpenAI } from '../fixtures/fake-openai.ts';
import { mockModel } from '../fixtures/mock-model.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';

installSimBehaviours();

const limits = { timeoutMs: 5_000, maxRetries: 2 };
const ask = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Name a colour.' },
    { role: 'assistant', content: 'Red.' },
    { role: 'user', content: 'Another.' },
  ],
  sampling: { temperature: 0.5, topP: 0.9, maxTokens: 32, seed: 4 },
  ...extra,
});

/** A model that answers only when aborted, with the abort reason: a hung provider. */
function hungModel() {
  const model = mockModel('never');
  model.doGenerate = (options: LanguageModelV3CallOptions) =>
    new Promise((_, reject) =>
      options.abortSignal!.addEventListener('abort', () => reject(options.abortSignal!.reason)),
    );
  return model;
}

const activeTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('direct provider call', () => {
  it('sends the prompt, sampling, sample key and an abort signal the way generateText did', async () => {
    const model = mockModel('Blue.');
    const result = await callLanguageModel(model, ask({ sampleKey: 't1/c2' }), limits);
    assert.deepEqual(result, { text: 'Blue.', usage: { inputTokens: 5, outputTokens: 3 } });
    const call = model.doGenerateCalls[0]!;
    assert.deepEqual(call.prompt, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Name a colour.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Red.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Another.' }] },
    ]);
    assert.deepEqual([call.temperature, call.topP, call.maxOutputTokens, call.seed], [0.5, 0.9, 32, 4]);
    assert.equal(call.responseFormat, undefined);
    assert.equal(call.providerOptions?.sim?.sampleKey, 't1/c2');
    assert.ok(call.abortSignal instanceof AbortSignal);
  });

  it('joins the text parts and ignores reasoning', async () => {
    const model = mockModel('x');
    const inner = model.doGenerate.bind(model);
    model.doGenerate = async (options) => ({
      ...(await inner(options)),
      content: [
        { type: 'reasoning', text: 'thinking…' },
        { type: 'text', text: 'Hello, ' },
        { type: 'text', text: 'world' },
      ],
    });
    assert.equal((await callLanguageModel(model, ask(), limits)).text, 'Hello, world');
  });

  it('parses JSON replies to a schema request, refusing prototype keys', async () => {
    const schema = { type: 'object' };
    const parsed = await callLanguageModel(mockModel('{"a":[1,2]}'), ask({ schema }), limits);
    assert.deepEqual(parsed.object, { a: [1, 2] });
    const polluted = await callLanguageModel(mockModel('{"__proto__":{"admin":true}}'), ask({ schema }), limits);
    assert.equal(polluted.object, undefined);
    assert.equal(polluted.text, '{"__proto__":{"admin":true}}');
  });

  it('retries a retryable failure after its retry-after-ms delay, and stops at once on a permanent one', async () => {
    const failure = (isRetryable: boolean) =>
      new APICallError({
        message: 'busy',
        url: 'http://127.0.0.1:1/v1/chat/completions',
        requestBodyValues: {},
        statusCode: isRetryable ? 429 : 400,
        responseHeaders: { 'retry-after-ms': '5' },
        isRetryable,
      });
    const flaky = mockModel('ok');
    const inner = flaky.doGenerate.bind(flaky);
    let attempts = 0;
    flaky.doGenerate = async (options) => (++attempts === 1 ? Promise.reject(failure(true)) : inner(options));
    const started = performance.now();
    assert.equal((await callLanguageModel(flaky, ask(), limits)).text, 'ok');
    assert.equal(attempts, 2);
    assert.ok(performance.now() - started < 1000, 'retry-after-ms must replace the 2 s default backoff');

    let permanentAttempts = 0;
    const broken = mockModel('never');
    broken.doGenerate = async () => {
      permanentAttempts++;
      throw failure(false);
    };
    await assert.rejects(
      callLanguageModel(broken, ask(), limits),
      (err: unknown) => APICallError.isInstance(err) && err.statusCode === 400,
    );
    assert.equal(permanentAttempts, 1);
  });

  it('aborts a hung provider with a TimeoutError at the deadline and leaves no timer behind', async () => {
    const before = activeTimers();
    const started = performance.now();
    await assert.rejects(callLanguageModel(hungModel(), ask(), { timeoutMs: 50, maxRetries: 2 }), {
      name: 'TimeoutError',
    });
    assert.ok(performance.now() - started < 1000);
    await callLanguageModel(mockModel('quick'), ask(), { timeoutMs: 60_000, maxRetries: 0 });
    assert.equal(activeTimers(), before);
  });

  it('passes a caller cancellation through the client unchanged', async () => {
    const client = createModelClient('sim:echo', { languageModel: hungModel() });
    const controller = new AbortController();
    const pending = client.generate(ask({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('user pressed ctrl-c')), 10);
    await assert.rejects(pending, { message: 'user pressed ctrl-c' });
  });

  it('rejects bad prompts and sampling before calling the provider', async () => {
    const model = mockModel('x');
    await assert.rejects(callLanguageModel(model, ask({ messages: [] }), limits), (err: unknown) =>
      InvalidPromptError.isInstance(err),
    );
    const bad = [{ role: 'robot', content: 'x' }] as unknown as ChatMessage[];
    await assert.rejects(callLanguageModel(model, ask({ messages: bad }), limits), /unknown message role "robot"/);
    const orphanResult: ChatMessage[] = [{ role: 'tool', content: 'x' }];
    await assert.rejects(
      callLanguageModel(model, ask({ messages: orphanResult }), limits),
      /a tool message needs toolCallId and toolName/,
    );
    await assert.rejects(callLanguageModel(model, ask({ sampling: { maxTokens: 0 } }), limits), (err: unknown) =>
      InvalidArgumentError.isInstance(err),
    );
    assert.equal(model.doGenerateCalls.length, 0);
  });
});

describe('faults over HTTP (fake OpenAI and Anthropic servers)', () => {
  const FAULTS = { hung: { hang: true }, empty: { empty: true }, malformed: { malformed: true } } as const;

  for (const [protocol, start] of [
    ['openai-compatible', startFakeOpenAI],
    ['anthropic', startFakeAnthropic],
  ] as const) {
    it(`${protocol}: retries a hung attempt, an answer without choices and a malformed body like a 5xx`, async () => {
      const seen = new Map<string, number>();
      // The first request of each question gets its fault, the retry an answer.
      const server = await start({
        respond: (request) => {
          const text = JSON.stringify(request.body.messages.at(-1));
          const fault = Object.entries(FAULTS).find(([name]) => text.includes(name))?.[1];
          seen.set(text, (seen.get(text) ?? 0) + 1);
          return fault && seen.get(text) === 1 ? fault : { text: 'fine' };
        },
      });
      try {
        const client = createModelClient(
          protocol === 'anthropic' ? 'anthropic:claude-test' : `openai-compatible:m@${server.url}`,
          {
            env: { ANTHROPIC_API_KEY: 'sk-ant-test-123456', ANTHROPIC_BASE_URL: server.url },
            timeoutMs: 20_000,
            attemptTimeoutMs: 300,
          },
        );
        const answers = await Promise.all(
          Object.keys(FAULTS).map((name) =>
            client.generate(ask({ messages: [{ role: 'user', content: `${name} question` }] })),
          ),
        );
        assert.deepEqual(
          answers.map((a) => a.text),
          ['fine', 'fine', 'fine'],
        );
        assert.equal(server.calls, 6, 'one fault and one retry per question');
      } finally {
        await server.close();
      }
    });
  }

  it('reports a 429 whose Retry-After outlasts the call as what it is, at once', async () => {
    const server = await startFakeOpenAI();
    server.enqueue({ status: 429, retryAfterSeconds: 600 });
    try {
      const client = createModelClient(`openai-compatible:m@${server.url}`, { timeoutMs: 120_000 });
      const started = performance.now();
      await assert.rejects(client.generate(ask()), (err: unknown) => {
        assert.ok(err instanceof InfraError);
        assert.match(err.message, /HTTP 429 asking to retry after 600 s \(Retry-After\), more than the 120 s/);
        assert.doesNotMatch(err.message, /no answer within/);
        return true;
      });
      assert.ok(performance.now() - started < 5_000, 'no waiting out the timeout');
      assert.equal(server.calls, 1);
    } finally {
      await server.close();
    }
  });
});

describe('client call limits', () => {
  it('times out during a retry delay when the retry-after outlasts the deadline', async () => {
    const model = mockModel('never');
    model.doGenerate = async () => {
      throw new APICallError({
        message: 'overloaded',
        url: 'http://127.0.0.1:1/v1/messages',
        requestBodyValues: {},
        statusCode: 529,
        responseHeaders: { 'retry-after-ms': '10000' },
        isRetryable: true,
      });
    };
    const client = createModelClient('sim:echo', { languageModel: model, timeoutMs: 50 });
    const started = performance.now();
    await assert.rejects(
      client.generate(ask()),
      (err: unknown) =>
        err instanceof InfraError &&
        /HTTP 529 asking to retry after 10 s \(Retry-After\), more than the 0 s this call has left/.test(err.message),
    );
    assert.ok(performance.now() - started < 2000);
  });

  it('refuses a bad timeout or retry count when the client is made', () => {
    for (const options of [{ timeoutMs: 0 }, { timeoutMs: Infinity }, { maxRetries: -1 }, { maxRetries: 1.5 }]) {
      assert.throws(
        () => createModelClient('sim:echo', options),
        (err: unknown) => err instanceof FapoError && /timeoutMs|maxRetries/.test(err.message),
      );
    }
  });
});
