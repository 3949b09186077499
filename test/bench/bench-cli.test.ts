import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runBench } from '../../src/bench/run.ts';
import { runCli } from '../fixtures/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'fapo-bench-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface TableJson {
  table: {
    rows: { strategy: string; status: string; compute: { calls: number } }[];
    comparisons: { a: string; b: string; pairs: number }[];
  };
  cells: {
    strategy: string;
    status: string;
    reason?: string;
    fairness?: { testEvaluations: number; capViolations: number; sampling: unknown };
  }[];
}

describe('fapo bench (offline smoke, sim stand-in models)', () => {
  const out = join(root, 'out');
  const args = [
    'bench',
    '--tasks',
    'hotpotqa',
    '--strategies',
    'baseline,fapo',
    '--task-model',
    'sim:echo',
    '--trials',
    '1',
    '--limit',
    '3',
    '--max-rounds',
    '1',
    '--out',
    out,
  ];

  it('runs every cell end to end through the CLI and writes the table (markdown + JSON)', async () => {
    const run = await runCli(args);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\| hotpotqa \| sim:echo \| 0\.0 ± 0\.0 \| — \| 0\.0 ± 0\.0 \|/);
    assert.match(run.stdout, /not real models/);
    const json = JSON.parse(readFileSync(join(out, 'bench-table.json'), 'utf8')) as TableJson;
    assert.deepEqual(
      json.cells.map((c) => [c.strategy, c.status]),
      [
        ['baseline', 'complete'],
        ['fapo', 'complete'],
      ],
    );
    const fapo = json.cells.find((c) => c.strategy === 'fapo')!;
    assert.ok(fapo.fairness!.testEvaluations <= 2, 'test only after the search');
    assert.equal(fapo.fairness!.capViolations, 0);
    assert.deepEqual(fapo.fairness!.sampling, { temperature: 1, topP: 0.95, maxTokens: 16000 });
    assert.ok(json.table.rows.every((r) => r.compute.calls > 0));
    assert.deepEqual(
      json.table.comparisons.map((c) => [c.a, c.b, c.pairs]),
      [['fapo', 'baseline', 3]],
    );
    assert.ok(existsSync(join(out, 'bench-table.md')));
  });

  it('re-running the same bench resumes: finished cells are read back, never recomputed', async () => {
    const refuse = () => {
      throw new Error('a finished cell was recomputed');
    };
    const options: Parameters<typeof runBench>[0] = {
      tasks: ['hotpotqa'],
      strategies: ['baseline', 'fapo'],
      taskModels: ['sim:echo'],
      trials: 1,
      budget: 'paper',
      maxVariants: 50,
      maxRounds: 1,
      proposer: 'rules',
      limit: 3,
      outDir: out,
      concurrency: 8,
      sandbox: true,
      sessionConfig: refuse,
      strategyFactory: refuse,
    };
    const again = await runBench(options);
    assert.deepEqual(
      again.cells.map((c) => [c.strategy, c.status]),
      [
        ['baseline', 'complete'],
        ['fapo', 'complete'],
      ],
    );
    assert.equal(again.table.comparisons[0]?.pairs, 3);
    await assert.rejects(runBench({ ...options, limit: 5 }), /holds cells made with other settings/);
  });
});
