import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAnalystMessages } from '../../src/attribution/analyst.ts';
import { expectedActions } from '../../src/attribution/agent-trace.ts';
import { suggestFix } from '../../src/attribution/cluster.ts';
import { attributeCaseByRules, attributeTrial, type RuleContext } from '../../src/attribution/rules.ts';
import type { ChainStructure } from '../../src/chain/types.ts';
import { FapoError } from '../../src/util/errors.ts';
import { agentStep, llm, qaCase, result, toolCall } from './fixtures.ts';

const TOOLS = ['get_order', 'cancel_order', 'get_user'];

function agentChain(extra: Partial<ChainStructure['steps'][number]> = {}): ChainStructure {
  return {
    name: 'shop',
    steps: [{ name: 'support', kind: 'agent', prompt: 'support', references: [], ...extra }],
    customFlow: false,
  };
}

const ctx: RuleContext = { chain: agentChain() };
const ok = (value: unknown) => ({ result: value });
const order = { id: 'O1', status: 'pending', total: 42 };
const question = qaCase('c1', 'Cancel order O1 and tell me its total.', '42');

function diagnose(
  steps: ReturnType<typeof agentStep>[],
  output: unknown,
  options: { context?: RuleContext; testCase?: ReturnType<typeof qaCase>; feedback?: string } = {},
) {
  const r = result('c1', steps, output, 0, options.feedback ? { feedback: options.feedback } : {});
  return attributeTrial(options.testCase ?? question, r, options.context ?? ctx);
}

describe('agent rule: tool error', () => {
  it('an unrecovered invalid_args error is a prompt-level tool_error naming the tool and kind', () => {
    const v = diagnose(
      [
        agentStep(
          'support',
          'Sorry.',
          [toolCall('get_order', { order: 'O1' }, { error: { kind: 'invalid_args', message: 'id is required' } })],
          { tools: TOOLS },
        ),
      ],
      'Sorry.',
    );
    assert.equal(v.label, 'tool_error');
    assert.equal(v.step, 'support');
    assert.equal(v.level, 'prompt');
    assert.equal(v.pattern, 'tool-error:invalid_args:get_order');
    assert.match(v.evidence.join('\n'), /get_order\(\{"order":"O1"\}\) ✗ invalid_args: id is required/);
  });

  it('a tool that timed out (and never succeeded) is structural: the tool code or its limits', () => {
    const v = diagnose(
      [
        agentStep('support', 'x', [
          toolCall('get_order', { id: 'O1' }, { error: { kind: 'timeout', message: 'after 5000 ms' } }),
        ]),
      ],
      'x',
    );
    assert.equal(v.level, 'structure');
    assert.equal(v.pattern, 'tool-error:timeout:get_order');
  });

  it('a thrown error is the arguments’ fault when the same tool succeeded on other arguments', () => {
    const calls = [
      toolCall('get_order', { id: 'O1' }, ok(order), 1),
      toolCall('get_order', { id: 'O9' }, { error: { kind: 'thrown', message: 'no such order' } }, 2),
    ];
    // The thrown call comes after the success, so it is unrecovered.
    const v = diagnose([agentStep('support', 'total 42?', calls)], 'total 42?', {
      testCase: qaCase('c1', 'q', 'refunded'),
    });
    assert.equal(v.label, 'tool_error');
    assert.equal(v.level, 'prompt');
  });

  it('near miss: an error followed by a successful call of the same tool is recovered, not blamed', () => {
    const calls = [
      toolCall('get_order', { order: 'O1' }, { error: { kind: 'invalid_args', message: 'id is required' } }, 1),
      toolCall('get_order', { id: 'O1' }, ok(order), 2),
    ];
    const v = diagnose([agentStep('support', 'It is 42.', calls)], 'It is 42.', {
      testCase: qaCase('c1', 'q', 'cancelled'),
    });
    assert.notEqual(v.label, 'tool_error');
  });
});

