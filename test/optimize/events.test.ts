/**
 * A session reports itself as typed events: their order for an offline FAPO run (sim stand-ins),
 * stored with the session in the same order, rendered to lines by describeEvent; strategies come
 * from the registry, and an unknown name is a clear error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_CONFIG } from '../../src/cli/commands/demo.ts';
import { Store } from '../../src/eval/store.ts';
import { describeEvent, type OptimizeEvent } from '../../src/optimize/events.ts';
import { optimize, sessionEventKind } from '../../src/optimize/session.ts';
import { STRATEGIES, strategyFactory } from '../../src/optimize/strategies.ts';
import { installSimBehaviours } from '../../src/testing/index.ts';
import { FapoError } from '../../src/util/errors.ts';
import { exampleWorkspace } from '../fixtures/workspace.ts';

installSimBehaviours();

describe('optimization events', () => {
  it('a FAPO session emits, stores and renders typed events in order', async () => {
    const dir = exampleWorkspace();
    const events: OptimizeEvent[] = [];
    const out = await optimize({
      taskDir: dir,
      config: { ...DEMO_CONFIG, sandbox: false, trials: 1, budget: { ...DEMO_CONFIG.budget, maxRounds: 3 } },
      strategy: strategyFactory('fapo'),
      onEvent: (event) => events.push(event),
    });
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 3), ['session-start', 'baseline', 'round-start']);
    assert.deepEqual(types.slice(-2), ['search-stop', 'test-start']);
    assert.equal(types.filter((t) => t === 'round-start').length, 3, 'one round-start per round');
    // Every validated proposal went proposal → review → validation, in that order.
    const validations = events.filter((e) => e.type === 'validation');
    assert.equal(validations.length, out.result.trajectory.length - 1);
    for (let i = 0; i < types.length; i++) {
      if (types[i] !== 'validation') continue;
      const before = types.slice(0, i);
      assert.ok(before.lastIndexOf('review') > before.lastIndexOf('round-start'), `review before validation #${i}`);
      assert.ok(before.lastIndexOf('proposal') < before.lastIndexOf('review'));
    }
    const stop = events.at(-2);
    assert.equal(stop?.type === 'search-stop' && stop.reason, out.result.stopReason);

    const store = Store.open(dir);
    try {
      const stored = store.events<OptimizeEvent>(sessionEventKind(out.session.id)).map((e) => e.value.type);
      assert.deepEqual(stored, types);
    } finally {
      store.close();
    }
    const lines = events.flatMap(describeEvent);
    assert.match(lines[0]!, new RegExp(`^session ${out.session.id} \\(fapo`));
    assert.ok(lines.includes('scope contract:'));
  });

  it('an unknown strategy is a clear error naming the registered ones', () => {
    assert.deepEqual(
      STRATEGIES.map((s) => s.name),
      ['fapo', 'gepa'],
    );
    assert.throws(
      () => strategyFactory('dspy'),
      (err: unknown) =>
        err instanceof FapoError && /unknown strategy "dspy"/.test(err.message) && /fapo/.test(err.hint ?? ''),
    );
  });
});
