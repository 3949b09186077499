import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { runCli } from '../fixtures/cli.ts';
import { startFaultyQaProvider } from '../fixtures/faulty-qa-provider.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

it('optimize retries cases left with provider errors within the run: baseline and test cover every case', async () => {
  // A tenth of the requests fail twice: more than one call's retries (--max-retries 1) absorb. The
  // 500s carry a short Retry-After, so the test does not wait out the default backoff.
  const provider = await startFaultyQaProvider({ faultRate: 0.1, failuresPerFault: 2, kinds: ['http500'] });
  after(() => provider.close());
  const dir = exampleWorkspace();
  const run = await runCli(
    [
      'optimize',
      dir,
      '--no-sandbox',
      '--trials',
      '1',
      '--max-rounds',
      '1',
      '--max-retries',
      '1',
      '--model',
      'openai-compatible:fake',
      '--json',
    ],
    {
      env: {
        FAPO_OPENAI_COMPATIBLE_BASE_URL: provider.url,
        FAPO_OPENAI_COMPATIBLE_API_KEY: 'test-key-123',
      },
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.ok(provider.faults() > 20, `only ${provider.faults()} faults: the test would prove nothing`);
  const { test } = JSON.parse(run.stdout);
  for (const figure of [test.baseline, test.best]) {
    assert.equal(figure.counts.infra_error, 0);
    assert.equal(figure.counts.ok + figure.counts.task_error, 40, 'every test case has its answer');
  }
});
