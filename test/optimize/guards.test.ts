import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AttributionReport } from '../../src/attribution/report.ts';
import { openEnvironment } from '../../src/eval/environment.ts';
import { baselineVariant } from '../../src/eval/variant.ts';
import { UsageMeter } from '../../src/models/meter.ts';
import { EvaluationService, TestSealedError } from '../../src/optimize/evaluator.ts';
import { LevelTracker } from '../../src/optimize/fapo/escalation.ts';
import { BudgetExceededError } from '../../src/util/errors.ts';
import { copyExample } from '../fixtures/workspace.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';

installSimBehaviours();

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function report(partition: { prompt: number; param: number; structure: number }, ceiling = 0.5): AttributionReport {
  const bucket = (count: number) => ({ count, clusters: [] });
  return {
    variant: 'v',
    cases: [],
    clusters: [],
    levelPartition: {
      prompt: bucket(partition.prompt),
      param: bucket(partition.param),
      structure: bucket(partition.structure),
    },
    infrastructure: { count: 0, caseIds: [] },
    scorerErrors: { count: 0, caseIds: [] },
    allowedLevels: ['prompt', 'param', 'structure'],
    recommendedLevel: 'prompt',
    ceilingEstimate: { prompt: ceiling, param: ceiling, structure: ceiling, combined: ceiling },
    passRate: 0.5,
    evaluatedCases: 10,
    analyst: {
      enabled: false,
      cases: 0,
      calls: 0,
      failures: [],
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    },
  };
}

describe('escalation needs all three conditions', () => {
  const structural = report({ prompt: 5, param: 4, structure: 3 });

  it('no plateau yet: the prompt level is not exhausted', () => {
    const levels = new LevelTracker(['prompt', 'param', 'structure']);
    levels.record('format-constraints', false);
    levels.record('role-framing', false);
    assert.equal(levels.exhaustionReason(structural, false), undefined, 'two no-gain proposals are not a plateau');
    levels.record('role-framing', false);
    assert.equal(
      levels.exhaustionReason(structural, false),
      undefined,
      'three no-gain proposals with only two techniques are not a plateau',
    );
    levels.record('chain-of-thought', false);
    assert.equal(levels.exhaustionReason(structural, false), 'plateau');
  });

  it('a gain resets the plateau count', () => {
    const levels = new LevelTracker(['prompt', 'param']);
    for (const t of ['a', 'b']) levels.record(t, false);
    levels.record('c', true);
    levels.record('d', false);
    assert.equal(levels.exhaustionReason(structural, false), undefined);
  });

  it('the scope must allow the next level', () => {
    const levels = new LevelTracker(['prompt']);
    levels.markExhausted('plateau');
    assert.equal(levels.escalate(structural), undefined);
    assert.equal(levels.current, 'prompt');
  });

  it('attribution must name a bottleneck at the next level', () => {
    const levels = new LevelTracker(['prompt', 'param', 'structure']);
    levels.markExhausted('plateau');
    assert.equal(levels.escalate(report({ prompt: 6, param: 0, structure: 0 })), undefined);
    assert.equal(
      levels.escalate(report({ prompt: 6, param: 0, structure: 2 })),
      'structure',
      'skips a level with nothing to fix',
    );
  });
});

describe('data access', () => {
  it('test is sealed until the session unseals it, and every test evaluation is counted', async () => {
    const ws = copyExample();
    cleanups.push(ws.cleanup);
    const env = await openEnvironment(ws.dir, { sandbox: false });
    try {
      const baseline = env.store.putVariant(baselineVariant(env.task));
      const evaluator = new EvaluationService(env, { trials: 1, concurrency: 4, sessionId: 't' });
      await assert.rejects(evaluator.test(baseline), TestSealedError);
      assert.equal(evaluator.testEvaluations, 0);
      assert.equal(env.store.listRuns({ split: 'test' }).length, 0, 'no test run was even opened');
      evaluator.unsealTest();
      await evaluator.test(baseline);
      assert.equal(evaluator.testEvaluations, 1);
    } finally {
      await env.close();
    }
  });
});

describe('optimizer token budget', () => {
  it('caps the optimizer roles together', async () => {
    const meter = new UsageMeter({
      groups: { optimizer: { roles: ['proposer', 'reviewer'], limits: { maxTokens: 100 } } },
    });
    (await meter.reserve('proposer', { tokens: 60, costUsd: 0 })).commit({
      usage: { inputTokens: 50, outputTokens: 10 },
      costUsd: 0,
      latencyMs: 1,
    });
    await assert.rejects(meter.reserve('reviewer', { tokens: 50, costUsd: 0 }), BudgetExceededError);
    const ok = await meter.reserve('task', { tokens: 1000, costUsd: 0 });
    ok.fail(0);
  });
});
