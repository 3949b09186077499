import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EpochBatchSampler } from '../../../src/optimize/gepa/batch-sampler.ts';

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

test('each epoch is a seeded shuffle of every id, padded to a multiple of b with the least-used ids', () => {
  const sampler = new EpochBatchSampler(ids, 3, 0);
  const epoch0 = [0, 1, 2].flatMap((i) => sampler.next(i));
  assert.equal(epoch0.length, 9);
  assert.deepEqual(new Set(epoch0), new Set(ids)); // every id at least once
  assert.equal(sampler.currentEpoch, 0);
  const epoch1 = [3, 4, 5].flatMap((i) => sampler.next(i));
  assert.equal(sampler.currentEpoch, 1);
  assert.deepEqual(new Set(epoch1), new Set(ids));
  assert.notDeepEqual(epoch1, epoch0, 'the next epoch is reshuffled');
  // Padding goes to the least-used ids: over two epochs no id is used more than one time above another.
  const uses = new Map<string, number>();
  for (const id of [...epoch0, ...epoch1]) uses.set(id, (uses.get(id) ?? 0) + 1);
  assert.ok(Math.max(...uses.values()) - Math.min(...uses.values()) <= 1, JSON.stringify([...uses]));
});

test('minibatches are a pure function of the seed and the iteration', () => {
  const run = (seed: number) => {
    const s = new EpochBatchSampler(ids, 3, seed);
    return Array.from({ length: 8 }, (_, i) => s.next(i).join(''));
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
});

test('iterations that take no minibatch (merges) still advance the slice: iteration i takes slice i·b', () => {
  const a = new EpochBatchSampler(ids, 3, 1);
  const all = [0, 1, 2].map((i) => a.next(i));
  const b = new EpochBatchSampler(ids, 3, 1);
  assert.deepEqual(b.next(2), all[2]);
});

test('a train set that divides evenly is not padded', () => {
  const s = new EpochBatchSampler(['a', 'b', 'c', 'd', 'e', 'f'], 3, 0);
  const epoch = [s.next(0), s.next(1)].flat();
  assert.equal(new Set(epoch).size, 6);
});
