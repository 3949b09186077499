import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  aggregateTrialMeans,
  holmAdjust,
  mean,
  meanByCase,
  pairedBootstrap,
  pairedPermutationTest,
  quantileSorted,
  sampleSd,
} from '../../src/eval/stats.ts';
import { lcg } from '../../src/util/random.ts';
import { FapoError } from '../../src/util/errors.ts';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

/** Synthetic paired scores: b is a noisy baseline, a = b + effect + noise. */
function synthetic(n: number, effect: number, seed: number): { a: number[]; b: number[] } {
  const rnd = lcg(seed);
  const b = Array.from({ length: n }, () => rnd());
  const a = b.map((x) => x + effect + (rnd() - 0.5) * 0.6);
  return { a, b };
}

test('mean and sample SD (n − 1)', () => {
  close(mean([2, 4, 4, 4, 5, 5, 7, 9]), 5);
  close(sampleSd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
  assert.equal(sampleSd([3]), 0);
  assert.throws(() => mean([]), FapoError);
});

test('trial aggregation skips trials without scored cases', () => {
  const agg = aggregateTrialMeans([0.75, null, 0.5]);
  close(agg.mean!, 0.625);
  close(agg.sd, 0.25 / Math.SQRT2);
  assert.deepEqual(aggregateTrialMeans([null]), { mean: null, sd: 0 });
  assert.deepEqual(
    meanByCase([
      { caseId: 'a', score: 1 },
      { caseId: 'b', score: 0 },
      { caseId: 'a', score: 0 },
    ]),
    new Map([
      ['a', 0.5],
      ['b', 0],
    ]),
  );
});

test('quantile interpolates like R type 7', () => {
  close(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  close(quantileSorted([1, 2, 3, 4], 0.025), 1.075);
});

test('paired bootstrap is deterministic for a seed and its CI contains the true difference', () => {
  const { a, b } = synthetic(200, 0.1, 7);
  const r1 = pairedBootstrap(a, b, { seed: 42 });
  const r2 = pairedBootstrap(a, b, { seed: 42 });
  assert.deepEqual(r1, r2);
  assert.notDeepEqual(pairedBootstrap(a, b, { seed: 43 }), r1);
  close(r1.meanDiff, mean(a) - mean(b));
  assert.ok(r1.low < 0.1 && 0.1 < r1.high, `CI [${r1.low}, ${r1.high}] misses 0.1`);
  assert.ok(r1.low > 0, 'a clear effect should exclude 0');

  // Coverage of a nominal 90% interval over independent synthetic datasets.
  let covered = 0;
  const datasets = 60;
  for (let s = 1; s <= datasets; s++) {
    const d = synthetic(60, 0.05, 1000 + s);
    const ci = pairedBootstrap(d.a, d.b, { iterations: 500, alpha: 0.1, seed: s });
    if (ci.low <= 0.05 && 0.05 <= ci.high) covered++;
  }
  assert.ok(covered / datasets >= 0.8, `coverage ${covered}/${datasets}`);
});

test('pairing matters: a shared per-case offset does not widen the interval', () => {
  const rnd = lcg(3);
  const b = Array.from({ length: 100 }, () => rnd() * 10);
  const a = b.map((x) => x + 1);
  const r = pairedBootstrap(a, b, { seed: 1 });
  close(r.low, 1);
  close(r.high, 1);
  assert.throws(() => pairedBootstrap([1, 2], [1]), FapoError);
});

test('sign-flip permutation test: exact for small n, seeded sampling otherwise', () => {
  // Three positive differences: only the all-plus and all-minus patterns are as extreme → 2/8.
  close(pairedPermutationTest([1, 1, 1], [0, 0, 0]), 0.25);
  close(pairedPermutationTest([1, 0], [0, 1]), 1);
  const effect = synthetic(200, 0.1, 11);
  const p = pairedPermutationTest(effect.a, effect.b, { seed: 5 });
  assert.equal(p, pairedPermutationTest(effect.a, effect.b, { seed: 5 }));
  assert.ok(p < 0.01, `p = ${p}`);
  const none = synthetic(200, 0, 12);
  assert.ok(pairedPermutationTest(none.a, none.b, { seed: 5, iterations: 2000 }) > 0.05);
});

test('Holm adjustment matches the textbook example', () => {
  // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
  const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((x, i) => void close(adj[i]!, x));
  assert.deepEqual(holmAdjust([0.5, 0.9]), [1, 1]);
  assert.deepEqual(holmAdjust([]), []);
});
