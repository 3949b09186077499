import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CellResult } from '../../src/bench/cells.ts';
import { zeroUsage } from '../../src/models/meter.ts';
import { checkFairness } from '../../src/bench/run.ts';
import { buildStudyTable, renderStudyMarkdown } from '../../src/bench/table.ts';

const usage = (calls: number, costUsd: number) => {
  const u = { ...zeroUsage(), calls, inputTokens: 10 * calls, outputTokens: calls, costUsd };
  return { version: 1 as const, roles: { task: u }, total: u };
};

function cell(strategy: CellResult['strategy'], trial: number, scores: number[], task = 'aime'): CellResult {
  const perCase = Object.fromEntries(scores.map((s, i) => [`c${i}`, s]));
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return {
    task: task as CellResult['task'],
    model: 'm',
    strategy,
    trial,
    status: 'complete',
    test: {
      mean,
      sd: 0,
      cases: scores.length,
      counts: { ok: scores.length, task_error: 0, infra_error: 0, scorer_error: 0 },
    },
    perCase,
    usage: usage(10, 0.5),
    wallMs: 2000,
  };
}

describe('study table', () => {
  const cells: CellResult[] = [
    cell('baseline', 0, [0, 0, 1, 0]),
    cell('baseline', 1, [0, 1, 0, 0]),
    cell('gepa', 0, [1, 0, 1, 0]),
    cell('gepa', 1, [0, 1, 1, 0]),
    cell('fapo', 0, [1, 1, 1, 0]),
    cell('fapo', 1, [1, 1, 1, 1]),
    {
      task: 'ctibench',
      model: 'm',
      strategy: 'gepa',
      trial: 0,
      status: 'not-available',
      reason: 'GEPA has no paper budget for ctibench',
    },
  ];
  const table = buildStudyTable(cells);

  it('means ± sd over trials, compute summed over trials', () => {
    const fapo = table.rows.find((r) => r.task === 'aime' && r.strategy === 'fapo')!;
    assert.deepEqual(fapo.trialMeans, [0.75, 1]);
    assert.equal(fapo.mean, 0.875);
    assert.ok(Math.abs(fapo.sd - Math.SQRT1_2 * 0.25) < 1e-12);
    assert.deepEqual(fapo.compute, { calls: 20, tokens: 220, costUsd: 1, wallMs: 4000 });
    assert.equal(table.rows.find((r) => r.task === 'ctibench')!.status, 'not-available');
  });

  it('FAPO − GEPA in points, paired over (trial, case), Holm-adjusted, wins out of cells', () => {
    const head = table.comparisons.find((c) => c.a === 'fapo' && c.b === 'gepa')!;
    assert.equal(head.pairs, 8);
    assert.equal(head.deltaPoints, 37.5); // (7 − 4) / 8
    assert.ok(head.pHolm >= head.pValue);
    assert.equal(table.comparisons.length, 3);
    assert.deepEqual({ wins: table.wins.wins, cells: table.wins.cells }, { wins: 1, cells: 1 });
  });

  it('renders the markdown table with labels and the limit warning', () => {
    const md = renderStudyMarkdown(table, {
      taskModels: ['m'],
      budget: 'paper',
      trials: 2,
      limit: 4,
      generatedAt: 'now',
    });
    assert.match(md, /\| aime \| m \| 25\.0 ± 0\.0 \| 50\.0 ± 0\.0 \| 87\.5 ± 17\.7 \| \+37\.5 \|/);
    assert.match(md, /FAPO beats GEPA in \*\*1 of 1\*\* cells/);
    assert.match(md, /ctibench \| m \| GEPA \| not available: GEPA has no paper budget/);
    assert.match(md, /--limit 4/);
  });
});

describe('fairness rules', () => {
  const sampling = { temperature: 1, topP: 0.95, maxTokens: 16000 };
  const start = { baselineHash: 'h0', sampling };
  const fair = {
    ...cell('fapo', 0, [1]),
    fairness: { baselineHash: 'h0', model: 'm', sampling, caps: {}, testEvaluations: 2, capViolations: 0 },
  };

  it('accepts a cell that started from the shipped baseline with the shipped sampling and tested once', () => {
    assert.doesNotThrow(() => checkFairness(fair, start));
  });

  it('rejects a different starting chain, sampling, model, or test evaluated during the search', () => {
    assert.throws(
      () => checkFairness({ ...fair, fairness: { ...fair.fairness, baselineHash: 'h1' } }, start),
      /different chain\/prompts\/params/,
    );
    assert.throws(
      () =>
        checkFairness({ ...fair, fairness: { ...fair.fairness, sampling: { ...sampling, temperature: 0 } } }, start),
      /sampling/,
    );
    assert.throws(
      () => checkFairness({ ...fair, fairness: { ...fair.fairness, model: 'other' } }, start),
      /ran task model other/,
    );
    assert.throws(
      () => checkFairness({ ...fair, fairness: { ...fair.fairness, testEvaluations: 3 } }, start),
      /evaluated test 3 times/,
    );
  });
});
