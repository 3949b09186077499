/**
 * A workspace store for the explorer's tests, written directly (no model involved): a baseline and a
 * child variant whose prompt carries an XSS attempt, a run of each with many cases whose outputs and
 * step messages carry XSS attempts too, and failures of every status.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../src/eval/store.ts';
import type { CaseResult } from '../../src/eval/types.ts';
import { newVariant } from '../eval/helpers.ts';
import { tempDir } from '../fixtures/temp.ts';

export const XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';
export const CASES = 120;

const STATUSES = ['ok', 'ok', 'ok', 'task_error', 'infra_error'] as const;

function result(caseId: string, i: number, variantTag: string): CaseResult {
  const status = STATUSES[i % STATUSES.length]!;
  return {
    caseId,
    trial: 0,
    status,
    output: { answer: `${variantTag} answer ${i} ${XSS}` },
    score: status === 'ok' ? (i % 7) / 6 : null,
    ...(status !== 'ok' ? { error: `failure ${i}` } : {}),
    steps: [
      {
        name: 'answer',
        kind: 'llm',
        iteration: 0,
        inputs: { question: `question ${i}` },
        messages: [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: `question ${i} ${XSS}` },
        ],
        output: `answer ${i} ${XSS}`,
        model: 'sim:qa',
        tokens: { input: 10, output: 3 },
        costUsd: 0.0001,
        latencyMs: 5 + (i % 13),
        cacheHit: i % 2 === 0,
        diagnostics: [],
      },
    ],
    diagnostics: [],
    latencyMs: 10 + (i % 17),
  };
}

/** Writes the store; returns the workspace folder and the two runs' ids. */
export function hostileWorkspace(): { dir: string; runs: [string, string] } {
  const dir = join(tempDir('fapo-ui-'), 'hostile-ws');
  mkdirSync(dir, { recursive: true });
  const store = Store.open(dir);
  try {
    const base = store.putVariant(newVariant('Answer: ${input.question}'));
    const child = store.putVariant({
      ...newVariant(`Answer: \${input.question} ${XSS}`, base.hash),
      hypothesis: `hostile ${XSS}`,
      technique: 'format-constraints',
    });
    const caseIds = Array.from({ length: CASES }, (_, i) => `case-${String(i).padStart(3, '0')}`);
    const runs = [base, child].map((v, n) => {
      const run = store.openRun({
        variant: v.hash,
        split: 'val',
        trials: 1,
        model: 'sim:qa',
        sampling: { temperature: 0 },
        datasetFingerprint: 'f'.repeat(64),
        caseIds,
      });
      store.putResults(
        run.id,
        caseIds.map((id, i) => result(id, i, n === 0 ? 'base' : 'child')),
      );
      store.setRunState(run.id, 'complete');
      return run.id;
    });
    return { dir, runs: runs as [string, string] };
  } finally {
    store.close();
  }
}

/** A `fapo bench` output folder: the hostile workspace as a cell, and a study table beside it. */
export function benchFolder(): { root: string; runs: [string, string] } {
  const { dir, runs } = hostileWorkspace();
  const root = join(dir, '..');
  const compute = { calls: 1200, tokens: 340_000, costUsd: 1.25, wallMs: 95_000 };
  const row = (strategy: string, mean: number) => ({
    task: `hotpotqa ${XSS}`,
    model: 'openai:gpt-4.1-mini',
    strategy,
    status: 'complete',
    trialMeans: [mean - 0.01, mean + 0.01],
    mean,
    sd: 0.014,
    compute,
  });
  writeFileSync(
    join(root, 'bench-table.json'),
    JSON.stringify({
      header: { taskModels: ['openai:gpt-4.1-mini'], budget: 'paper', trials: 2, generatedAt: '2026-12-04T00:00:00Z' },
      table: {
        rows: [row('baseline', 0.41), row('fapo', 0.58), row('gepa', 0.52)],
        comparisons: [
          {
            task: 'hotpotqa',
            model: 'openai:gpt-4.1-mini',
            a: 'fapo',
            b: 'gepa',
            deltaPoints: 6,
            ci: { low: 1.5, high: 10.2 },
            pValue: 0.01,
            pHolm: 0.03,
            pairs: 600,
          },
        ],
        wins: { wins: 1, ties: 0, losses: 0, cells: 1, significantWins: 1, significantLosses: 0 },
      },
      cells: [],
    }),
  );
  return { root, runs };
}
