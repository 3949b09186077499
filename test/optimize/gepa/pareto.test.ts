import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type InstanceFronts,
  frontFrequencies,
  removeDominated,
  selectParent,
  updateFronts,
} from '../../../src/optimize/gepa/pareto.ts';
import { rngFor } from '../../../src/optimize/gepa/rng.ts';

test('fronts: a strictly better score replaces the front, an equal score joins it', () => {
  const fronts: InstanceFronts = {};
  updateFronts(fronts, 0, { a: 0.5, b: 1, c: 0 });
  updateFronts(fronts, 1, { a: 0.5, b: 0, c: 1 });
  updateFronts(fronts, 2, { a: 0.9, b: 1, c: 0.5 });
  assert.deepEqual(fronts, {
    a: { best: 0.9, programs: [2] },
    b: { best: 1, programs: [0, 2] },
    c: { best: 1, programs: [1] },
  });
});

test('dominated programs (every front they are on has another survivor) are removed, lowest aggregate first', () => {
  // 0 is only on fronts that 2 is also on → dominated; 1 is alone on c → survives; 2 alone on a.
  const fronts: InstanceFronts = {
    a: { best: 1, programs: [2] },
    b: { best: 1, programs: [0, 2] },
    c: { best: 1, programs: [1] },
  };
  const agg = [0.3, 0.4, 0.6];
  assert.deepEqual(
    removeDominated(fronts, (p) => agg[p]!),
    { a: [2], b: [2], c: [1] },
  );
  assert.deepEqual(
    [...frontFrequencies(fronts, (p) => agg[p]!)],
    [
      [2, 2],
      [1, 1],
    ],
  );
});

test('a tie between two programs on every instance keeps exactly one: the one visited later (higher aggregate) survives', () => {
  const fronts: InstanceFronts = { a: { best: 1, programs: [0, 1] }, b: { best: 1, programs: [0, 1] } };
  assert.deepEqual(
    removeDominated(fronts, (p) => [0.2, 0.8][p]!),
    { a: [1], b: [1] },
  );
  // Equal aggregates: stable order of first appearance, so 0 is visited (and removed) first.
  assert.deepEqual(
    removeDominated(fronts, () => 0.5),
    { a: [1], b: [1] },
  );
});

test('removal repeats until stable, but never empties a front', () => {
  const fronts: InstanceFronts = {
    a: { best: 1, programs: [0, 1, 2] },
    b: { best: 1, programs: [1, 2] },
    c: { best: 1, programs: [2, 3] },
  };
  // 0 falls (a has 1, 2), then 1 (a and b have 2), then 3 (c has 2): 2 alone covers every front.
  const kept = removeDominated(fronts, (p) => p / 10);
  for (const programs of Object.values(kept)) assert.ok(programs.length >= 1);
  assert.deepEqual(kept, { a: [2], b: [2], c: [2] });
});

test('parents are drawn in proportion to the number of fronts they are on; dominated ones never', () => {
  const fronts: InstanceFronts = {
    v1: { best: 1, programs: [1] },
    v2: { best: 1, programs: [1] },
    v3: { best: 1, programs: [1, 0] },
    v4: { best: 1, programs: [2] },
  };
  const agg = [0.1, 0.7, 0.3];
  const counts = [0, 0, 0];
  const rng = rngFor(7, 'parents');
  for (let k = 0; k < 4000; k++) counts[selectParent(rng, fronts, (p) => agg[p]!)]!++;
  assert.equal(counts[0], 0);
  assert.ok(Math.abs(counts[1]! / 4000 - 0.75) < 0.03, `program 1 drawn ${counts[1]} times`);
  assert.ok(Math.abs(counts[2]! / 4000 - 0.25) < 0.03, `program 2 drawn ${counts[2]} times`);
});

test('parent selection is reproducible from the seed', () => {
  const fronts: InstanceFronts = {
    a: { best: 1, programs: [0] },
    b: { best: 1, programs: [1] },
    c: { best: 1, programs: [2] },
  };
  const draw = (seed: number) =>
    Array.from({ length: 20 }, (_, i) => selectParent(rngFor(seed, `parent:${i}`), fronts, () => 0));
  assert.deepEqual(draw(3), draw(3));
  assert.notDeepEqual(draw(3), draw(4));
});
