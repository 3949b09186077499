/**
 * The `local` provider end to end on a generated tiny GGUF with random weights: plumbing only (text
 * comes back, usage is counted, a JSON-schema grammar forces valid JSON), never quality. node-llama-cpp
 * is opt-in for users; `npm test` installs it (scripts/ensure-test-deps.mjs), so this never skips.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createModelClient } from '../../src/models/index.ts';
import { writeTinyGguf } from '../fixtures/tiny-gguf.ts';
import { tempDir } from '../fixtures/temp.ts';

describe('local provider on a tiny random GGUF', () => {
  const modelPath = join(tempDir('fapo-gguf-'), 'tiny.gguf');
  writeTinyGguf(modelPath);
  const client = createModelClient(`local:${modelPath}`, { concurrency: 1 });

  it('generates text and counts tokens', async () => {
    const response = await client.generate({
      messages: [{ role: 'user', content: 'Say hello.' }],
      sampling: { temperature: 0, maxTokens: 8, seed: 1 },
    });
    assert.equal(typeof response.text, 'string');
    assert.ok(response.usage.inputTokens > 0);
    assert.ok(response.usage.outputTokens <= 8, 'maxTokens is respected');
    assert.equal(response.costUsd, 0);
  });

  it('forces JSON that matches the schema with a grammar', async () => {
    const response = await client.generate({
      messages: [{ role: 'user', content: 'Classify: great film.' }],
      sampling: { temperature: 0, maxTokens: 64, seed: 1 },
      schema: {
        type: 'object',
        properties: { label: { type: 'string', enum: ['positive', 'negative'] } },
        required: ['label'],
        additionalProperties: false,
      },
    });
    const object = response.object as { label?: string } | undefined;
    assert.ok(object && ['positive', 'negative'].includes(object.label ?? ''), `got ${response.text}`);
  });
});
