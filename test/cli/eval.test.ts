import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { simQa } from '../../src/testing/sim-qa.ts';
import { runCli } from '../fixtures/cli.ts';
import { type FakeLlmServer, startFakeOpenAI } from '../fixtures/fake-openai.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

const workspace = exampleWorkspace;

/** A fake OpenAI-compatible server whose answers come from the sim reader, so outputs are meaningful. */
async function fakeReader(latencyMs: number): Promise<FakeLlmServer> {
  return startFakeOpenAI({
    latencyMs,
    respond: (req) => ({
      text: simQa({
        messages: req.body.messages.map((m: { role: string; content: string }) => ({
          role: m.role,
          content: m.content,
        })),
        sampling: { temperature: 0 },
      }),
    }),
  });
}

describe('fapo eval', () => {
  it('evaluates the example offline and writes results, summary and manifest', async () => {
    const dir = workspace();
    const r = await runCli(['eval', dir, '--split', 'val', '--trials', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.summary.counts.ok, 60);
    assert.equal(out.summary.trials.length, 2);
    assert.ok(out.summary.mean > 0 && out.summary.mean < 1);
    const manifest = JSON.parse(readFileSync(join(out.artifacts, 'manifest.json'), 'utf8'));
    assert.equal(manifest.model, 'sim:qa');
    assert.deepEqual(manifest.sampling, { temperature: 1, topP: 0.95, maxTokens: 256 });
    assert.match(manifest.datasets.val.sha256, /^[0-9a-f]{64}$/);
    assert.equal(manifest.variant.seq, 1);
    assert.match(manifest.task.scorerFingerprint, /^[0-9a-f]{64}$/);
    assert.match(manifest.variant.chainFingerprint, /^[0-9a-f]{64}$/);
    assert.match(manifest.resources.wiki, /^bm25\/[0-9a-f]{64}$/);
    const lines = readFileSync(join(out.artifacts, 'results.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 60);
    const first = JSON.parse(lines[0]!);
    assert.deepEqual(
      first.steps.map((s: { name: string }) => s.name),
      ['retrieve', 'summarize', 'query', 'retrieve', 'summarize', 'answer'],
    );
    assert.ok(first.steps[1].messages.length >= 1 && first.steps[1].tokens.input > 0);
    const summary = readFileSync(join(out.artifacts, 'summary.md'), 'utf8');
    assert.match(summary, /Score: \*\*\d+\.\d ± \d+\.\d\*\*/);
    assert.match(summary, /\| answer \| llm \|/);
    assert.match(summary, /sim`, fapo's deterministic offline stand-in/);
  });

  it('a second identical eval is served from the store and pays no model call', async () => {
    const dir = workspace();
    const first = JSON.parse((await runCli(['eval', dir, '--split', 'train', '--limit', '5', '--json'])).stdout);
    const again = await runCli(['eval', dir, '--split', 'train', '--limit', '5', '--json']);
    const second = JSON.parse(again.stdout);
    assert.equal(second.run, first.run);
    assert.equal(second.usage.calls, 0);
    assert.equal(second.summary.mean, first.summary.mean);
  });

  it('a changed scorer, or a changed file it imports, starts a new run instead of resuming the old scores', async () => {
    const dir = workspace();
    const evalJson = async () =>
      JSON.parse((await runCli(['eval', dir, '--split', 'train', '--limit', '5', '--json'])).stdout);
    const first = await evalJson();
    writeFileSync(join(dir, 'weight.ts'), 'export const weight = 0;\n');
    writeFileSync(
      join(dir, 'scorer.ts'),
      "import { defineScorer } from 'fapo';\nimport { weight } from './weight.ts';\nexport default defineScorer(() => weight);\n",
    );
    const zero = await evalJson();
    assert.notEqual(zero.run, first.run);
    assert.equal(zero.summary.mean, 0);
    assert.equal(zero.usage.calls, 0, 'the model answers come from the cache');
    writeFileSync(join(dir, 'weight.ts'), 'export const weight = 1;\n');
    const one = await evalJson();
    assert.notEqual(one.run, zero.run, 'only the imported file changed');
    assert.equal(one.summary.mean, 1);
  });

  it('a changed module the chain imports starts a new run, though the variant is the same', async () => {
    const dir = workspace();
    const chain = readFileSync(join(dir, 'chain.ts'), 'utf8');
    writeFileSync(
      join(dir, 'chain.ts'),
      `import { firstQuery } from './query.ts';\n${chain.replace('let query = String(input.question);', 'let query = firstQuery(String(input.question));')}`,
    );
    writeFileSync(join(dir, 'query.ts'), 'export const firstQuery = (q: string) => q;\n');
    const evalJson = async () =>
      JSON.parse((await runCli(['eval', dir, '--split', 'train', '--limit', '3', '--json'])).stdout);
    const first = await evalJson();
    writeFileSync(join(dir, 'query.ts'), 'export const firstQuery = (q: string) => `${q} country`;\n');
    const second = await evalJson();
    assert.equal(second.variant.hash, first.variant.hash);
    assert.notEqual(second.run, first.run);
    assert.ok(second.usage.calls > 0, 'the changed queries made new model calls');
  });

  it('a changed retrieval corpus starts a new run', async () => {
    const dir = workspace();
    const evalJson = async () =>
      JSON.parse((await runCli(['eval', dir, '--split', 'train', '--limit', '3', '--json'])).stdout);
    const first = await evalJson();
    const corpus = join(dir, 'corpus', 'passages.jsonl');
    writeFileSync(
      corpus,
      readFileSync(corpus, 'utf8') +
        JSON.stringify({ id: 'extra-1', title: 'Extra', text: 'A passage added later.' }) +
        '\n',
    );
    const second = await evalJson();
    assert.equal(second.variant.hash, first.variant.hash);
    assert.notEqual(second.run, first.run);
  });

  it('resumes a run killed with SIGKILL without repeating completed model calls', async () => {
    const server = await fakeReader(25);
    try {
      const dir = workspace();
      const model = `openai-compatible:reader@${server.url}`;
      const args = [
        'eval',
        dir,
        '--split',
        'train',
        '--trials',
        '2',
        '--limit',
        '10',
        '--model',
        model,
        '--concurrency',
        '2',
      ];
      const killed = await runCli(args, {
        onSpawn: (child) => {
          const timer = setInterval(() => {
            if (server.calls >= 30) {
              clearInterval(timer);
              child.kill('SIGKILL');
            }
          }, 5);
        },
      });
      assert.equal(killed.signal, 'SIGKILL');
      const callsAtKill = server.calls;
      const resumed = await runCli(args);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /resumed: \d+ results kept/);
      // 10 cases × 2 trials × 4 llm steps; at most the 2 calls in flight at the kill are paid again.
      assert.ok(server.calls <= 80 + 2, `server saw ${server.calls} calls (${callsAtKill} before the kill)`);
      const final = await runCli([...args, '--json']);
      const out = JSON.parse(final.stdout);
      assert.equal(out.summary.counts.ok, 20);
      assert.equal(out.usage.calls, 0);

      // The same evaluation uninterrupted, in a fresh workspace, gives the same score.
      const fresh = workspace();
      const clean = JSON.parse((await runCli(['eval', fresh, ...args.slice(2), '--json'])).stdout);
      assert.equal(clean.summary.mean, out.summary.mean);
    } finally {
      await server.close();
    }
  });

  it('marks provider outages infra_error, excludes them from the score and exits non-zero', async () => {
    const server = await startFakeOpenAI({ respond: () => ({ status: 500, message: 'overloaded' }) });
    try {
      const dir = workspace();
      const r = await runCli([
        'eval',
        dir,
        '--split',
        'train',
        '--limit',
        '3',
        '--model',
        `openai-compatible:m@${server.url}`,
        '--max-retries',
        '1',
        '--json',
      ]);
      assert.equal(r.code, 1);
      const out = JSON.parse(r.stdout);
      assert.equal(out.summary.counts.infra_error, 3);
      assert.equal(out.summary.mean, null);
    } finally {
      await server.close();
    }
  });

  it('a scorer returning NaN gives scorer_error naming the case', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'scorer.ts'),
      "import { defineScorer } from 'fapo';\nexport default defineScorer(() => NaN);\n",
    );
    const r = await runCli(['eval', dir, '--split', 'train', '--limit', '2', '--json']);
    const out = JSON.parse(r.stdout);
    assert.equal(out.summary.counts.scorer_error, 2);
    const runs = join(dir, '.fapo', 'runs');
    const results = readFileSync(join(runs, readdirSync(runs)[0]!, 'results.jsonl'), 'utf8');
    assert.match(results, /case \\"q001\\" \(trial 0\): scorer returned score NaN/);
    assert.equal(r.code, 1, 'a run with no case scored measured nothing');
    assert.match(r.stderr, /no case was scored: all 2 failed in the chain or the scorer/);
    assert.match(r.stderr, /q001 \(trial 0, scorer_error\): case "q001" \(trial 0\): scorer returned score NaN/);
  });

  it('names the failing cases when only some fail, and still exits 0', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'scorer.ts'),
      "import { defineScorer } from 'fapo';\nexport default defineScorer(({ case: c }) => (c.id === 'q002' ? NaN : 1));\n",
    );
    const r = await runCli(['eval', dir, '--split', 'train', '--limit', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /1 case\(s\) failed in the chain or the scorer/);
    assert.match(r.stderr, /q002 \(trial 0, scorer_error\)/);
  });

  it('rejects bad input with a clear message and exit code 2', async () => {
    const missing = await runCli(['eval', '/nonexistent/task']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /fapo\.task\.yaml: not found/);
    const dir = workspace();
    const badSplit = await runCli(['eval', dir, '--split', 'dev']);
    assert.equal(badSplit.code, 2);
    assert.match(badSplit.stderr, /unknown split "dev"/);
    const badTrials = await runCli(['eval', dir, '--trials', '0']);
    assert.equal(badTrials.code, 2);
    assert.ok(!existsSync(join(dir, '.fapo', 'runs')));
  });
});
