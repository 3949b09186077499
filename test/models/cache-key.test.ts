import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { responseCacheKey, type ModelRequest } from '../../src/models/index.ts';
import { FapoError } from '../../src/util/errors.ts';
import { canonicalHash } from '../../src/util/hash.ts';

const spec = { provider: 'openai', model: 'gpt-4.1-mini' } as const;

/** The key as first defined: the canonical hash of the whole request material. */
const referenceKey = (req: ModelRequest) =>
  canonicalHash({
    provider: spec.provider,
    model: spec.model,
    messages: req.messages,
    sampling: req.sampling,
    schema: req.schema,
    sampleKey: req.sampling.temperature !== 0 ? req.sampleKey : undefined,
    toolChoice: req.toolChoice,
    tools: req.tools,
  });

const requests: ModelRequest[] = [
  { messages: [{ role: 'user', content: 'hi' }], sampling: { temperature: 0 } },
  { messages: [{ role: 'user', content: 'hi' }], sampling: {}, sampleKey: 't1/c1' },
  {
    messages: [
      { role: 'system', content: 'Quote "this"\nand \\ that \u0001 — café 😀' },
      { role: 'user', content: '' },
      { role: 'assistant', content: '{"a":1}' },
    ],
    sampling: { topP: 0.9, temperature: 0.7, seed: 12, maxTokens: 256 },
    sampleKey: 'trial "2"',
    schema: {
      type: 'object',
      required: ['b', 'a'],
      properties: { b: { type: 'number', minimum: 1e-7 }, a: { enum: ['x', 'é'] } },
    },
  },
  { messages: [], sampling: { temperature: 0, seed: -0, maxTokens: 1e21 }, sampleKey: 'ignored at t=0', schema: {} },
  {
    // a tool-using turn: the assistant's calls and their results are part of the prefix
    messages: [
      { role: 'user', content: 'order 7?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_0_0', name: 'get_order', args: { id: 7, z: [1] } }] },
      { role: 'tool', content: '{"status":"shipped"}', toolCallId: 'call_0_0', toolName: 'get_order' },
    ],
    sampling: { temperature: 0 },
    tools: [{ name: 'get_order', description: 'Look up "an" order', inputSchema: { type: 'object', properties: {} } }],
    toolChoice: 'auto',
  },
];

describe('response cache key', () => {
  it('is byte-for-byte the canonical hash of the request material', () => {
    for (const req of requests) assert.equal(responseCacheKey(spec, req), referenceKey(req), JSON.stringify(req));
  });

  it('separates what changes the answer and ignores key order and the sample key at temperature 0', () => {
    const base = requests[2]!;
    const keys = new Set([
      responseCacheKey(spec, base),
      responseCacheKey(spec, { ...base, sampleKey: 'other' }),
      responseCacheKey(spec, { ...base, sampling: { ...base.sampling, seed: 13 } }),
      responseCacheKey(spec, { ...base, schema: { type: 'object' } }),
      responseCacheKey({ ...spec, model: 'gpt-4o' }, base),
    ]);
    assert.equal(keys.size, 5);
    const reordered = { ...base, sampling: { maxTokens: 256, seed: 12, temperature: 0.7, topP: 0.9 } };
    assert.equal(responseCacheKey(spec, reordered), responseCacheKey(spec, base));
    const greedy = (sampleKey: string): ModelRequest => ({ ...requests[0]!, sampleKey });
    assert.equal(responseCacheKey(spec, greedy('t1')), responseCacheKey(spec, greedy('t2')));
  });

  it('separates tool turns by tool list, tool choice and the calls and results in the history', () => {
    const turn = requests[4]!;
    const [tool] = turn.tools!;
    const keys = new Set([
      responseCacheKey(spec, turn),
      responseCacheKey(spec, { ...turn, toolChoice: 'none' }),
      responseCacheKey(spec, { ...turn, tools: [{ ...tool!, description: 'Look up an order by id' }] }),
      responseCacheKey(spec, { ...turn, messages: turn.messages.slice(0, 1) }),
      responseCacheKey(spec, {
        ...turn,
        messages: [...turn.messages.slice(0, 2), { ...turn.messages[2]!, content: '{"status":"lost"}' }],
      }),
    ]);
    assert.equal(keys.size, 5);
  });

  it('rejects a sampling value with no JSON form', () => {
    assert.throws(
      () => responseCacheKey(spec, { messages: [], sampling: { temperature: Number.NaN } }),
      (err: unknown) => {
        assert.ok(err instanceof FapoError);
        assert.match(err.message, /sampling\.temperature is NaN/);
        return true;
      },
    );
  });
});
