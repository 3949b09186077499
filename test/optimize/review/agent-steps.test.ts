import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCaps } from '../../../src/optimize/review/caps.ts';
import { parseChain } from '../../../src/optimize/review/chain-ast.ts';
import { checkPlaceholders } from '../../../src/optimize/review/placeholders.ts';
import { checkToolCode } from '../../../src/optimize/review/tool-code.ts';
import type { Proposal } from '../../../src/optimize/review/types.ts';
import { structureProposal } from './fixtures.ts';

const AGENT_CHAIN = `import { agent, defineChain, llm } from 'fapo';

const TOOLS = ['get_order', 'cancel_order'];

export default defineChain({
  name: 'support-split',
  steps: [
    agent('lookup', { tools: TOOLS, maxSteps: '\${params.lookup_steps}' }),
    agent('act', { tools: 'shop.*', maxSteps: 4, prompt: 'act_prompt' }),
    llm({ name: 'reply', output: 'text' }),
  ],
});
`;

const PROMPTS = {
  lookup: 'System: look the order up.\nUser: ${input.request}',
  act_prompt: 'System: act on it.\nUser: ${steps.lookup.output}',
  reply: 'Reply: ${steps.act.output}',
};

function agentProposal(overrides: Partial<Proposal> = {}): Proposal {
  return structureProposal({
    chainSource: AGENT_CHAIN,
    chainPath: 'chains/variants/v3-split.ts',
    prompts: PROMPTS,
    params: { lookup_steps: 6 },
    files: ['chains/variants/v3-split.ts'],
    technique: 'react-tools',
    ...overrides,
  });
}

const parsed = (p: Proposal) => parseChain(p.chainSource, p.chainPath, p.params);

describe('structure checks read agent steps', () => {
  it('parses agent steps: template (default: the step name), maxSteps and tools', () => {
    const chain = parsed(agentProposal());
    assert.deepEqual(chain.problems, []);
    const [lookup, act] = chain.steps;
    assert.deepEqual(
      { kind: lookup!.kind, prompt: lookup!.prompt, tools: lookup!.tools, maxSteps: lookup!.maxSteps },
      {
        kind: 'agent',
        prompt: 'lookup',
        tools: ['get_order', 'cancel_order'],
        maxSteps: { known: true, value: '${params.lookup_steps}' },
      },
    );
    assert.equal(act!.prompt, 'act_prompt');
    assert.deepEqual(act!.tools, { known: true, value: 'shop.*' });
  });

  it('a chain that splits an agent step passes the placeholder check; a missing agent template blocks', () => {
    const ok = checkPlaceholders(agentProposal(), parsed(agentProposal()));
    assert.equal(ok.verdict, 'pass', ok.reasons.join(' | '));
    const { act_prompt: _dropped, ...rest } = PROMPTS;
    const missing = agentProposal({ prompts: rest });
    const r = checkPlaceholders(missing, parsed(missing));
    assert.equal(r.verdict, 'block');
    assert.ok(
      r.reasons.some((x) => /agent step 'act' .* uses template 'act_prompt'/.test(x)),
      r.reasons.join(' | '),
    );
  });

  it('a new tool description prompt is not reported as an unused template', () => {
    const p = agentProposal({
      prompts: { ...PROMPTS, 'tools/get_order': 'Look up an order by its id (e.g. #W1234567).' },
    });
    const r = checkPlaceholders(p, parsed(p));
    assert.ok(!r.reasons.some((x) => /tools\/get_order/.test(x)), r.reasons.join(' | '));
  });

  it('the maxSteps cap bounds agent loops, through params too', () => {
    const caps = { maxSteps: 5 };
    const over = checkCaps(agentProposal(), caps, parsed(agentProposal()));
    assert.equal(over.verdict, 'block');
    assert.ok(
      over.reasons.some((x) => /agent 'lookup' .* maxSteps = 6 > maxSteps cap 5/.test(x)),
      over.reasons.join(' | '),
    );
    const within = agentProposal({ params: { lookup_steps: 3 } });
    assert.equal(checkCaps(within, caps, parsed(within)).verdict, 'pass');
  });
});

const CLEAN_TOOL = `import { defineTool } from 'fapo';
import { z } from 'zod';

export default defineTool({
  name: 'get_order',
  description: 'Look an order up by id.',
  input: z.object({ order_id: z.string() }),
  run: async (input, ctx) => {
    const order = ctx.state.orders[input.order_id];
    if (order === undefined) throw new Error('order not found');
    return order.status === 'pending' ? { ...order, cancellable: true } : order;
  },
});
`;

describe('the tool-code check (same AST allowlist as chain code)', () => {
  const withTool = (source: string, overrides: Partial<Proposal> = {}) =>
    checkToolCode(
      agentProposal({
        toolSources: { 'tools/get_order.ts': source },
        files: ['chains/variants/v3-split.ts', 'tools/get_order.ts'],
        ...overrides,
      }),
    )!;

  it('no tool sources → no check', () => {
    assert.equal(checkToolCode(agentProposal()), null);
  });

  it('a clean tool passes (literal comparisons on arguments are allowed in tools)', () => {
    const r = withTool(CLEAN_TOOL);
    assert.equal(r.verdict, 'pass', r.reasons.join(' | '));
  });

  it('node:fs, process and Function-reaching code are blocked', () => {
    const r = withTool(
      `import { readFileSync } from 'node:fs';\n${CLEAN_TOOL.replace("throw new Error('order not found')", 'return process.env.SECRET')}`,
    );
    assert.equal(r.verdict, 'block');
    const text = r.reasons.join(' | ');
    assert.match(
      text,
      /tools\/get_order\.ts: line 1: imports 'node:fs' \(a Node built-in\); tools may import only fapo, zod/,
    );
    assert.match(text, /'process' is forbidden/);
  });

  it('computed keys built at run time are blocked in tools; keys that are names or paths pass', () => {
    for (const key of [
      "['con', 'structor'].join('')",
      'String.fromCharCode(99, 111, 110, 115, 116, 114, 117, 99, 116, 111, 114)',
      `JSON.parse('"constructor"')`,
    ]) {
      const r = withTool(CLEAN_TOOL.replace("throw new Error('order not found')", `return (input as any)[${key}]`));
      assert.equal(r.verdict, 'block', key);
      assert.match(r.reasons.join(' | '), /computed property key .* could name any property/);
    }
  });

  it('a tool module must export default defineTool and have no import-time statements', () => {
    const r = withTool(`import { defineTool } from 'fapo';\nconsole.log('hi');\nexport default { name: 'x' };\n`);
    const text = r.reasons.join(' | ');
    assert.match(text, /top-level statement runs at import time; put logic inside the tool's run function/);
    assert.match(text, /must `export default defineTool\(\{\.\.\.\}\)`/);
  });

  it('tool code changes only at the structure level, in tools/<name>.ts, listed in files', () => {
    const prompt = withTool(CLEAN_TOOL, { level: 'prompt' });
    assert.ok(prompt.reasons.includes('a prompt-level proposal must not change tool code'));
    const unlisted = checkToolCode(agentProposal({ toolSources: { 'tools/get_order.ts': CLEAN_TOOL } }))!;
    assert.ok(unlisted.reasons.some((x) => /not listed in files/.test(x)));
    const elsewhere = checkToolCode(agentProposal({ toolSources: { 'lib/x.ts': CLEAN_TOOL }, files: ['lib/x.ts'] }))!;
    assert.ok(elsewhere.reasons.some((x) => /workspace tools live in tools\/<name>\.ts/.test(x)));
  });
});
