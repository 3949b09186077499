/**
 * The two-hop-qa example end to end through the real `fapo` CLI with a REAL model on `local:`
 * (SmolLM2-135M-Instruct, fetched by `npm test`'s setup). Replies are short (maxTokens 40, greedy) to
 * keep this within the CI budget; the score is not asserted (a 135M model scores about 0 here, see
 * docs/real-model.md), the plumbing is: outputs, tokens and latency recorded, the call cache, and a
 * SIGKILLed run resumed without paying again for any call that had completed. The bench's
 * ticket-triage task checks structured output (an enum in a JSON object) the same way.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ensureTestModels } from '../../scripts/fetch-test-models.mjs';
import { runCli } from '../fixtures/cli.ts';
import { tempDir } from '../fixtures/temp.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

const { smollm2 } = await ensureTestModels(['smollm2'], () => {});
const CALLS_PER_CASE = 4; // hops 2: summarize, query, summarize, answer

function shortRepliesWorkspace(): string {
  const dir = exampleWorkspace();
  const manifest = join(dir, 'fapo.task.yaml');
  const text = readFileSync(manifest, 'utf8').replace(
    /sampling:\n(?: {2}.*\n)+/,
    'sampling:\n  temperature: 0\n  maxTokens: 40\n',
  );
  assert.match(text, /maxTokens: 40/);
  writeFileSync(manifest, text);
  return dir;
}

const evalArgs = (dir: string, limit: number) => [
  'eval',
  dir,
  '--split',
  'train',
  '--limit',
  String(limit),
  '--model',
  `local:${smollm2}`,
  '--concurrency',
  '2',
];

interface EvalJson {
  run: string;
  summary: { counts: { ok: number }; mean: number };
  usage: { calls: number; cacheHits: number; inputTokens: number; outputTokens: number; latencyMs: number };
}

async function evalJson(args: string[]): Promise<EvalJson> {
  const r = await runCli([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function cachedCalls(dir: string): number {
  const db = new Database(join(dir, '.fapo', 'store.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM cache').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('two-hop-qa on SmolLM2-135M through local:', () => {
  it('records outputs, tokens and latency, and answers a rerun from the cache', async () => {
    const dir = shortRepliesWorkspace();
    const first = await evalJson(evalArgs(dir, 2));
    assert.equal(first.summary.counts.ok, 2);
    assert.equal(first.usage.calls, 2 * CALLS_PER_CASE);
    assert.ok(first.usage.inputTokens > 100 && first.usage.outputTokens > 0, JSON.stringify(first.usage));
    assert.ok(first.usage.latencyMs > 0);
    const results = readFileSync(join(dir, '.fapo', 'runs', first.run.slice(0, 16), 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { output: unknown; steps: Array<{ kind: string; tokens?: unknown }> });
    for (const result of results) {
      assert.ok(String(result.output).trim().length > 0, 'the answer step wrote something');
      for (const step of result.steps.filter((s) => s.kind === 'llm')) assert.ok(step.tokens, 'tokens per step');
    }

    // A run over three cases is a new run; the first two cases' calls come from the cache.
    const wider = await evalJson(evalArgs(dir, 3));
    assert.notEqual(wider.run, first.run);
    assert.equal(wider.usage.cacheHits, 2 * CALLS_PER_CASE);
    assert.equal(wider.usage.calls, CALLS_PER_CASE);
  });

  it('resumes a SIGKILLed run without paying again for any completed call', async () => {
    const dir = shortRepliesWorkspace();
    const args = evalArgs(dir, 3);
    const killed = await runCli(args, {
      onSpawn: (child) => {
        const timer = setInterval(() => {
          try {
            if (cachedCalls(dir) >= CALLS_PER_CASE + 1) {
              clearInterval(timer);
              child.kill('SIGKILL');
            }
          } catch {
            // the store does not exist yet
          }
        }, 50);
        child.on('exit', () => clearInterval(timer));
      },
    });
    assert.equal(killed.signal, 'SIGKILL');
    const paidBeforeKill = cachedCalls(dir);
    const resumed = await evalJson(args);
    assert.equal(resumed.summary.counts.ok, 3);
    // Every call is paid exactly once across both processes: the killed run's completed calls were
    // kept (as results or in the call cache); only the calls in flight at the kill ran again. The
    // run's usage ledger survives the kill, so the resumed run reports the whole run's calls.
    assert.ok(paidBeforeKill > 0 && paidBeforeKill < 3 * CALLS_PER_CASE, `${paidBeforeKill} paid before the kill`);
    assert.equal(resumed.usage.calls, 3 * CALLS_PER_CASE);
    assert.equal(cachedCalls(dir), 3 * CALLS_PER_CASE, 'every call of the run has its answer in the cache');
    const again = await evalJson(args);
    assert.equal(again.usage.calls, 0);
    assert.equal(again.summary.mean, resumed.summary.mean);
  });
});

describe('ticket-triage (structured output) on SmolLM2-135M through local:', () => {
  it('every reply parses into the schema', async () => {
    const dir = join(tempDir('fapo-triage-'), 'task');
    cpSync(join(import.meta.dirname, '..', '..', 'scripts', 'bench-real', 'ticket-triage'), dir, { recursive: true });
    const out = await evalJson(['eval', dir, '--split', 'val', '--limit', '3', '--model', `local:${smollm2}`]);
    assert.equal(out.summary.counts.ok, 3);
    const results = readFileSync(join(dir, '.fapo', 'runs', out.run.slice(0, 16), 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { output: { queue?: string } });
    for (const { output } of results) {
      assert.ok(['billing', 'shipping', 'technical', 'account'].includes(output.queue ?? ''), JSON.stringify(output));
    }
  });
});
