/**
 * Agent steps through real providers and real tool servers: the openai-compatible provider against a
 * fake OpenAI server returning tool_calls over several turns, and an MCP server started over stdio.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeAnthropic } from '../../fixtures/fake-anthropic.ts';
import { startFakeOpenAI, type FakeRequest } from '../../fixtures/fake-openai.ts';
import { registerSimBehaviour, type SimCall, type SimToolTurn } from '../../../src/models/sim.ts';
import { CALC_TOOLS, agentWorkspace, evaluateBaseline } from './helpers.ts';

const MCP_SERVER = new URL('../../fixtures/mcp-calc-server.mjs', import.meta.url).pathname;

/** Two additions, then the answer: the reply depends only on the conversation so far. */
function calculator(request: FakeRequest) {
  const tools = (request.body.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool');
  if (tools.length === 0) return { toolCall: { name: 'add', args: { a: 2, b: 3 } } };
  if (tools.length === 1) return { toolCall: { name: 'add', args: { a: JSON.parse(tools[0]!.content).sum, b: 10 } } };
  return { text: `The total is ${JSON.parse(tools[1]!.content).sum}.` };
}

describe('agent steps with the openai-compatible provider', () => {
  it('runs tool_calls over several turns, sends tools and results in the wire format, and caches each turn', async () => {
    const server = await startFakeOpenAI({ respond: calculator });
    after(() => server.close());
    const dir = agentWorkspace({
      model: `openai-compatible:m@${server.url}`,
      tools: ['add'],
      files: { 'tools/calc.ts': CALC_TOOLS },
      cases: [{ id: 'c1', input: { question: 'what is 2 + 3 + 10?' }, expected: '15' }],
    });
    const [result] = await evaluateBaseline(dir);
    assert.equal(result!.status, 'ok');
    assert.equal(result!.score, 1);
    assert.equal(server.calls, 3);
    const trace = result!.steps[0]!.agent!;
    assert.deepEqual(
      trace.toolCalls.map((c) => [c.id, c.args, c.result]),
      [
        ['call_0_0', { a: 2, b: 3 }, { sum: 5 }],
        ['call_1_0', { a: 5, b: 10 }, { sum: 15 }],
      ],
    );
    assert.deepEqual(
      trace.turns.map((t) => t.tokens !== undefined && t.cacheHit === false),
      [true, true, true],
    );
    const first = server.requests[0]!.body;
    assert.equal(first.tools[0].function.name, 'add');
    assert.deepEqual(first.tools[0].function.parameters.required, ['a', 'b']);
    const third = server.requests[2]!.body.messages as any[];
    assert.deepEqual(
      third.filter((m) => m.role === 'assistant').map((m) => m.tool_calls[0].id),
      ['call_0_0', 'call_1_0'],
      'provider ids are renumbered, so the history is the same request every time',
    );
    assert.deepEqual(
      third.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content]),
      [
        ['call_0_0', '{"sum":5}'],
        ['call_1_0', '{"sum":15}'],
      ],
    );
    // Another run of the same case (train split, same input): every turn comes from the cache.
    const again = await evaluateBaseline(dir);
    assert.equal(again[0]!.score, 1);
    assert.equal(server.calls, 3, 'no turn was paid twice');
  });
});

describe('agent steps with the anthropic provider', () => {
  it('sends tools, tool_use and tool_result blocks, and loops until the text answer', async () => {
    const server = await startFakeAnthropic({
      respond: (request) => {
        const results = (request.body.messages as { content: unknown }[]).flatMap((m) =>
          Array.isArray(m.content) ? m.content.filter((b: { type: string }) => b.type === 'tool_result') : [],
        );
        if (results.length === 0) return { toolCall: { name: 'add', args: { a: 40, b: 2 } } };
        return { text: `It is ${JSON.parse(results[0].content[0]?.text ?? results[0].content).sum}.` };
      },
    });
    after(() => server.close());
    Object.assign(process.env, { ANTHROPIC_API_KEY: 'sk-ant-test-0000000000', ANTHROPIC_BASE_URL: server.url });
    after(() => {
      delete process.env.ANTHROPIC_API_KEY;
      delete process.env.ANTHROPIC_BASE_URL;
    });
    const dir = agentWorkspace({
      model: 'anthropic:claude-haiku-4-5',
      tools: ['add'],
      files: { 'tools/calc.ts': CALC_TOOLS },
      cases: [{ id: 'c1', input: { question: '40 + 2?' }, expected: 'It is 42.' }],
    });
    const [result] = await evaluateBaseline(dir);
    assert.equal(result!.status, 'ok', result!.error);
    assert.equal(result!.score, 1);
    assert.equal(server.calls, 2);
    const second = server.requests[1]!.body;
    assert.equal(second.tools[0].name, 'add');
    assert.deepEqual(second.tools[0].input_schema.required, ['a', 'b']);
    const blocks = (second.messages as { role: string; content: { type: string }[] }[]).flatMap((m) =>
      m.content.map((b) => `${m.role}:${b.type}`),
    );
    assert.deepEqual(blocks, ['user:text', 'assistant:tool_use', 'user:tool_result']);
  });
});

