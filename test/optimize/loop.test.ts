import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_CONFIG } from '../../src/cli/commands/demo.ts';
import { createFapoStrategy } from '../../src/optimize/fapo/controller.ts';
import type { MemoryRecord } from '../../src/optimize/fapo/memory.ts';
import { type SessionConfig, optimize } from '../../src/optimize/session.ts';
import { Store } from '../../src/eval/store.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';

installSimBehaviours();

const workspace = exampleWorkspace;

const config = (over: Partial<SessionConfig> = {}): SessionConfig => ({
  ...DEMO_CONFIG,
  sandbox: false,
  trials: 2,
  ...over,
  budget: { ...DEMO_CONFIG.budget, ...over.budget },
});
const run = (dir: string, cfg: SessionConfig) =>
  optimize({ taskDir: dir, config: cfg, strategy: (o) => createFapoStrategy(o) });

function memoryOf(dir: string, session: string): MemoryRecord[] {
  const store = Store.open(dir);
  try {
    return store.getDoc<MemoryRecord[]>(`session:${session}`, 'memory') ?? [];
  } finally {
    store.close();
  }
}

describe('fapo optimize (rule-based proposer, sim model)', () => {
  it('goes prompt-first, plateaus, escalates within scope, and evaluates test once at the end', async () => {
    const dir = workspace();
    const out = await run(dir, config());
    const memory = memoryOf(dir, out.session.id);
    const variants = memory.filter((m) => m.kind === 'variant');
    assert.equal(variants[0]!.technique, 'format-constraints');
    assert.equal(variants[0]!.accepted, true);
    assert.ok(
      variants.slice(0, 3).every((v) => v.level === 'prompt'),
      'prompt level first',
    );
    const plateau = memory.find((m) => m.kind === 'exhaustion' && m.level === 'prompt');
    assert.equal(plateau?.kind === 'exhaustion' && plateau.reason, 'plateau');
    const promptTechniques = new Set(variants.filter((v) => v.level === 'prompt').map((v) => v.technique));
    assert.ok(promptTechniques.size >= 3, 'at least three techniques before the plateau');
    const param = variants.find((v) => v.level === 'param');
    assert.ok(
      param?.accepted && param.stepsChanged.includes('params.hops'),
      'escalated to a param change within the caps',
    );
    assert.equal(out.result.best.level, 'param');
    assert.ok((out.result.bestValidation.summary.mean ?? 0) > (out.result.trajectory[0]!.valMean ?? 1));
    assert.equal(out.test.evaluations, 2, 'test evaluated exactly once per variant (baseline and selected)');
    assert.ok(out.test.comparison.ci.low > 0);
    // The cache and upstream reuse save at least 40% of task-model calls.
    const task = out.usage.roles.task!;
    assert.ok(
      task.cacheHits / (task.calls + task.cacheHits) >= 0.4,
      `saved ${task.cacheHits} of ${task.calls + task.cacheHits}`,
    );
  });

  it('stops at each budget and never exceeds it', async () => {
    const variants = await run(workspace(), config({ budget: { maxVariants: 2, maxRounds: 10 } }));
    assert.match(variants.result.stopReason, /variant budget \(2\)/);
    assert.equal(variants.result.trajectory.length, 3);

    const rounds = await run(workspace(), config({ budget: { maxVariants: 50, maxRounds: 1 } }));
    assert.match(rounds.result.stopReason, /round budget \(1\)/);

    const calls = await run(workspace(), config({ budget: { maxVariants: 50, maxRounds: 10, maxTaskCalls: 700 } }));
    assert.match(calls.result.stopReason, /budget: .*task\.maxCalls/);
    assert.ok(calls.usage.roles.task!.calls <= 700, `paid ${calls.usage.roles.task!.calls} task calls`);

    const wall = await run(workspace(), config({ budget: { maxVariants: 50, maxRounds: 10, maxWallMs: 1 } }));
    assert.match(wall.result.stopReason, /wall-time budget/);
  });

  it('with --target it stops as soon as validation reaches the target', async () => {
    const out = await run(workspace(), config({ target: 0.5 }));
    assert.match(out.result.stopReason, /target 50\.0 reached/);
    assert.ok((out.result.bestValidation.summary.mean ?? 0) >= 0.5);
    assert.ok(!out.result.trajectory.some((p) => p.level === 'param'));
  });

  it('a prompt-only scope never escalates: the ceiling is reported instead', async () => {
    const dir = workspace();
    const { writeFileSync, readFileSync } = await import('node:fs');
    const path = `${dir}/playbook.yaml`;
    writeFileSync(path, readFileSync(path, 'utf8').replace('levels: [prompt, param, structure]', 'levels: [prompt]'));
    const out = await run(dir, config());
    assert.equal(out.result.stopReason, 'every allowed level exhausted');
    assert.ok(out.result.trajectory.every((p) => p.level === 'prompt' || p.level === 'baseline'));
  });
});
