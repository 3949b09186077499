import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateText, streamText } from 'ai';
import {
  createModelClient,
  createSimLanguageModel,
  registerSimBehaviour,
  simRandom,
  type SimCall,
} from '../../src/models/index.ts';
import { installSimBehaviours, minimalValueForSchema } from '../../src/testing/index.ts';
import { FapoError } from '../../src/util/errors.ts';

installSimBehaviours();

const calls: SimCall[] = [];
registerSimBehaviour('test-dice', (call) => {
  calls.push(call);
  return `roll ${Math.floor(simRandom(call)() * 1000)}`;
});

describe('sim provider', () => {
  it('echoes the last user message with a word-based token estimate', async () => {
    const client = createModelClient('sim:echo');
    const response = await client.generate({
      messages: [
        { role: 'system', content: 'sys prompt' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'one two three' },
      ],
      sampling: { temperature: 0 },
    });
    assert.equal(response.text, 'one two three');
    assert.equal(response.usage.outputTokens, 4); // ceil(3 words * 4/3)
    assert.equal(response.usage.inputTokens, 10); // 7 words
    assert.equal(response.costUsd, 0);
  });

  it('answers a JSON schema with a minimal conforming object', async () => {
    const schema = {
      type: 'object',
      properties: {
        label: { enum: ['yes', 'no'] },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
        note: { type: 'string' },
        n: { type: 'integer', minimum: 2 },
      },
      required: ['label', 'tags', 'n'],
    };
    const response = await createModelClient('sim:json').generate({
      messages: [{ role: 'user', content: 'x' }],
      sampling: {},
      schema,
    });
    assert.deepEqual(response.object, { label: 'yes', tags: [''], n: 2 });
    assert.deepEqual(minimalValueForSchema({ anyOf: [{ type: 'boolean' }, { type: 'string' }] }), false);
  });

  it('is deterministic per sample key and seed, and hides the key at temperature 0', async () => {
    const client = createModelClient('sim:test-dice');
    const roll = (sampleKey: string, temperature: number, seed?: number) =>
      client
        .generate({
          messages: [{ role: 'user', content: 'roll' }],
          sampling: { temperature, ...(seed !== undefined ? { seed } : {}) },
          sampleKey,
        })
        .then((r) => r.text);
    assert.equal(await roll('t1', 1), await roll('t1', 1));
    const trials = new Set(await Promise.all(['t1', 't2', 't3', 't4', 't5'].map((k) => roll(k, 1))));
    assert.ok(trials.size >= 4, 'different trials should mostly differ');
    assert.notEqual(await roll('t1', 1, 1), await roll('t1', 1, 2));
    assert.equal(await roll('t1', 0), await roll('t2', 0));
    assert.equal(calls.at(-1)!.sampleKey, undefined);
  });

  it('works under generateText and streamText directly', async () => {
    const model = createSimLanguageModel('echo');
    const { text } = await generateText({ model, prompt: 'ping pong' });
    assert.equal(text, 'ping pong');
    const stream = streamText({ model, prompt: 'streamed words' });
    assert.equal(await stream.text, 'streamed words');
  });

  it('names the registered behaviours when asked for an unknown one', () => {
    assert.throws(
      () => createSimLanguageModel('nope'),
      (err: unknown) => err instanceof FapoError && /sim:echo/.test(err.hint ?? ''),
    );
  });
});
