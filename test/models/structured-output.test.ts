import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createModelClient, type ModelRequest } from '../../src/models/index.ts';
import { FapoError } from '../../src/util/errors.ts';
import { mockModel } from '../fixtures/mock-model.ts';

const classify = (schema: Record<string, unknown>): ModelRequest => ({
  messages: [{ role: 'user', content: 'classify' }],
  sampling: { temperature: 0 },
  schema,
});

const labelSchema = {
  type: 'object',
  properties: { label: { enum: ['positive', 'negative'] }, score: { type: 'number', minimum: 0 } },
  required: ['label'],
};

async function objectFor(reply: string, schema: Record<string, unknown>): Promise<unknown> {
  return (await createModelClient('sim:json', { languageModel: mockModel(reply) }).generate(classify(schema))).object;
}

describe('structured output', () => {
  it('returns the object only when the reply matches the schema', async () => {
    assert.deepEqual(await objectFor('{"label":"negative","score":0.5}', labelSchema), {
      label: 'negative',
      score: 0.5,
    });
    assert.equal(await objectFor('{"label":"maybe"}', labelSchema), undefined);
    assert.equal(await objectFor('{"score":-1,"label":"positive"}', labelSchema), undefined);
    assert.equal(await objectFor('{"label":"positive"} trailing', labelSchema), undefined);
  });

  it('understands 2020-12 keywords, ignores formats and x- hints, and accepts draft-07 headers and repeated $ids', async () => {
    const conditional = {
      $id: 'https://example.com/answer',
      type: 'object',
      'x-provider-hint': true,
      properties: { kind: { type: 'string' }, email: { type: 'string', format: 'email' } },
      if: { properties: { kind: { const: 'contact' } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
      then: { required: ['email'] },
      $defs: { unused: { type: 'integer' } },
    };
    assert.equal(await objectFor('{"kind":"contact"}', conditional), undefined);
    assert.deepEqual(await objectFor('{"kind":"contact","email":"not an address"}', { ...conditional }), {
      kind: 'contact',
      email: 'not an address',
    });
    const draft7 = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: { type: 'string' } };
    assert.deepEqual(await objectFor('["a","b"]', draft7), ['a', 'b']);
    assert.equal(await objectFor('["a",1]', draft7), undefined);
  });

  it('stops with a FapoError before calling the model when the schema is invalid', async () => {
    const model = mockModel('{}');
    const client = createModelClient('sim:json', { languageModel: model });
    await assert.rejects(client.generate(classify({ type: 'whatever' })), (err: unknown) => {
      assert.ok(err instanceof FapoError);
      assert.match(err.message, /structured-output JSON Schema is invalid/);
      assert.match(err.hint ?? '', /output: \{ json/);
      return true;
    });
    assert.equal(model.doGenerateCalls.length, 0);
  });
});
