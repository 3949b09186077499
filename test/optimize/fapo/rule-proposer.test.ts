import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeFailures } from '../../../src/attribution/report.ts';
import type { ChainStructure, StepRecord } from '../../../src/chain/types.ts';
import type { Variant } from '../../../src/eval/types.ts';
import type { MemoryRecord } from '../../../src/optimize/fapo/memory.ts';
import type { ProposerServices } from '../../../src/optimize/fapo/proposer.ts';
import { createRuleProposer } from '../../../src/optimize/fapo/rule-proposer.ts';
import { type Level, PlaybookSchema } from '../../../src/task/schema.ts';
import { agentStep, chainOf, llm, qaCase, result, toolCall } from '../../attribution/fixtures.ts';

const STRUCTURE: ChainStructure = {
  name: 'shop',
  steps: [
    {
      name: 'support',
      kind: 'agent',
      prompt: 'support',
      references: [],
      maxSteps: '${params.support_steps}',
      tools: '${params.support_tools}',
    },
  ],
  customFlow: false,
};

const PARENT: Variant = {
  hash: 'b'.repeat(64),
  seq: 1,
  parent: null,
  level: 'baseline',
  chainPath: 'chain.ts',
  chainSource: '',
  prompts: { support: 'System: You are a shop assistant.\nUser: ${input.request}' },
  params: { support_steps: 4, support_tools: ['get_order'] },
  createdBy: 'user',
  createdAt: '2026-12-04T00:00:00.000Z',
};

const NO_SERVICES = new Proxy({} as ProposerServices, {
  get: () => () => {
    throw new Error('the rule proposer needs no services');
  },
});

const order = { id: 'O1', status: 'pending', total: 42 };

/** Three failed train cases whose agent step produced `steps(i)`. */
async function propose(
  level: Level,
  steps: (i: number) => StepRecord[],
  options: {
    memory?: MemoryRecord[];
    caps?: Record<string, number>;
    expected?: string;
    metadata?: Record<string, unknown>;
  } = {},
) {
  const ids = ['t1', 't2', 't3'];
  const cases = ids.map((id) =>
    qaCase(id, 'Cancel my order O1', options.expected ?? 'cancelled', options.metadata ?? {}),
  );
  const results = ids.map((id, i) => result(id, steps(i), 'Sorry.', 0));
  const caps = options.caps ?? { maxSteps: 10 };
  const attribution = await attributeFailures({
    variant: PARENT.hash,
    cases,
    results,
    chain: STRUCTURE,
    prompts: PARENT.prompts,
    allowedLevels: ['prompt', 'param', 'structure'],
    caps,
    params: PARENT.params,
  });
  const playbook = PlaybookSchema.parse({ levels: ['prompt', 'param', 'structure'], caps });
  return {
    attribution,
    proposal: await createRuleProposer().propose({
      round: 1,
      level,
      parent: PARENT,
      structure: STRUCTURE,
      playbook,
      attribution,
      memory: options.memory ?? [],
      triedTechniques: [],
      services: NO_SERVICES,
    }),
  };
}

const lookedUpOnly = () => [
  agentStep('support', 'Your order is pending.', [toolCall('get_order', { id: 'O1' }, { result: order })], {
    tools: ['get_order', 'cancel_order'],
  }),
];