describe('agent rule: loop limit', () => {
  const calls = [toolCall('get_order', { id: 'O1' }, ok(order), 1), toolCall('get_user', { id: 'U1' }, ok({}), 2)];

  it('max_steps with a tunable maxSteps param under its cap is param-level', () => {
    const v = diagnose([agentStep('support', '', calls, { stopReason: 'max_steps' })], '', {
      context: {
        chain: agentChain({ maxSteps: '${params.support_steps}' }),
        scope: { params: { support_steps: 2 }, caps: { maxSteps: 10 } },
      },
    });
    assert.equal(v.label, 'loop_limit');
    assert.equal(v.level, 'param');
    assert.equal(v.pattern, 'loop-limit:max_steps');
    assert.match(v.evidence.join('\n'), /params\.support_steps = 2 < cap 10/);
  });

  it('max_steps at the cap (or with a fixed maxSteps) is structural', () => {
    const atCap = diagnose([agentStep('support', '', calls, { stopReason: 'max_steps' })], '', {
      context: {
        chain: agentChain({ maxSteps: '${params.support_steps}' }),
        scope: { params: { support_steps: 10 }, caps: { maxSteps: 10 } },
      },
    });
    assert.equal(atCap.level, 'structure');
    const fixed = diagnose([agentStep('support', '', calls, { stopReason: 'max_steps' })], '', {
      context: { chain: agentChain({ maxSteps: 2 }) },
    });
    assert.equal(fixed.level, 'structure');
  });

  it('a loop that repeats the same call is prompt-level, and a cap error is not a tool error', () => {
    const looping = [
      toolCall('get_order', { id: 'O1' }, ok(order), 1),
      toolCall('get_order', { id: 'O1' }, ok(order), 2),
      toolCall('get_order', { id: 'O1' }, { error: { kind: 'cap', message: 'tool-call cap 2 reached' } }, 3),
    ];
    const v = diagnose([agentStep('support', '', looping, { stopReason: 'tool_cap' })], '');
    assert.equal(v.label, 'loop_limit');
    assert.equal(v.level, 'prompt');
    assert.equal(v.pattern, 'loop-repeats:tool_cap');
  });
});

describe('agent rule: no final answer', () => {
  it('a loop that ended without an answer blames the agent prompt', () => {
    const v = diagnose([agentStep('support', '', [toolCall('get_order', { id: 'O1' }, ok(order))])], '');
    assert.equal(v.label, 'no_final_answer');
    assert.equal(v.level, 'prompt');
    assert.equal(v.pattern, 'no-final-answer:final');
  });

  it('an error stop is a missing final answer too', () => {
    const v = diagnose([agentStep('support', null, [], { tools: TOOLS, stopReason: 'error' })], null);
    assert.equal(v.pattern, 'no-final-answer:error');
  });
});

describe('agent rule: wrong or absent tool use', () => {
  const withActions = (actions: unknown) =>
    qaCase('c1', 'Cancel order O1.', 'cancelled', { expected_actions: actions });

  it('an expected tool that was never called is absent tool use (prompt when the tool was available)', () => {
    const v = diagnose(
      [
        agentStep('support', 'Your order is pending.', [toolCall('get_order', { id: 'O1' }, ok(order))], {
          tools: TOOLS,
        }),
      ],
      'Your order is pending.',
      { testCase: withActions(['get_order', { name: 'cancel_order', kwargs: { id: 'O1' } }]) },
    );
    assert.equal(v.label, 'tool_use');
    assert.equal(v.level, 'prompt');
    assert.equal(v.confidence, 'high');
    assert.equal(v.pattern, 'tool-never-called:cancel_order');
    assert.match(v.evidence.join('\n'), /called: get_order/);
  });

  it('a needed tool outside the subset is param-level when the subset is a tunable param, else structural', () => {
    const steps = [
      agentStep('support', 'pending', [toolCall('get_order', { id: 'O1' }, ok(order))], { tools: ['get_order'] }),
    ];
    const testCase = withActions(['cancel_order']);
    const param = diagnose(steps, 'pending', {
      testCase,
      context: {
        chain: agentChain({ tools: '${params.support_tools}' }),
        scope: { params: { support_tools: ['get_order'] } },
      },
    });
    assert.equal(param.level, 'param');
    assert.equal(diagnose(steps, 'pending', { testCase }).level, 'structure');
  });

  it('a call whose arguments differ from the expected ones is wrong tool use, naming the key', () => {
    const v = diagnose(
      [
        agentStep('support', 'Done.', [
          toolCall('cancel_order', { id: 'O2', reason: 'x' }, ok({ status: 'cancelled' })),
        ]),
      ],
      'Done.',
      { testCase: withActions([{ name: 'cancel_order', kwargs: { id: 'O1' } }]) },
    );
    assert.equal(v.pattern, 'tool-wrong-args:cancel_order');
    assert.match(v.evidence.join('\n'), /cancel_order\.id: expected O1, closest call had O2/);
  });

  it('near miss: matching arguments (numbers as strings too) pass the action check', () => {
    const v = diagnose(
      [agentStep('support', 'Done.', [toolCall('cancel_order', { id: 7 }, ok({ status: 'cancelled' }))])],
      'Done.',
      {
        testCase: qaCase('c1', 'q', 'refunded', {
          expected_actions: [{ tool: 'cancel_order', arguments: { id: '7' } }],
        }),
      },
    );
    assert.notEqual(v.rule, 'agent-wrong-args');
    assert.notEqual(v.rule, 'agent-absent-tool');
  });

  it('scorer feedback naming a called tool is medium-confidence wrong use; an uncalled one is absent use', () => {
    const steps = [agentStep('support', 'Done.', [toolCall('get_order', { id: 'O1' }, ok(order))], { tools: TOOLS })];
    const wrong = diagnose(steps, 'Done.', {
      feedback: 'get_order was called for the wrong order',
      testCase: qaCase('c1', 'q', 'x'),
    });
    assert.equal(wrong.label, 'tool_use');
    assert.equal(wrong.confidence, 'medium');
    assert.equal(wrong.pattern, 'tool-wrong-args:get_order');
    const absent = diagnose(steps, 'Done.', {
      feedback: 'database differs: cancel_order never ran',
      testCase: qaCase('c1', 'q', 'x'),
    });
    assert.equal(absent.pattern, 'tool-never-called:cancel_order');
    assert.equal(absent.rule, 'agent-feedback-tool');
  });

  it('an agent that called none of its tools is medium-confidence tool_use', () => {
    const v = diagnose([agentStep('support', 'It is 40.', [], { tools: TOOLS })], 'It is 40.');
    assert.equal(v.pattern, 'no-tool-calls');
    assert.equal(v.confidence, 'medium');
  });

  it('a malformed expected_actions list is an error naming the case', () => {
    assert.throws(
      () => expectedActions(qaCase('c9', 'q', 'x', { expected_actions: [{ kwargs: {} }] })),
      (e: unknown) => e instanceof FapoError && /case c9: metadata\.expected_actions\[0\]/.test(e.message),
    );
  });
});

