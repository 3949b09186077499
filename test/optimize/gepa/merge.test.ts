import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ancestors,
  findCommonAncestorPair,
  isDesirable,
  type MergeMemory,
  type MergeView,
  mergeSubsample,
  planMerge,
} from '../../../src/optimize/gepa/merge.ts';
import { rngFor } from '../../../src/optimize/gepa/rng.ts';

// 0 (seed) → 1 (changed a), 0 → 2 (changed b), 1 → 3 (changed a and b)
const view: MergeView = {
  components: ['a', 'b', 'c'],
  prompts: [
    { a: 'a0', b: 'b0', c: 'c0' },
    { a: 'a1', b: 'b0', c: 'c0' },
    { a: 'a0', b: 'b2', c: 'c0' },
    { a: 'a3', b: 'b3', c: 'c0' },
  ],
  parents: [[], [0], [0], [1]],
  aggregate: [0.2, 0.5, 0.6, 0.7],
};
const fresh = (): MergeMemory => ({ triples: [], compositions: [] });
const always = () => true;

test('ancestors follow parent links transitively', () => {
  assert.deepEqual([...ancestors(view, 3)].sort(), [0, 1]);
  assert.deepEqual([...ancestors(view, 0)], []);
});

test('desirable: one side still has the ancestor’s text for a component the other side changed', () => {
  assert.equal(isDesirable(view, 0, 1, 2), true);
  const same: MergeView = {
    ...view,
    prompts: [view.prompts[0]!, { a: 'x', b: 'b0', c: 'c0' }, { a: 'x', b: 'b0', c: 'c0' }],
  };
  assert.equal(isDesirable(same, 0, 1, 2), false);
});

test('pairs where one is an ancestor of the other are never merged; the common ancestor must score no higher than both', () => {
  for (let s = 0; s < 30; s++) {
    const found = findCommonAncestorPair(rngFor(s, 'pair'), view, [0, 1, 2, 3], fresh());
    if (!found) continue;
    const [i, j, a] = found;
    assert.ok(!ancestors(view, i).has(j) && !ancestors(view, j).has(i), `${i},${j}`);
    assert.ok(view.aggregate[a]! <= Math.min(view.aggregate[i]!, view.aggregate[j]!));
  }
  const higherAncestor: MergeView = { ...view, aggregate: [0.9, 0.5, 0.6, 0.7] };
  assert.equal(findCommonAncestorPair(rngFor(1, 'pair'), higherAncestor, [1, 2], fresh()), undefined);
});

test('the child takes each component from the side that changed it, and from the better side when both changed', () => {
  const plan = planMerge(rngFor(0, 'merge'), view, [1, 2], fresh(), always)!;
  assert.deepEqual([plan.i, plan.j, plan.ancestor], [1, 2, 0]);
  assert.deepEqual(plan.prompts, { a: 'a1', b: 'b2', c: 'c0' });
  assert.deepEqual(plan.takenFrom, [1, 2, 1]);

  // 3 vs 2 with ancestor 0: a changed only by 3; b changed by both → 3 (0.7 > 0.6).
  const plan32 = planMerge(rngFor(0, 'merge'), view, [2, 3], fresh(), always)!;
  assert.deepEqual(plan32.prompts, { a: 'a3', b: 'b3', c: 'c0' });
  assert.deepEqual(plan32.takenFrom.slice(0, 2), [3, 3]);

  // Equal scores: the tie is broken by the seeded generator, and either side can win.
  const tied: MergeView = { ...view, aggregate: [0.2, 0.5, 0.6, 0.6] };
  const winners = new Set(
    Array.from({ length: 20 }, (_, s) => planMerge(rngFor(s, 'merge'), tied, [2, 3], fresh(), always)!.prompts.b),
  );
  assert.deepEqual([...winners].sort(), ['b2', 'b3']);
});

test('a triple or composition already tried is not proposed again; too few shared validation ids block the pair', () => {
  const memory = fresh();
  assert.ok(planMerge(rngFor(0, 'merge'), view, [1, 2], memory, always));
  assert.equal(planMerge(rngFor(1, 'merge'), view, [1, 2], memory, always), undefined, 'same composition');
  assert.equal(
    planMerge(rngFor(0, 'merge'), view, [1, 2], fresh(), () => false),
    undefined,
    'overlap gate',
  );
  const two: MergeView = {
    ...view,
    prompts: view.prompts.slice(0, 2),
    parents: view.parents.slice(0, 2),
    aggregate: view.aggregate.slice(0, 2),
  };
  assert.equal(planMerge(rngFor(0, 'merge'), two, [0, 1], fresh(), always), undefined, 'needs at least 3 candidates');
});

test('the gate subsample balances ids where i wins, j wins, and ties', () => {
  const si = { w1: 1, w2: 1, w3: 1, l1: 0, l2: 0, l3: 0, t1: 1, t2: 1 };
  const sj = { w1: 0, w2: 0, w3: 0, l1: 1, l2: 1, l3: 1, t1: 1, t2: 1 };
  const ids = mergeSubsample(rngFor(0, 'sub'), si, sj, 5);
  assert.equal(ids.length, 5);
  assert.equal(new Set(ids).size, 5);
  assert.equal(ids.filter((id) => id.startsWith('w')).length, 2);
  assert.equal(ids.filter((id) => id.startsWith('l')).length, 2);
  assert.equal(ids.filter((id) => id.startsWith('t')).length, 1);
  // Fewer common ids than asked: all of them, then repeats drawn from them.
  const small = mergeSubsample(rngFor(0, 'sub'), { a: 1, b: 0 }, { a: 0, b: 0, c: 1 }, 5);
  assert.equal(small.length, 5);
  assert.ok(small.every((id) => id === 'a' || id === 'b'));
});
