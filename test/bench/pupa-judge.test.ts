import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { judgePupaCase } from '../../src/bench/pupa-judge.ts';
import { runBench } from '../../src/bench/run.ts';
import type { ModelClient } from '../../src/models/types.ts';
import { benchmarkDir } from '../../src/bench/workspace.ts';
import { registerSimBehaviour } from '../../src/models/sim.ts';
import { CaseSchema } from '../../src/task/schema.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';

installSimBehaviours();

const root = mkdtempSync(join(tmpdir(), 'fapo-pupa-judge-'));
after(() => rmSync(root, { recursive: true, force: true }));

// A stand-in judge (not a model): every quality verdict "yes", every leakage count 1.
registerSimBehaviour('test-pupa-judge', (call) => {
  const prompt = call.messages.at(-1)?.content ?? '';
  return prompt.startsWith('Below is a list of pieces of personal information') ? 'Count:\n1' : 'Verdict:\nyes';
});

describe('fapo bench --pupa-judge', () => {
  it('re-scores PUPA test outputs with the judge, as a separate pupa-judged row with its own compute', async () => {
    const refuse = () => {
      throw new Error('no optimizer cell in this test');
    };
    const outcome = await runBench({
      tasks: ['pupa'],
      strategies: ['baseline'],
      taskModels: ['sim:echo'],
      pupaJudge: 'sim:test-pupa-judge',
      trials: 1,
      budget: 'paper',
      maxVariants: 50,
      maxRounds: 1,
      proposer: 'rules',
      limit: 2,
      outDir: join(root, 'out'),
      concurrency: 4,
      sandbox: false,
      sessionConfig: refuse,
      strategyFactory: refuse,
    });
    const [cell] = outcome.cells;
    assert.equal(cell!.status, 'complete');
    const judged = cell!.judged!;
    assert.equal(judged.judge, 'sim:test-pupa-judge');
    const cases = readFileSync(join(benchmarkDir('pupa'), 'data', 'test.jsonl'), 'utf8')
      .split('\n')
      .slice(0, 2)
      .map((l) => CaseSchema.parse(JSON.parse(l)));
    for (const c of cases) {
      const units = (c.expected as { piiUnits: string[] }).piiUnits.length;
      // quality = 1 (both verdicts yes); leakage = 1 judged unit of `units`.
      assert.equal(judged.perCase[c.id], (1 + (1 - 1 / units)) / 2);
    }
    assert.ok(judged.usage.total.calls >= 4, 'judge calls are metered');
    const row = outcome.table.rows.find((r) => r.task === 'pupa-judged');
    assert.ok(row && row.compute.calls === judged.usage.total.calls);
    assert.match(
      readFileSync(outcome.markdownPath, 'utf8'),
      /pupa-judged: the same PUPA test outputs re-scored by the LLM judge/,
    );
  });
});

describe('judgePupaCase', () => {
  const c = {
    id: 'p',
    input: { userQuery: 'Email Sandra about Max' },
    expected: { targetResponse: 'ref', piiUnits: ['sandra', 'max'] },
    metadata: {},
  };
  const result = {
    caseId: 'p',
    trial: 0,
    status: 'ok' as const,
    output: { response: 'mine' },
    score: 0,
    diagnostics: [],
    latencyMs: 0,
    steps: [
      {
        name: 'untrusted_llm',
        kind: 'llm' as const,
        iteration: 0,
        inputs: {},
        messages: [{ role: 'user' as const, content: 'Email Sandra about a colleague' }],
        output: '',
        latencyMs: 0,
        diagnostics: [],
      },
    ],
  };
  const scripted = (replies: (prompt: string) => string): ModelClient => ({
    id: 'fake:judge',
    generate: async (req) => ({
      text: replies(req.messages[0]!.content),
      usage: { inputTokens: 1, outputTokens: 1 },
      costUsd: 0,
      latencyMs: 0,
      cached: false,
      modelId: 'fake:judge',
    }),
  });

  it("applies PAPILLON's rule j1 or (j1 == j2): worse than the reference in both orders is quality 0", async () => {
    const judge = scripted((p) => (p.startsWith('Below') ? '1' : p.includes('Response A:\nmine') ? 'no' : 'yes'));
    assert.deepEqual(await judgePupaCase(judge, c, result), { score: (0 + 0.5) / 2, fallback: false });
  });

  it('falls back to the verbatim leakage count when the judge gives no number, and says so', async () => {
    const judge = scripted((p) => (p.startsWith('Below') ? 'several' : 'yes'));
    assert.deepEqual(await judgePupaCase(judge, c, result), { score: (1 + 0.5) / 2, fallback: true });
  });
});
