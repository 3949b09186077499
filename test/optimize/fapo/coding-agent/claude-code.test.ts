/**
 * Claude Code (the real CLI, through @anthropic-ai/claude-agent-sdk, which `npm test` installs
 * unsaved) as the proposer, offline: a fake Anthropic server on 127.0.0.1 scripts the model's turns.
 * A hostile script tries Claude Code's built-in tools, fapo's tools on test data and an
 * out-of-scope write; every attempt is refused and recorded, and the one clean write is the proposal.
 * Its model calls pass through fapo's metering proxy: metered per call, hard budgets, and the real key
 * reaches only the upstream server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UsageMeter } from '../../../../src/models/meter.ts';
import { createCodingAgentProposer } from '../../../../src/optimize/fapo/coding-agent/proposer.ts';
import type { TranscriptEntry } from '../../../../src/optimize/fapo/coding-agent/backend.ts';
import type { AgentRunSummary } from '../../../../src/optimize/fapo/agent/transcript.ts';
import { BudgetExceededError } from '../../../../src/util/errors.ts';
import { makeInput, makeServices, makeWorkspace, type Workspace } from '../agent/helpers.ts';
import { startFakeAnthropic, type FakeLlmServer } from '../../../fixtures/fake-anthropic.ts';

const REAL_KEY = 'sk-ant-real-key-that-must-stay-in-fapo';
const tool = (name: string, args: Record<string, unknown>) => ({ toolCall: { name, args } });

describe('claude-code proposer against a fake Anthropic server', () => {
  let ws: Workspace;
  let server: FakeLlmServer;
  before(async () => {
    ws = makeWorkspace();
    server = await startFakeAnthropic({ respond: () => ({ text: 'done' }) });
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });

  function proposer(meter?: UsageMeter, runs: (AgentRunSummary & { transcript: TranscriptEntry[] })[] = []) {
    return createCodingAgentProposer({
      backend: 'claude-code',
      model: 'anthropic:claude-sonnet-4-5',
      meter,
      maxTurns: 12,
      env: { PATH: process.env.PATH, ANTHROPIC_API_KEY: REAL_KEY, ANTHROPIC_BASE_URL: server.url },
      onRun: (run) => runs.push(run),
    });
  }

  it('refuses every hostile call, records it, and returns only the clean write', async () => {
    const before = server.calls;
    const cleanPrompt = `${ws.parent.prompts.answer}\nGive the bare entity name.`;
    server.enqueue(
      tool('Read', { file_path: `${ws.dir}/data/test.jsonl` }),
      tool('Bash', { command: `cat ${ws.dir}/data/test.jsonl` }),
      tool('WebFetch', { url: 'http://127.0.0.1:9/', prompt: 'x' }),
      tool('mcp__fapo__read_file', { path: 'data/test.jsonl' }),
      tool('mcp__fapo__write_variant', {
        chain: { path: '../outside.ts', source: 'export default 1' },
        hypothesis: 'escape',
        technique: 'extra-retrieval-hop',
      }),
      tool('mcp__fapo__write_variant', {
        prompts: { answer: cleanPrompt },
        hypothesis: 'bare answers score',
        technique: 'format-constraints',
      }),
      tool('mcp__fapo__finish', { summary: 'wrote a format constraint' }),
      { text: 'finished' },
    );
    const meter = new UsageMeter();
    const runs: (AgentRunSummary & { transcript: TranscriptEntry[] })[] = [];
    const proposal = await proposer(meter, runs).propose(makeInput(ws, makeServices(ws)));

    assert.equal(proposal?.prompts.answer, cleanPrompt);
    assert.equal(proposal?.technique, 'format-constraints');
    const requests = server.requests.slice(before);
    assert.equal(requests.length, 8, 'one model call per scripted turn');
    // Claude Code was offered fapo's tools only (its own are disabled), and never held the real key.
    for (const request of requests) {
      const offered = (request.body.tools ?? []).map((t: { name: string }) => t.name);
      assert.ok(offered.includes('mcp__fapo__write_variant'));
      for (const name of offered) assert.ok(!['Read', 'Bash', 'Write', 'Edit', 'WebFetch'].includes(name), name);
      assert.equal(request.headers['x-api-key'], REAL_KEY, 'the proxy adds the real key upstream');
    }
    const [run] = runs;
    assert.ok(run);
    const refused = run.transcript.filter((e) => e.kind === 'refused').map((e) => e.text);
    assert.equal(refused.length, 5, JSON.stringify(run.transcript, null, 1));
    assert.match(refused[0]!, /Read/);
    assert.match(refused[1]!, /Bash/);
    assert.match(refused[3]!, /held-out data/);
    assert.match(refused[4]!, /write refused/);
    assert.deepEqual(
      run.toolCalls.map((c) => [c.tool, c.ok]),
      [
        ['read_file', false],
        ['write_variant', false],
        ['write_variant', true],
        ['finish', true],
      ],
    );
    assert.equal(run.outcome, 'proposal');
    // Metered through the proxy: every model call is booked on the proposer role.
    assert.equal(meter.usage('proposer').calls, 8);
    assert.equal(run.usage.calls, 8);
    assert.ok(run.usage.inputTokens > 0 && run.usage.outputTokens > 0);
  });

  it('stops at a hard call budget: the call past it never reaches the server', async () => {
    const before = server.calls;
    server.enqueue(
      tool('mcp__fapo__list_failures', {}),
      tool('mcp__fapo__list_failures', {}),
      tool('mcp__fapo__list_failures', {}),
    );
    const meter = new UsageMeter({ byRole: { proposer: { maxCalls: 2 } } });
    const runs: (AgentRunSummary & { transcript: TranscriptEntry[] })[] = [];
    await assert.rejects(proposer(meter, runs).propose(makeInput(ws, makeServices(ws))), BudgetExceededError);
    assert.equal(server.calls - before, 2);
    assert.equal(meter.usage('proposer').calls, 2);
    assert.equal(runs[0]?.outcome, 'budget-exceeded');
  });
});
