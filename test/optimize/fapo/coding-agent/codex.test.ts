/**
 * Codex (the real CLI, through @openai/codex-sdk, which `npm test` installs unsaved) as the proposer,
 * offline: a fake OpenAI Responses server on 127.0.0.1 scripts the model's turns. Codex's built-in
 * tools are switched off (a scripted shell call is unsupported), fapo's tools refuse test data and
 * out-of-scope writes, and the one clean write is the proposal. Model calls go through fapo's
 * metering proxy, which alone holds the real key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UsageMeter } from '../../../../src/models/meter.ts';
import type { AgentRunSummary } from '../../../../src/optimize/fapo/agent/transcript.ts';
import type { TranscriptEntry } from '../../../../src/optimize/fapo/coding-agent/backend.ts';
import { createCodingAgentProposer } from '../../../../src/optimize/fapo/coding-agent/proposer.ts';
import { makeInput, makeServices, makeWorkspace, type Workspace } from '../agent/helpers.ts';
import { type FakeResponsesServer, startFakeResponses } from '../../../fixtures/fake-openai-responses.ts';

const REAL_KEY = 'sk-openai-real-key-that-must-stay-in-fapo';
const fapo = (call: string, args: Record<string, unknown>) => ({ call, args, namespace: 'mcp__fapo' });

describe('codex proposer against a fake Responses server', () => {
  let ws: Workspace;
  let server: FakeResponsesServer;
  before(async () => {
    ws = makeWorkspace();
    server = await startFakeResponses();
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });

  it('refuses built-in tools, test data and out-of-scope writes; returns the clean write', async () => {
    const cleanPrompt = `${ws.parent.prompts.answer}\nGive the bare entity name.`;
    server.enqueue(
      { call: 'shell', args: { command: ['cat', `${ws.dir}/data/test.jsonl`] } },
      fapo('read_file', { path: 'data/test.jsonl' }),
      fapo('write_variant', { params: { k: 9 }, hypothesis: 'more passages', technique: 'param-tuning' }),
      fapo('write_variant', {
        prompts: { answer: cleanPrompt },
        hypothesis: 'bare answers score',
        technique: 'format-constraints',
      }),
      fapo('finish', { summary: 'wrote a format constraint' }),
      { text: 'finished' },
    );
    const meter = new UsageMeter();
    const runs: (AgentRunSummary & { transcript: TranscriptEntry[] })[] = [];
    const proposal = await createCodingAgentProposer({
      backend: 'codex',
      model: 'openai:gpt-5-codex',
      meter,
      maxTurns: 12,
      env: { PATH: process.env.PATH, OPENAI_API_KEY: REAL_KEY, OPENAI_BASE_URL: server.url },
      onRun: (run) => runs.push(run),
    }).propose(makeInput(ws, makeServices(ws)));

    assert.equal(proposal?.prompts.answer, cleanPrompt);
    assert.equal(server.requests.length, 6);
    for (const request of server.requests) {
      assert.equal(request.headers.authorization, `Bearer ${REAL_KEY}`);
      const offered = (request.body.tools ?? []).map((t: { name?: string; type: string }) => t.name ?? t.type);
      for (const builtin of ['shell', 'exec_command', 'apply_patch', 'web_search', 'view_image', 'spawn_agent'])
        assert.ok(!offered.includes(builtin), `${builtin} offered: ${offered.join(', ')}`);
      assert.ok(offered.includes('mcp__fapo'));
    }
    const shellOutput = server.requests[1]!.body.input.find(
      (item: { type: string; call_id?: string }) => item.type === 'function_call_output' && item.call_id === 'call_1',
    );
    assert.match(JSON.stringify(shellOutput), /unsupported call: shell/);
    const [run] = runs;
    assert.ok(run);
    const refused = run.transcript.filter((e) => e.kind === 'refused' || /refused/.test(e.text));
    assert.ok(
      refused.some((e) => /held-out data/.test(e.text)),
      JSON.stringify(run.transcript),
    );
    assert.ok(refused.some((e) => /write refused/.test(e.text)));
    assert.deepEqual(
      run.toolCalls.map((c) => [c.tool, c.ok]),
      [
        ['read_file', false],
        ['write_variant', false],
        ['write_variant', true],
        ['finish', true],
      ],
    );
    assert.equal(meter.usage('proposer').calls, 6);
    assert.equal(meter.usage('proposer').inputTokens, 600);
  });
});