describe('agent rule: answer contradicts a tool result', () => {
  it('the expected answer was in a tool result but not in the final answer', () => {
    const v = diagnose(
      [agentStep('support', 'The total is 40.', [toolCall('get_order', { id: 'O1' }, ok(order))], { tools: TOOLS })],
      'The total is 40.',
    );
    assert.equal(v.label, 'tool_contradiction');
    assert.equal(v.level, 'prompt');
    assert.equal(v.pattern, 'ignores-tool-result:get_order');
  });

  it('near miss: a chain without agent steps keeps the old rules', () => {
    const v = attributeTrial(question, result('c1', [llm('answer', 'forty')], 'forty', 0), {
      chain: {
        name: 'x',
        steps: [{ name: 'answer', kind: 'llm', prompt: 'answer', references: [] }],
        customFlow: false,
      },
    });
    assert.equal(v.rule, 'final-step-fallback');
  });
});

describe('agent attributions downstream', () => {
  it('clusters get an agent-specific suggested fix', () => {
    assert.match(
      suggestFix({ label: 'tool_use', step: 'support', level: 'prompt', pattern: 'tool-never-called:cancel_order' }),
      /when to call cancel_order/,
    );
    assert.match(
      suggestFix({ label: 'loop_limit', step: 'support', level: 'param', pattern: 'loop-limit:max_steps' }),
      /maxSteps/,
    );
  });

  it('the analyst sees the compact tool trace: turn, tool, args, result or error, and truncation', () => {
    const calls = Array.from({ length: 14 }, (_, i) =>
      i === 1
        ? toolCall('cancel_order', { id: 'O1' }, { error: { kind: 'thrown', message: 'order is not pending' } }, 2)
        : toolCall('get_order', { id: `O${i}` }, ok({ ...order, note: 'n'.repeat(400) }), i + 1),
    );
    const steps = [agentStep('support', 'Sorry.', calls, { tools: TOOLS })];
    const testCase = qaCase('c1', 'Cancel O1', 'cancelled');
    const r = result('c1', steps, 'Sorry.', 0);
    const attribution = attributeCaseByRules(testCase, [r], ctx)!;
    const [, user] = buildAnalystMessages([attribution], {
      chain: ctx.chain,
      prompts: { support: 'System: help' },
      casesById: new Map([['c1', testCase]]),
      resultsByCase: new Map([['c1', [r]]]),
    });
    const text = user!.content as string;
    assert.match(text, /tool trace:/);
    assert.match(text, /stop: final; 15 turn\(s\), 14 tool call\(s\); tools: get_order, cancel_order, get_user/);
    assert.match(text, /t1 get_order\(\{"id":"O0"\}\) → \{"id":"O1","status":"pending"/);
    assert.match(text, /t2 cancel_order\(\{"id":"O1"\}\) ✗ thrown: order is not pending/);
    assert.match(text, /… \[\+\d+ chars\]/);
    assert.match(text, /\(\+2 more calls: get_order, get_order\)/);
  });
});