describe('agent steps with an MCP server over stdio', () => {
  let script: (call: SimCall) => string | SimToolTurn = () => '';
  registerSimBehaviour('mcp-test', (call) => script(call));

  it('starts the server, calls its tools as <server>.<tool>, records MCP errors, and stops it with the run', async () => {
    let pid = 0;
    script = (call) => {
      const results = call.messages.filter((m) => m.role === 'tool');
      if (results.length === 0)
        return {
          toolCalls: [
            { name: 'calc_add', args: { a: 20, b: 22 } },
            { name: 'calc_fail', args: {} },
            { name: 'calc_pid', args: {} },
            { name: 'calc_env', args: {} },
          ],
        };
      pid = Number(results[2]!.content);
      return `The sum is ${results[0]!.content}.`;
    };
    const dir = agentWorkspace({
      model: 'sim:mcp-test',
      tools: ['calc.*'],
      cases: [{ id: 'c1', input: { question: '20 + 22?' }, expected: '42' }],
      manifest: `tools:\n  mcp:\n    calc:\n      command: ${process.execPath}\n      args: [${JSON.stringify(MCP_SERVER)}]\n      env: { CALC_TOKEN: plain }`,
    });
    process.env.OPENAI_API_KEY = 'sk-test-never-leaves-fapo-0000';
    after(() => delete process.env.OPENAI_API_KEY);
    const [result] = await evaluateBaseline(dir);
    assert.equal(result!.status, 'ok');
    assert.equal(result!.score, 1);
    const trace = result!.steps[0]!.agent!;
    assert.deepEqual(
      trace.tools,
      ['calc.add', 'calc.fail', 'calc.pid', 'calc.env', 'calc.inc', 'calc.count'],
      'in the order the server lists them',
    );
    assert.deepEqual(
      trace.toolCalls.map((c) => [c.tool, c.source, c.error?.kind ?? 'ok']),
      [
        ['calc.add', 'mcp', 'ok'],
        ['calc.fail', 'mcp', 'thrown'],
        ['calc.pid', 'mcp', 'ok'],
        ['calc.env', 'mcp', 'ok'],
      ],
    );
    assert.match(trace.toolCalls[1]!.error!.message, /calc is out of order/);
    assert.deepEqual(JSON.parse(String(trace.toolCalls[3]!.result)), { openai: null, passed: 'plain' });
    assert.ok(pid > 0);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the MCP server was stopped when the environment closed');
  });

  it('starts a fresh server per case with scope: case, and gives the scorer its state tool’s answer', async () => {
    script = (call) =>
      call.messages.some((m) => m.role === 'tool')
        ? 'counted'
        : {
            toolCalls: [
              { name: 'calc_inc', args: {} },
              { name: 'calc_inc', args: {} },
            ],
          };
    const server = `      command: ${process.execPath}\n      args: [${JSON.stringify(MCP_SERVER)}]\n      stateTool: count`;
    const workspace = (scope: string) =>
      agentWorkspace({
        model: 'sim:mcp-test',
        tools: ['calc.inc'],
        cases: ['a', 'b', 'c'].map((id) => ({ id, input: { question: id }, expected: 2 })),
        manifest: `tools:\n  mcp:\n    calc:\n${server}\n      scope: ${scope}`,
        scorer: `import { defineScorer } from 'fapo';\nexport default defineScorer(({ case: c, serverStates }) => ({ score: (serverStates as { calc: { count: number } }).calc.count === c.expected ? 1 : 0, feedback: JSON.stringify(serverStates) }));\n`,
      });
    const fresh = await evaluateBaseline(workspace('case'));
    assert.deepEqual(
      fresh.map((r) => r.score),
      [1, 1, 1],
      'every case counted from 0 in its own server',
    );
    const shared = await evaluateBaseline(workspace('run'));
    const counts = shared.map((r) => JSON.parse(r.feedback!).calc.count as number);
    assert.equal(Math.max(...counts), 6, 'one server for the run: all six increments reached it');
  });

  it('names the server and its stderr when it does not start', async () => {
    script = () => 'unused';
    const dir = agentWorkspace({
      model: 'sim:mcp-test',
      tools: ['broken.*'],
      manifest: `tools:\n  mcp:\n    broken:\n      command: ${process.execPath}\n      args: ["-e", "console.error('missing config file'); process.exit(3)"]`,
    });
    await assert.rejects(evaluateBaseline(dir), /MCP server "broken" .*did not start[\s\S]*missing config file/);
  });
});
