/** How `fapo eval` takes declared rate limits: fapo.models.yaml in the workspace, --rpm/--tpm over it. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openEnvironment } from '../../src/eval/environment.ts';
import { installSimBehaviours } from '../../src/testing/sim-behaviours.ts';
import { runCli } from '../fixtures/cli.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

describe('rate limits in the workspace', () => {
  it('the task model gets the limits of fapo.models.yaml, with --rpm/--tpm laid over them', async () => {
    const dir = exampleWorkspace();
    writeFileSync(join(dir, 'fapo.models.yaml'), 'models:\n  openai:gpt-4.1-mini: { rpm: 500, tpm: 200000 }\n');
    const previous = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'sk-test-limits-0000';
    try {
      const fromFile = await openEnvironment(dir, { model: 'openai:gpt-4.1-mini', sandbox: false });
      await fromFile.close();
      assert.deepEqual(fromFile.rateLimits.stats()['openai:gpt-4.1-mini']?.limits, { rpm: 500, tpm: 200000 });
      const flags = await openEnvironment(dir, { model: 'openai:gpt-4.1-mini', sandbox: false, rpm: 60 });
      await flags.close();
      assert.deepEqual(flags.rateLimits.stats()['openai:gpt-4.1-mini']?.limits, { rpm: 60, tpm: 200000 });
      // Offline models are never rate-limited.
      installSimBehaviours();
      const sim = await openEnvironment(dir, { sandbox: false });
      await sim.close();
      assert.deepEqual(sim.rateLimits.stats(), {});
    } finally {
      if (previous === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = previous;
    }
  });

  it('a bad models config stops fapo eval with the file and the key to fix', async () => {
    const dir = exampleWorkspace();
    writeFileSync(join(dir, 'fapo.models.yaml'), 'models:\n  sim:qa: { rpm: many }\n');
    const r = await runCli(['eval', dir, '--limit', '1', '--no-sandbox']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /fapo\.models\.yaml at models\.sim:qa\.rpm/);
    const flag = await runCli(['eval', exampleWorkspace(), '--limit', '1', '--rpm', '0']);
    assert.notEqual(flag.code, 0);
    assert.match(flag.stderr, /--rpm must be a positive integer/);
  });
});
