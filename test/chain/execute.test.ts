import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockLanguageModelV3 } from 'ai/test';
import { code, defineChain, llm, retrieve } from '../../src/chain/define.ts';
import { executeChain } from '../../src/chain/execute.ts';
import { CaseHost } from '../../src/chain/host.ts';
import { describeChain } from '../../src/chain/structure.ts';
import { enforceRetrievalCaps } from '../../src/chain/caps.ts';
import { createModelClient } from '../../src/models/client.ts';
import type { Retriever } from '../../src/retrieval/types.ts';

const usage = {
  inputTokens: { total: 7, noCache: 7, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 2, text: 2, reasoning: 0 },
};
function scripted(answer: (prompt: string) => string) {
  const lm = new MockLanguageModelV3({
    doGenerate: async (opts) => {
      const prompt = JSON.stringify(opts.prompt);
      return {
        content: [{ type: 'text', text: answer(prompt) }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage,
        warnings: [],
      };
    },
  });
  return { lm, model: createModelClient('sim:echo', { languageModel: lm }) };
}
const wiki: Retriever = {
  name: 'wiki',
  search: (query, k) =>
    Array.from({ length: k }, (_, i) => ({
      id: `${query}-${i}`,
      title: `T${i}`,
      text: `about ${query}`,
      score: k - i,
    })),
};

const chain = defineChain({
  name: 'loop',
  steps: [
    retrieve('search', { resource: 'wiki', query: '${vars.query}', k: '${params.k}' }),
    llm('next'),
    llm('answer'),
    code('clean', ({ steps }) => String(steps.answer!.output).toUpperCase()),
  ],
  flow: async ({ input, params, run }) => {
    let query = String(input.q);
    for (let hop = 0; hop < Number(params.hops); hop++) {
      await run('search', { query });
      query = String(await run('next', { hop }));
    }
    if (query.length > 100) return; // a branch that is never taken here
    await run('answer');
    return run('clean');
  },
  output: 'clean',
});
const prompts = {
  next: 'User: hop ${vars.hop}: ${steps.search.output}',
  answer: 'System: Answer.\nUser: ${input.q} ${input.missing}',
};

function host(
  model: ReturnType<typeof scripted>['model'],
  params: Record<string, unknown>,
  caps: Record<string, number> = {},
) {
  return new CaseHost(
    {
      structure: describeChain(chain, prompts),
      prompts,
      params,
      model,
      sampling: { temperature: 1 },
      retrievers: new Map([['wiki', wiki]]),
      trial: 2,
      retrievalGuard: enforceRetrievalCaps(caps),
    },
    { q: 'start' },
  );
}

describe('chain execution', () => {
  it('runs loops and code steps, recording every execution with its evidence', async () => {
    const { model, lm } = scripted((p) => (p.includes('Answer.') ? 'paris' : `q${(p.match(/hop (\d)/) ?? [])[1]}`));
    const h = host(model, { k: 2, hops: 2 });
    const out = await executeChain(chain, { q: 'start' }, { k: 2, hops: 2 }, h);
    assert.equal(out, 'PARIS');
    assert.deepEqual(
      h.records.map((r) => `${r.name}#${r.iteration}`),
      ['search#0', 'next#0', 'search#1', 'next#1', 'answer#0', 'clean#0'],
    );
    const [search0, next0, search1] = h.records;
    assert.deepEqual(search0!.inputs, { query: 'start', k: 2, resource: 'wiki' });
    assert.deepEqual(
      search0!.passages!.map((p) => p.id),
      ['start-0', 'start-1'],
    );
    assert.equal(search1!.inputs.query, 'q0');
    assert.equal(next0!.tokens!.input, 7);
    assert.equal(next0!.cacheHit, false);
    assert.ok(next0!.messages![0]!.content.includes('«T0 | about start»'));
    // Sample keys make trial 2's calls independent samples: t2/c0, t2/c1, …
    assert.equal(lm.doGenerateCalls.length, 3);
    // The missing ${input.missing} is a diagnostic on the answer step, not a failure.
    assert.deepEqual(h.records[4]!.diagnostics, ['missing template variable ${input.missing}']);
    assert.deepEqual(h.diagnostics, ['answer#0: missing template variable ${input.missing}']);
  });

  it('enforces retrieval caps before every retrieval, whatever the chain does', async () => {
    const { model } = scripted(() => 'q');
    await assert.rejects(
      executeChain(chain, { q: 's' }, { k: 5, hops: 1 }, host(model, { k: 5, hops: 1 }, { passagesPerHop: 3 })),
      /exceeds passagesPerHop cap 3/,
    );
    await assert.rejects(
      executeChain(chain, { q: 's' }, { k: 2, hops: 3 }, host(model, { k: 2, hops: 3 }, { hops: 2 })),
      /retrieval #3 exceeds hops cap 2/,
    );
  });

  it('a failing code step is recorded with its error', async () => {
    const broken = defineChain({
      name: 'b',
      steps: [
        code('boom', () => {
          throw new Error('kaput');
        }),
      ],
    });
    const { model } = scripted(() => '');
    const h = new CaseHost(
      {
        structure: describeChain(broken, {}),
        prompts: {},
        params: {},
        model,
        sampling: {},
        retrievers: new Map(),
        trial: 0,
      },
      {},
    );
    await assert.rejects(executeChain(broken, {}, {}, h), /kaput/);
    assert.equal(h.records[0]!.name, 'boom');
    assert.match(h.records[0]!.error!, /kaput/);
  });

  it('exposes the structure as data: steps, kinds, templates, references, order', () => {
    const s = describeChain(chain, prompts);
    assert.equal(s.customFlow, true);
    assert.deepEqual(
      s.steps.map((x) => [x.name, x.kind]),
      [
        ['search', 'retrieve'],
        ['next', 'llm'],
        ['answer', 'llm'],
        ['clean', 'code'],
      ],
    );
    assert.deepEqual(s.steps[0]!.references, ['vars.query', 'params.k']);
    assert.deepEqual(s.steps[1]!.references, ['vars.hop', 'steps.search.output']);
  });
});
