/**
 * `fapo optimize --timeout`: the per-call limit reaches every role's client. A GEPA reflection model
 * slower than the limit (a fake server answering after 60 s) ends the session with the timeout,
 * where the 120 s default would have waited (slow local models on a busy CPU need the opposite: a
 * longer limit, see docs/real-model.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionConfig } from '../../src/cli/commands/optimize.ts';
import { runCli } from '../fixtures/cli.ts';
import { startFakeOpenAI } from '../fixtures/fake-openai.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

describe('fapo optimize --timeout', () => {
  it('is part of the session config', () => {
    const flags = {
      strategy: 'fapo',
      proposer: 'rules',
      trials: '1',
      seed: '0',
      concurrency: '2',
      maxVariants: '2',
      maxRounds: '1',
      accept: 'mean',
      analyst: false,
      reviewer: false,
      sandbox: false,
    };
    assert.equal(sessionConfig({ ...flags, timeout: '250000' }).timeoutMs, 250_000);
    assert.equal(sessionConfig(flags).timeoutMs, undefined);
  });

  it("limits the reflection model's calls", async () => {
    // The limit applies to the task model too (sim:qa, in-process): generous enough that a loaded machine
    // never stalls a sim call past it, while the reflection model answers far later.
    const server = await startFakeOpenAI({ latencyMs: 60_000, respond: () => ({ text: 'A better prompt.' }) });
    try {
      const r = await runCli([
        'optimize',
        exampleWorkspace(),
        '--strategy',
        'gepa',
        '--max-metric-calls',
        '40',
        '--trials',
        '1',
        '--no-sandbox',
        '--reflection-model',
        `openai-compatible:slow@${server.url}`,
        '--timeout',
        '3000',
      ]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, /no answer within 3000 ms/);
      assert.ok(server.calls >= 1, 'the reflection model was called');
    } finally {
      await server.close();
    }
  });
});
