import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerSimBehaviour, type SimCall, type SimToolTurn } from '../../../src/models/sim.ts';
import type { StepRecord } from '../../../src/chain/types.ts';
import { FapoError } from '../../../src/util/errors.ts';
import { CALC_TOOLS, agentWorkspace, evaluateBaseline } from './helpers.ts';

/** The scripted agent of this file: each test sets what it does on each turn. */
let script: (call: SimCall) => string | SimToolTurn = () => 'no script';
registerSimBehaviour('agent-test', (call) => script(call));

const toolMessages = (call: SimCall) => call.messages.filter((m) => m.role === 'tool');
const agentRecord = (steps: StepRecord[]) => {
  const step = steps.find((s) => s.kind === 'agent');
  assert.ok(step?.agent, 'the agent step has a trace');
  return { step, trace: step.agent };
};

describe('agent steps', () => {
  it('runs a multi-turn tool loop, records every turn and call, and feeds results back to the model', async () => {
    const seen: SimCall[] = [];
    script = (call) => {
      seen.push(call);
      const results = toolMessages(call);
      if (results.length === 0) return { toolCalls: [{ name: 'add', args: { a: 2, b: 3 } }] };
      return `The answer is ${JSON.parse(results[0]!.content).sum}.`;
    };
    const dir = agentWorkspace({ tools: ['add'], files: { 'tools/calc.ts': CALC_TOOLS } });
    const [result] = await evaluateBaseline(dir);
    assert.equal(result!.status, 'ok');
    assert.equal(result!.score, 1);
    const { step, trace } = agentRecord(result!.steps);
    assert.equal(step.output, 'The answer is 5.');
    assert.equal(trace.stopReason, 'final');
    assert.deepEqual(trace.tools, ['add']);
    assert.equal(trace.turns.length, 2);
    assert.deepEqual(
      trace.toolCalls.map((c) => ({ id: c.id, tool: c.tool, args: c.args, result: c.result, source: c.source })),
      [{ id: 'call_0_0', tool: 'add', args: { a: 2, b: 3 }, result: { sum: 5 }, source: 'workspace' }],
    );
    // the model saw only the chosen tool, then its own call and the result
    assert.deepEqual(
      seen[0]!.tools!.map((t) => t.name),
      ['add'],
    );
    assert.equal(seen[0]!.tools![0]!.description, 'Add two numbers.');
    assert.deepEqual(seen[0]!.tools![0]!.inputSchema.required, ['a', 'b']);
    assert.deepEqual(toolMessages(seen[1]!)[0], {
      role: 'tool',
      content: '{"sum":5}',
      toolCallId: 'call_0_0',
      toolName: 'add',
    });
  });

  it('records a throwing tool, a hung tool, an unknown tool and bad arguments as errors the model is told about', async () => {
    script = (call) => {
      const results = toolMessages(call);
      if (results.length === 0)
        return {
          toolCalls: [
            { name: 'boom', args: {} },
            { name: 'hang', args: {} },
            { name: 'nope', args: {} },
            { name: 'add', args: { a: 'two' } },
          ],
        };
      return `saw: ${results.map((r) => r.content).join(' | ')}`;
    };
    const dir = agentWorkspace({ agentOptions: 'toolTimeoutMs: 150', files: { 'tools/calc.ts': CALC_TOOLS } });
    const started = performance.now();
    const [result] = await evaluateBaseline(dir);
    assert.ok(performance.now() - started < 5000, 'the hung tool did not hold the case');
    assert.equal(result!.status, 'ok', 'tool failures are not case failures');
    const { step, trace } = agentRecord(result!.steps);
    assert.deepEqual(
      trace.toolCalls.map((c) => c.error?.kind),
      ['thrown', 'timeout', 'not_found', 'invalid_args'],
    );
    assert.match(trace.toolCalls[0]!.error!.message, /the boom tool exploded/);
    assert.ok(trace.toolCalls[1]!.latencyMs >= 140, 'the timeout waited for toolTimeoutMs');
    assert.match(trace.toolCalls[3]!.error!.message, /a: /);
    assert.match(String(step.output), /Error \(thrown\): the boom tool exploded/);
    assert.match(String(step.output), /Error \(timeout\): no result within 150 ms/);
    assert.equal(step.error, undefined);
  });

  it('enforces maxToolCallsPerStep: calls past the cap are not run, and the next turn may not call tools', async () => {
    const choices: (string | undefined)[] = [];
    script = (call) => {
      choices.push(call.toolChoice);
      if (call.toolChoice === 'none') return 'final, without tools';
      return {
        toolCalls: [
          { name: 'add', args: { a: 1, b: 1 } },
          { name: 'add', args: { a: 2, b: 2 } },
        ],
      };
    };
    const dir = agentWorkspace({
      agentOptions: 'maxToolCallsPerStep: 3',
      files: { 'tools/calc.ts': CALC_TOOLS, 'env/state.json': '{ "adds": 0 }' },
      manifest: 'tools:\n  environment:\n    reset: env/state.json',
      scorer: `import { defineScorer } from 'fapo';\nexport default defineScorer(({ finalState }) => ((finalState as { adds: number }).adds === 3 ? 1 : 0));\n`,
    });
    const [result] = await evaluateBaseline(dir);
    const { step, trace } = agentRecord(result!.steps);
    assert.deepEqual(choices, ['auto', 'auto', 'none']);
    assert.equal(trace.stopReason, 'tool_cap');
    assert.deepEqual(
      trace.toolCalls.map((c) => c.error?.kind ?? 'ok'),
      ['ok', 'ok', 'ok', 'cap'],
    );
    assert.equal(step.output, 'final, without tools');
    assert.ok(step.diagnostics.some((d) => /tool-call cap hit: 3 calls/.test(d)));
    assert.equal(result!.score, 1, 'the scorer saw the final state: exactly 3 adds ran');
  });

  it('stops at maxSteps with no final answer and says so', async () => {
    script = () => ({ toolCalls: [{ name: 'add', args: { a: 1, b: 1 } }] });
    const dir = agentWorkspace({ agentOptions: 'maxSteps: 3', files: { 'tools/calc.ts': CALC_TOOLS } });
    const [result] = await evaluateBaseline(dir);
    const { step, trace } = agentRecord(result!.steps);
    assert.equal(trace.stopReason, 'max_steps');
    assert.equal(trace.turns.length, 3);
    assert.equal(trace.toolCalls.filter((c) => !c.error).length, 2, 'the last turn’s calls were not run');
    assert.equal(trace.toolCalls.at(-1)!.error!.kind, 'cap');
    assert.equal(step.output, '');
    assert.ok(step.diagnostics.some((d) => /no final answer/.test(d)));
    assert.equal(result!.score, 0);
  });

  it('gives each case and trial a fresh copy of the tool environment', async () => {
    script = (call) => (toolMessages(call).length ? 'added' : { toolCalls: [{ name: 'add', args: { a: 1, b: 2 } }] });
    const dir = agentWorkspace({
      files: { 'tools/calc.ts': CALC_TOOLS, 'env/state.json': '{ "adds": 0 }' },
      manifest: 'tools:\n  environment:\n    reset: env/state.json',
      cases: ['a', 'b', 'c'].map((id) => ({ id, input: { question: id }, expected: 1 })),
      scorer: `import { defineScorer } from 'fapo';\nexport default defineScorer(({ finalState }) => ((finalState as { adds: number }).adds === 1 ? 1 : 0));\n`,
    });
    const results = await evaluateBaseline(dir, { sandbox: true });
    assert.deepEqual(
      results.map((r) => r.score),
      [1, 1, 1],
      'each sandboxed case started from adds = 0 and its final state came back',
    );
  });

  it('runs workspace tools inside the sandbox: a tool reading the data folder or the network gets an error', async () => {
    script = (call) =>
      toolMessages(call).length
        ? toolMessages(call)
            .map((m) => m.content)
            .join(' | ')
        : {
            toolCalls: [
              { name: 'peek', args: {} },
              { name: 'fetch_page', args: {} },
            ],
          };
    const hostile = `import { readFileSync } from 'node:fs';
import { defineTool, z } from 'fapo';
const peek = defineTool({ name: 'peek', description: 'Reads the answers.', input: z.object({}),
  run: () => readFileSync(new URL('../data/val.jsonl', import.meta.url), 'utf8') });
const fetchPage = defineTool({ name: 'fetch_page', description: 'Fetches a page.', input: z.object({}),
  run: async () => (await fetch('http://127.0.0.1:9/')).status });
export default [peek, fetchPage];
`;
    const dir = agentWorkspace({ files: { 'tools/hostile.ts': hostile } });
    const [result] = await evaluateBaseline(dir, { sandbox: true });
    assert.equal(result!.status, 'ok');
    const { step, trace } = agentRecord(result!.steps);
    assert.deepEqual(
      trace.toolCalls.map((c) => c.error?.kind),
      ['thrown', 'thrown'],
    );
    assert.doesNotMatch(String(step.output), /"expected"/, 'no answer left the data folder');
  });

  it('resolves globs, resource search tools and per-variant tool descriptions', async () => {
    let offered: SimCall['tools'];
    script = (call) => {
      offered = call.tools;
      if (toolMessages(call).length) return `found ${JSON.parse(toolMessages(call)[0]!.content)[0].title}`;
      return { toolCalls: [{ name: 'search_docs', args: { query: 'kettle', k: 1 } }] };
    };
    const dir = agentWorkspace({
      tools: ['a*', 'search:*'],
      cases: [{ id: 'c1', input: { question: 'kettle?' }, expected: 'Kettles' }],
      manifest: 'resources:\n  docs:\n    type: bm25\n    path: corpus.jsonl',
      files: {
        'tools/calc.ts': CALC_TOOLS,
        'corpus.jsonl': `${JSON.stringify({ id: 'k', title: 'Kettles', text: 'A kettle boils water.' })}\n${JSON.stringify({ id: 'l', title: 'Lamps', text: 'A lamp gives light.' })}\n${JSON.stringify({ id: 'm', title: 'Mugs', text: 'A mug holds tea.' })}\n`,
        'prompts/tools/add.md': 'Adds a and b; use it for every sum.\n',
      },
    });
    const [result] = await evaluateBaseline(dir);
    assert.deepEqual(
      offered!.map((t) => [t.name, t.description]),
      [
        ['add', 'Adds a and b; use it for every sum.'],
        ['search_docs', 'Search the "docs" collection; returns the best-matching passages (id, title, text).'],
      ],
    );
    const { trace } = agentRecord(result!.steps);
    assert.equal(trace.toolCalls[0]!.tool, 'search:docs');
    assert.equal(trace.toolCalls[0]!.source, 'resource');
    assert.equal(result!.score, 1);
  });

  it('stops the run with a clear error when a tool pattern matches nothing', async () => {
    script = () => 'unused';
    const dir = agentWorkspace({ tools: ['shop.*'], files: { 'tools/calc.ts': CALC_TOOLS } });
    await assert.rejects(evaluateBaseline(dir), (err: unknown) => {
      assert.ok(err instanceof FapoError);
      assert.match(err.message, /agent step "act": tool "shop\.\*" matches no tool/);
      assert.match(err.hint ?? '', /Available: add, boom, hang/);
      return true;
    });
  });

  it('refuses a tool module without a valid default export, naming the file', async () => {
    script = () => 'unused';
    const dir = agentWorkspace({ files: { 'tools/bad.ts': `export default { name: 'x y' };\n` } });
    await assert.rejects(evaluateBaseline(dir), /tools\/bad\.ts: the default export must be defineTool/);
  });
});
