/**
 * A `fapo eval` killed (SIGKILL) in the middle of agent loops, then run again: the completed turns
 * come from the cache, so no model request is answered twice.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { runCli } from '../../fixtures/cli.ts';
import { startFakeOpenAI, type FakeReply, type FakeRequest } from '../../fixtures/fake-openai.ts';
import { CALC_TOOLS, agentWorkspace } from './helpers.ts';

/** Three turns per case: two additions, then the total. */
function calculator(request: FakeRequest): FakeReply {
  const messages = request.body.messages as { role: string; content: string }[];
  const tools = messages.filter((m) => m.role === 'tool');
  const start = Number(/(\d+)/.exec(messages.find((m) => m.role === 'user')!.content)![1]);
  if (tools.length === 0) return { toolCall: { name: 'add', args: { a: start, b: 1 } } };
  if (tools.length === 1) return { toolCall: { name: 'add', args: { a: JSON.parse(tools[0]!.content).sum, b: 1 } } };
  return { text: `total ${JSON.parse(tools[1]!.content).sum}` };
}

describe('agent steps after a kill', () => {
  it('resumes a killed evaluation without paying a completed turn twice', async () => {
    let killer: ChildProcess | undefined;
    let killAt = 7; // the 7th request arrives mid-loop of some case: hang it and kill the CLI
    const answered: string[] = [];
    const server = await startFakeOpenAI({
      respond: (request) => {
        if (killer && server.calls >= killAt) {
          killAt = Number.POSITIVE_INFINITY;
          killer.kill('SIGKILL');
          return { hang: true };
        }
        answered.push(JSON.stringify(request.body.messages));
        return calculator(request);
      },
    });
    after(() => server.close());
    const cases = [10, 20, 30, 40, 50].map((n) => ({
      id: `n${n}`,
      input: { question: `start at ${n}` },
      expected: `total ${n + 2}`,
    }));
    const dir = agentWorkspace({
      model: `openai-compatible:m@${server.url}`,
      tools: ['add'],
      files: { 'tools/calc.ts': CALC_TOOLS },
      cases,
    });
    const killed = await runCli(['eval', dir, '--split', 'val', '--concurrency', '1'], {
      onSpawn: (child) => (killer = child),
    });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const beforeResume = answered.length;
    assert.ok(beforeResume >= 6, 'turns were answered before the kill');
    killer = undefined;
    const resumed = await runCli(['eval', dir, '--split', 'val', '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = JSON.parse(resumed.stdout);
    assert.equal(summary.summary.mean, 1, 'every case right after the resume');
    assert.equal(answered.length, cases.length * 3, 'each case’s three turns answered once in all');
    assert.equal(new Set(answered).size, answered.length, 'no request was answered twice');
  });
});
