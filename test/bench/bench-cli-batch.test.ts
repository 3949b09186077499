/** `fapo bench --batch`: a baseline cell's test evaluation goes through the (fake) OpenAI Batch API. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { costUsd, lookupPrice } from '../../src/models/pricing.ts';
import { runCli } from '../fixtures/cli.ts';
import { type FakeBatchServer, startFakeBatchServer } from '../fixtures/fake-batch.ts';

const root = mkdtempSync(join(tmpdir(), 'fapo-bench-batch-'));
after(() => rmSync(root, { recursive: true, force: true }));
const MODEL = 'openai:gpt-4.1-mini';

describe('fapo bench --batch', () => {
  let server: FakeBatchServer | undefined;
  after(() => server?.close());

  it('runs the baseline cell through batch jobs, booked at the batch price', async () => {
    server = await startFakeBatchServer();
    const out = join(root, 'out');
    const run = await runCli(
      [
        'bench',
        '--tasks',
        'hotpotqa',
        '--strategies',
        'baseline',
        '--task-model',
        MODEL,
        '--trials',
        '1',
        '--limit',
        '3',
        '--batch',
        '--batch-poll',
        '0.02',
        '--no-sandbox',
        '--out',
        out,
      ],
      { env: { OPENAI_API_KEY: 'sk-test-bench-0000', OPENAI_BASE_URL: server.url } },
    );
    assert.equal(run.code, 0, run.stderr);
    const json = JSON.parse(readFileSync(join(out, 'bench-table.json'), 'utf8'));
    const cell = json.cells[0];
    assert.equal(cell.status, 'complete');
    assert.ok(server.created.length >= 1);
    assert.ok(!server.paths.some((p) => p.includes('/chat/completions')), 'no interactive call');
    const test = cell.usage.roles.test;
    assert.equal(test.calls, server.billed.size);
    const standard = costUsd(
      { inputTokens: test.inputTokens, outputTokens: test.outputTokens },
      lookupPrice(MODEL).price,
    );
    assert.ok(standard > 0);
    assert.ok(Math.abs(test.costUsd - standard / 2) < 1e-12, `${test.costUsd} vs ${standard / 2}`);
  });
});
