import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GepaEngine } from '../../../src/optimize/gepa/engine.ts';
import { parseGepaOptions, type GepaOptionsInput } from '../../../src/optimize/gepa/options.ts';
import type { GepaState } from '../../../src/optimize/gepa/state.ts';
import { type FakeWorld, appendRule, currentInstruction, fakeContext, structureOf } from './fake-context.ts';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

/**
 * Cases 1-3 need RA in component a, cases 4-6 need RB in b; each rule costs the other group 0.1. So
 * seed → RA and seed → RB are both on the Pareto front, and their merge (RA + RB) solves everything.
 */
function splitWorld(over: Partial<FakeWorld> & { bothBreaks?: boolean; nVal?: number } = {}): FakeWorld {
  return {
    components: ['a', 'b'],
    trainIds: ids('t', 6),
    valIds: ids('v', over.nVal ?? 6),
    score: (p, id) => {
      const groupA = Number(id.slice(1)) <= 3;
      const [ra, rb] = [p.a!.includes('RA'), p.b!.includes('RB')];
      if (over.bothBreaks && ra && rb) return 0;
      const [mine, other] = groupA ? [ra, rb] : [rb, ra];
      return mine ? 1 : other ? 0.4 : 0.5;
    },
    reflect: (prompt) => appendRule(prompt, currentInstruction(prompt).includes('Do a.') ? 'RA' : 'RB'),
    ...over,
  };
}

async function run(world: FakeWorld, options: GepaOptionsInput, seed = 0) {
  const fake = fakeContext(world, { seed });
  await new GepaEngine(fake.ctx, parseGepaOptions(options), structureOf(world.components) as never).run();
  return { ...fake, state: fake.docs.get('gepa') as GepaState };
}

test('merge: siblings on the front merge through their common ancestor, per-component, gated on a balanced 5-id subsample', async () => {
  const r = await run(splitWorld(), { maxMetricCalls: 80, useMerge: true });
  const k = r.state.iterations.findIndex((it) => it.kind === 'merge');
  assert.ok(k > 0, 'a merge happened');
  const it = r.state.iterations[k]!;
  assert.equal(r.state.iterations[k - 1]!.accepted, true, 'only right after an accepted proposal');
  assert.deepEqual([it.merge!.i, it.merge!.j, it.merge!.ancestor], [1, 2, 0]);
  assert.deepEqual(it.merge!.takenFrom, [1, 2], 'a from the side that changed a, b from the side that changed b');
  assert.equal(new Set(it.merge!.subsample).size, 5);
  assert.equal(it.merge!.subsample.filter((id) => Number(id.slice(1)) <= 3).length >= 2, true);
  assert.equal(it.merge!.subsample.filter((id) => Number(id.slice(1)) > 3).length >= 2, true);
  assert.ok(it.merge!.childSum >= Math.max(...it.merge!.parentSums));
  assert.equal(it.accepted, true);
  const merged = r.state.candidates[it.added!]!;
  assert.deepEqual(merged.parents, [1, 2]);
  assert.equal(merged.origin, 'merge');
  assert.ok(merged.prompts.a!.includes('RA') && merged.prompts.b!.includes('RB'));
  assert.equal(
    it.metricCallsAfter - r.state.iterations[k - 1]!.metricCallsAfter,
    5 + 6,
    'gate subsample, then the full valset',
  );
  assert.equal(r.state.merge.totalAccepted, 1);
});

test('merge is off by default, and maxMergeInvocations 0 never schedules one', async () => {
  for (const options of [{ maxMetricCalls: 80 }, { maxMetricCalls: 80, useMerge: true, maxMergeInvocations: 0 }]) {
    const r = await run(splitWorld(), options);
    assert.equal(r.state.iterations.filter((it) => it.kind === 'merge').length, 0, JSON.stringify(options));
    assert.equal(r.state.merge.due, 0);
  }
});

test('the cap counts accepted merges: at most maxMergeInvocations are accepted', async () => {
  let merged = 0;
  for (let seed = 0; seed < 4; seed++) {
    const r = await run(splitWorld(), { maxMetricCalls: 150, useMerge: true, maxMergeInvocations: 1 }, seed);
    const accepted = r.state.iterations.filter((it) => it.kind === 'merge' && it.accepted).length;
    assert.ok(accepted <= 1, `seed ${seed}: ${accepted} merges`);
    merged += accepted;
  }
  assert.ok(merged >= 1, 'the scenario does merge');
});

test('a merge whose child does worse on the subsample is rejected and adds nothing', async () => {
  const r = await run(splitWorld({ bothBreaks: true }), { maxMetricCalls: 80, useMerge: true });
  const merges = r.state.iterations.filter((it) => it.kind === 'merge');
  assert.ok(merges.length >= 1);
  for (const it of merges) {
    assert.equal(it.accepted, false);
    assert.equal(it.added, undefined);
    assert.ok(it.merge!.childSum < Math.max(...it.merge!.parentSums));
  }
  assert.equal(r.state.merge.totalAccepted, 0);
  assert.ok(r.state.candidates.every((c) => c.origin !== 'merge'));
});

test('the overlap gate: parents sharing fewer than 5 validation ids are never merged', async () => {
  const r = await run(splitWorld({ nVal: 4, valIds: ['v1', 'v2', 'v4', 'v5'] }), {
    maxMetricCalls: 80,
    useMerge: true,
  });
  assert.ok(r.state.candidates.length >= 3, 'siblings exist');
  assert.equal(r.state.iterations.filter((it) => it.kind === 'merge').length, 0);
  const lowered = await run(splitWorld({ valIds: ['v1', 'v2', 'v4', 'v5'] }), {
    maxMetricCalls: 80,
    useMerge: true,
    mergeValOverlapFloor: 4,
    mergeSubsampleSize: 4,
  });
  assert.ok(lowered.state.iterations.some((it) => it.kind === 'merge'));
});
