/**
 * GEPA on agent steps: the agent's prompt template and the descriptions of the tools it may call are
 * components like llm-step templates, reflected on with the agent's transcripts (tool calls, results,
 * answer). Offline: the support-desk example with its `sim:support` toy agent and `sim:reflect`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AgentRecord, ChainStructure } from '../../../src/chain/types.ts';
import { gepaComponents } from '../../../src/optimize/gepa/components.ts';
import { type MergeView, planMerge } from '../../../src/optimize/gepa/merge.ts';
import { agentTranscript, reflectionPrompt } from '../../../src/optimize/gepa/reflection.ts';
import { rngFor } from '../../../src/optimize/gepa/rng.ts';
import { copyExampleTask } from '../../../src/cli/commands/init.ts';
import { tempDir } from '../../fixtures/temp.ts';
import { runGepaSession } from './fixtures/gepa-session.ts';

const tool = (name: string) => ({ name, description: `${name} does it.`, inputSchema: {} });

describe('gepaComponents', () => {
  const structure: ChainStructure = {
    name: 'mixed',
    customFlow: false,
    steps: [
      { name: 'plan', kind: 'llm', references: [] },
      { name: 'look', kind: 'retrieve', references: [], resource: 'wiki' },
      { name: 'act', kind: 'agent', prompt: 'agent', references: [], tools: ['get_*', 'search:wiki'] },
      { name: 'act2', kind: 'agent', references: [], tools: '${params.tools}' },
    ],
    tools: [tool('get_order'), tool('get_user'), tool('cancel_order')],
  };

  it('takes llm and agent templates, then the tools agent steps can call, with their current descriptions', () => {
    const { stepsByComponent, defaults } = gepaComponents(
      structure,
      { plan: 'System: Plan.', agent: 'System: Act.', act2: 'System: Act again.', 'tools/get_user': 'Finds a user.' },
      { tools: ['cancel_order', 'get_order'] },
      ['wiki'],
    );
    assert.deepEqual(stepsByComponent, {
      plan: ['plan'],
      agent: ['act'],
      act2: ['act2'],
      'tools/get_order': ['act', 'act2'],
      'tools/get_user': ['act'],
      'tools/search:wiki': ['act'],
      'tools/cancel_order': ['act2'],
    });
    // get_user's description is already overridden in the prompt set: no default needed
    assert.deepEqual(defaults, {
      'tools/get_order': 'get_order does it.',
      'tools/search:wiki': 'Search the "wiki" collection; returns the best-matching passages (id, title, text).',
      'tools/cancel_order': 'cancel_order does it.',
    });
  });
});

describe('GEPA reflection on agent steps', () => {
  const agent: AgentRecord = {
    tools: ['find_customer'],
    turns: [
      { turn: 0, text: '', toolCallIds: ['a'], latencyMs: 1 },
      { turn: 1, text: 'It shipped.', toolCallIds: [], latencyMs: 1 },
    ],
    toolCalls: [
      {
        id: 'a',
        turn: 0,
        tool: 'find_customer',
        source: 'workspace',
        args: { email: 'x@y.z' },
        result: { id: 'c-1' },
        latencyMs: 1,
      },
      {
        id: 'b',
        turn: 0,
        tool: 'get_order',
        source: 'workspace',
        args: { id: 'o-1' },
        error: { kind: 'not_found', message: 'no order o-1' },
        latencyMs: 1,
      },
    ],
    stopReason: 'final',
  };

  it('shows an agent step as its tool calls (results and errors) and its answer', () => {
    assert.equal(
      agentTranscript('It shipped.', agent),
      [
        'Tool calls:',
        '- find_customer({"email":"x@y.z"}) → {"id":"c-1"}',
        '- get_order({"id":"o-1"}) → error (not_found): no order o-1',
        'Answer (after 2 turns, final): It shipped.',
      ].join('\n'),
    );
    assert.match(agentTranscript('Done.', { ...agent, toolCalls: [] }), /^Tool calls: none\n/);
  });

  it('asks for a better tool description when the component is a tool', () => {
    const prompt = reflectionPrompt('Finds a customer by email.', [], 'find_customer');
    assert.match(
      prompt,
      /could call the tool `find_customer`, which it was shown with this description:\n```\nFinds a customer by email\.\n```/,
    );
    assert.match(prompt, /Write a new, improved description of `find_customer`/);
    assert.doesNotMatch(prompt, /placeholder/);
  });

  it('merges leave a tool description neither side overrides out of the prompt set', () => {
    const view: MergeView = {
      components: ['agent', 'tools/t', 'tools/u'],
      prompts: [{ agent: 'A' }, { agent: 'A2' }, { agent: 'A', 'tools/t': 'T2' }],
      parents: [[], [0], [0]],
      aggregate: [0.1, 0.5, 0.5],
    };
    const plan = planMerge(rngFor(0, 'merge'), view, [1, 2], { triples: [], compositions: [] }, () => true);
    assert.deepEqual(plan?.prompts, { agent: 'A2', 'tools/t': 'T2' });
  });

  it('optimizes the support-desk agent: its prompt and its tool descriptions are rewritten from transcripts', async () => {
    const dir = copyExampleTask(join(tempDir('fapo-gepa-agent-'), 'desk'), 'agent');
    const outcome = await runGepaSession(dir, { maxMetricCalls: 30, componentSelector: 'all' }, false);
    const best = outcome.result.best;
    assert.match(best.prompts.support!, /Look up the facts with your tools; never answer from memory\./);
    for (const name of ['find_customer', 'list_orders', 'get_order', 'cancel_order', 'search:policies'])
      assert.match(best.prompts[`tools/${name}`] ?? '', /^Look up the facts with your tools/, `tools/${name}`);
    assert.equal(outcome.result.bestValidation.summary.mean, 1);
    assert.ok(outcome.result.trajectory[0]!.valMean! < 1, 'the seed answers from memory');
  });
});
