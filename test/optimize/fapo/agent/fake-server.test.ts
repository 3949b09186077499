/** The agent proposer end to end over HTTP: real tool_calls from the fake OpenAI-compatible server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UsageMeter } from '../../../../src/models/meter.ts';
import { createAgentProposer } from '../../../../src/optimize/fapo/agent/index.ts';
import { startFakeOpenAI, type FakeLlmServer } from '../../../fixtures/fake-openai.ts';
import { makeInput, makeServices, makeWorkspace, type Workspace } from './helpers.ts';

describe('agent proposer through the fake OpenAI-compatible server', () => {
  let ws: Workspace;
  let server: FakeLlmServer;
  before(async () => {
    ws = makeWorkspace();
    server = await startFakeOpenAI();
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });

  it('follows tool_calls to a proposal, meters every step and prices it', async () => {
    const failing = ws.train[1]!;
    const newAnswer = `${ws.parent.prompts.answer}\nAnswer with the name only.`;
    server.enqueue(
      { toolCall: { name: 'read_file', args: { path: 'prompts/answer.md' } }, usage: { input: 900, output: 20 } },
      { toolCall: { name: 'view_case', args: { id: failing.id } }, usage: { input: 1000, output: 15 } },
      { toolCall: { name: 'view_case', args: { id: ws.val[0]!.id } }, usage: { input: 1100, output: 15 } },
      {
        toolCall: {
          name: 'write_variant',
          args: {
            prompts: { answer: newAnswer },
            hypothesis: 'Brevity fixes exact match.',
            technique: 'format-constraints',
          },
        },
        usage: { input: 1200, output: 60 },
      },
      { text: 'Proposed a brevity constraint.', usage: { input: 1300, output: 10 } },
    );
    const meter = new UsageMeter({ byRole: { proposer: { maxCalls: 20 } } });
    const proposer = createAgentProposer({
      model: `openai-compatible:fake-agent@${server.url}`,
      modelOptions: { env: {} },
      meter,
      prices: { 'openai-compatible:fake-agent': { input: 1, output: 2 } },
      sampling: { temperature: 0, maxTokens: 800 },
      maxRetries: 0,
    });
    const proposal = await proposer.propose(makeInput(ws, makeServices(ws)));

    assert.ok(proposal);
    assert.equal(proposal.prompts.answer, newAnswer);
    assert.equal(proposal.technique, 'format-constraints');
    assert.equal(server.calls, 5);

    // The wire: tools declared, tool results sent back as `tool` messages.
    const first = server.requests[0]!.body;
    assert.equal(first.model, 'fake-agent');
    assert.equal(first.temperature, 0);
    assert.ok(first.tools.some((t: any) => t.function.name === 'write_variant'));
    const toolMessages = server.requests[4]!.body.messages.filter((m: any) => m.role === 'tool');
    assert.equal(toolMessages.length, 4);
    assert.match(toolMessages[0].content, /Answer the question using the notes/);
    assert.ok(toolMessages[1].content.includes(String(failing.expected)));
    assert.match(toolMessages[2].content, /not available: only train cases can be viewed/);
    assert.ok(
      !JSON.stringify(server.requests.map((r) => r.body)).includes(String(ws.val[0]!.input.question)),
      'no validation input on the wire',
    );

    // Accounting: the meter and the run summary agree with what the server reported.
    const usage = meter.usage('proposer');
    assert.equal(usage.calls, 5);
    assert.equal(usage.inputTokens, 900 + 1000 + 1100 + 1200 + 1300);
    assert.equal(usage.outputTokens, 20 + 15 + 15 + 60 + 10);
    assert.ok(Math.abs(usage.costUsd - (5500 * 1 + 120 * 2) / 1e6) < 1e-12);
    const run = proposer.lastRun!;
    assert.equal(run.usage.inputTokens, usage.inputTokens);
    assert.equal(run.usage.costUsd, usage.costUsd);
    assert.equal(run.steps, 5);
    assert.deepEqual(
      run.toolCalls.map((c) => [c.tool, c.ok]),
      [
        ['read_file', true],
        ['view_case', true],
        ['view_case', false],
        ['write_variant', true],
      ],
    );
  });

  it('a provider failure ends the session with the error, counted as a failed proposer call', async () => {
    server.enqueue({ toolCall: { name: 'list_failures', args: {} } }, { status: 500, message: 'upstream exploded' });
    const meter = new UsageMeter();
    const runs: unknown[] = [];
    const proposer = createAgentProposer({
      model: `openai-compatible:fake-agent@${server.url}`,
      modelOptions: { env: {} },
      meter,
      maxRetries: 0,
      onRun: (run) => runs.push(run),
    });
    await assert.rejects(proposer.propose(makeInput(ws, makeServices(ws))), /upstream exploded/);
    assert.equal(meter.usage('proposer').calls, 2);
    assert.equal(meter.usage('proposer').errors, 1);
    assert.equal(proposer.lastRun!.outcome, 'error');
    assert.equal(proposer.lastRun!.usage.failedCalls, 1);
    assert.deepEqual(runs, [proposer.lastRun]);
  });
});
