/**
 * `fapo eval --batch` end to end: the real CLI in a child process against the fake batch API
 * (OpenAI Batch endpoints on 127.0.0.1), answering with the sim reader so outputs are meaningful.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { costUsd, lookupPrice } from '../../src/models/pricing.ts';
import { simQa } from '../../src/testing/sim-qa.ts';
import { runCli } from '../fixtures/cli.ts';
import { type FakeBatchServer, startFakeBatchServer } from '../fixtures/fake-batch.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

const MODEL = 'openai:gpt-4.1-mini';

async function fakeBatchReader(): Promise<FakeBatchServer> {
  return startFakeBatchServer({
    answer: (body) => ({
      text: simQa({
        messages: body.messages.map((m: { role: string; content: string }) => ({ role: m.role, content: m.content })),
        sampling: { temperature: 0 },
      }),
    }),
  });
}

const args = (dir: string) => [
  'eval',
  dir,
  '--split',
  'val',
  '--limit',
  '6',
  '--model',
  MODEL,
  '--batch',
  '--batch-poll',
  '0.02',
  '--no-sandbox',
  '--json',
];

describe('fapo eval --batch', () => {
  const servers: FakeBatchServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it('evaluates through batch jobs, one per chain step wave, and reports the batch price', async () => {
    const server = await fakeBatchReader();
    servers.push(server);
    const dir = exampleWorkspace();
    const env = { OPENAI_API_KEY: 'sk-test-batch-0000', OPENAI_BASE_URL: server.url };
    const r = await runCli(args(dir), { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.summary.counts.ok, 6);
    assert.ok(out.summary.mean > 0, 'the sim reader answers some questions right');
    assert.ok(out.batch.jobs >= 2, `a multi-step chain needs several waves (got ${out.batch.jobs})`);
    assert.equal(out.batch.jobs, server.created.length);
    assert.equal(out.batch.failed, 0);
    assert.ok(!server.paths.some((p) => p.includes('/chat/completions')), 'no interactive call was made');
    // Every task call was paid once, at half the standard price of its tokens.
    assert.equal(out.usage.calls, out.batch.answered);
    assert.equal(out.usage.calls, server.billed.size);
    const standard = costUsd(
      { inputTokens: out.usage.inputTokens, outputTokens: out.usage.outputTokens },
      lookupPrice(MODEL).price,
    );
    assert.ok(standard > 0);
    assert.ok(Math.abs(out.usage.costUsd - standard / 2) < 1e-12, `${out.usage.costUsd} vs ${standard / 2}`);

    // A rerun is answered from the cache: no new job, nothing paid.
    const again = JSON.parse((await runCli(args(dir), { env })).stdout);
    assert.equal(again.batch.jobs, 0);
    assert.equal(again.usage.costUsd, 0);
    assert.equal(server.created.length, out.batch.jobs);
  });

  it('killed while a batch runs, the rerun resumes that batch: nothing is submitted or paid twice', async () => {
    const server = await fakeBatchReader();
    servers.push(server);
    const dir = exampleWorkspace();
    const env = { OPENAI_API_KEY: 'sk-test-batch-0000', OPENAI_BASE_URL: server.url };
    server.hold();
    const killed = await runCli(args(dir), {
      env,
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (server.created.length === 1 && server.paths.filter((p) => p.startsWith('GET /v1/batches/')).length >= 2) {
            clearInterval(timer);
            child.kill('SIGKILL');
          }
        }, 10);
      },
    });
    assert.equal(killed.signal, 'SIGKILL');
    const firstWave = server.created[0]!;
    assert.ok(firstWave.length >= 6);
    server.release();
    const r = await runCli(args(dir), { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.summary.counts.ok, 6);
    const submitted = server.created.flat();
    assert.equal(new Set(submitted).size, submitted.length, 'no request was submitted twice');
    assert.ok(
      [...server.billed.values()].every((n) => n === 1),
      'no request was billed twice',
    );
    assert.equal(out.usage.calls, server.billed.size, 'the rerun booked the interrupted batch once');
  });
});