describe('rule proposer: agent techniques', () => {
  it('adds a tool-use instruction naming the tool the failures never called', async () => {
    const { proposal } = await propose('prompt', lookedUpOnly, { metadata: { expected_actions: ['cancel_order'] } });
    assert.equal(proposal?.level, 'prompt');
    assert.equal(proposal?.technique, 'tool-use-instruction');
    assert.match(
      proposal!.prompts.support!,
      /^System: You are a shop assistant\. Whenever the request needs it, call the cancel_order tool/,
    );
    assert.match(proposal!.hypothesis, /tool-never-called:cancel_order/);
    assert.deepEqual(proposal!.params, PARENT.params, 'a prompt-level proposal keeps the params');
  });

  it('does not repeat a tool instruction already tried for the same pattern', async () => {
    const memory: MemoryRecord[] = [
      {
        kind: 'variant',
        iteration: 1,
        round: 1,
        parent: PARENT.hash,
        level: 'prompt',
        stepsChanged: ['support'],
        hypothesis: 'support misuses or skips a tool (tool-never-called:cancel_order)',
        technique: 'tool-use-instruction',
        review: 'pass',
        reviewReasons: [],
        accepted: false,
      },
    ];
    const { proposal } = await propose('prompt', lookedUpOnly, {
      metadata: { expected_actions: ['cancel_order'] },
      memory,
    });
    assert.notEqual(proposal?.technique, 'tool-use-instruction');
  });

  it('tells the agent to check tool results when its answer contradicts one', async () => {
    const { proposal } = await propose('prompt', lookedUpOnly, { expected: '42' });
    assert.equal(proposal?.technique, 'tool-result-check');
    assert.match(proposal!.prompts.support!, /re-read the tool results/);
  });

  it('tells a looping agent to stop repeating calls', async () => {
    const looping = () => [
      agentStep(
        'support',
        '',
        [1, 2, 3].map((turn) => toolCall('get_order', { id: 'O1' }, { result: order }, turn)),
        { stopReason: 'max_steps' },
      ),
    ];
    const { proposal } = await propose('prompt', looping);
    assert.equal(proposal?.technique, 'tool-loop-discipline');
  });

  it('raises maxSteps within the cap when loops hit it without repeating', async () => {
    const busy = () => [
      agentStep(
        'support',
        '',
        ['get_user', 'get_order', 'get_product', 'get_order'].map((tool, i) =>
          toolCall(tool, { i }, { result: {} }, i + 1),
        ),
        { stopReason: 'max_steps' },
      ),
    ];
    const { attribution, proposal } = await propose('param', busy, { caps: { maxSteps: 5 } });
    assert.equal(attribution.clusters[0]?.level, 'param');
    assert.equal(proposal?.level, 'param');
    assert.equal(proposal?.params.support_steps, 5, '4 → 4 + 2 = 6, held at the cap 5');
    assert.deepEqual(proposal?.prompts, PARENT.prompts);
  });

  it('near miss: no maxSteps proposal when the param is already at the cap', async () => {
    const busy = () => [
      agentStep('support', '', [toolCall('get_user', {}, { result: {} })], { stopReason: 'max_steps' }),
    ];
    const { proposal } = await propose('param', busy, { caps: { maxSteps: 4 } });
    assert.equal(proposal, null);
  });

  it('adds a needed tool to a tool-subset param', async () => {
    const withoutCancel = () => [
      agentStep('support', 'pending', [toolCall('get_order', { id: 'O1' }, { result: order })], {
        tools: ['get_order'],
      }),
    ];
    const { proposal } = await propose('param', withoutCancel, { metadata: { expected_actions: ['cancel_order'] } });
    assert.deepEqual(proposal?.params.support_tools, ['get_order', 'cancel_order']);
    assert.equal(proposal?.params.support_steps, 4);
  });
});

describe('rule proposer: judge criteria', () => {
  it("turns the criterion a judge scorer found unmet into the step's instruction", async () => {
    const structure = chainOf([['reply', 'llm']]);
    const parent: Variant = { ...PARENT, prompts: { reply: 'System: You answer customers.\nUser: ${input.question}' } };
    const feedback = '- not met: The reply names a next step for the customer. — judge: no next step given';
    const cases = ['t1', 't2', 't3'].map((id) => qaCase(id, 'Where is my parcel?', { rubric: ['x'] }));
    const results = cases.map((c) =>
      result(c.id, [llm('reply', 'It is on its way.')], 'It is on its way.', 0.5, { feedback }),
    );
    const attribution = await attributeFailures({
      variant: parent.hash,
      cases,
      results,
      chain: structure,
      prompts: parent.prompts,
      allowedLevels: ['prompt'],
      caps: {},
      params: {},
    });
    assert.equal(attribution.clusters[0]?.pattern, 'unmet:The reply names a next step for the customer.');
    assert.match(attribution.clusters[0]!.suggestedFix, /meet the criterion the judge found unmet/);
    const proposal = await createRuleProposer().propose({
      round: 1,
      level: 'prompt',
      parent,
      structure,
      playbook: PlaybookSchema.parse({}),
      attribution,
      memory: [],
      triedTechniques: [],
      services: NO_SERVICES,
    });
    assert.equal(proposal?.technique, 'criterion-instruction');
    assert.match(
      proposal!.prompts.reply!,
      /^System: You answer customers\. Make sure every output meets this requirement: The reply names a next step/,
    );
  });
});
