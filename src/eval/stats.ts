/**
 * Statistics for comparing variants.
 *
 * Hand-written rather than taken from simple-statistics: it has mean/SD but no bootstrap, and its
 * permutation test is unpaired and unseeded; we need paired, seeded, reproducible versions.
 *
 * SD convention: `sampleSd` is the sample standard deviation with Bessel's correction (n − 1),
 * defined as 0 for fewer than two values. Run summaries use it over per-trial means.
 */
import { FapoError } from '../util/errors.ts';
import { lcg } from '../util/random.ts';

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new FapoError('mean of an empty list is undefined');
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample standard deviation (n − 1 denominator); 0 when there are fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/**
 * Aggregates per-trial means into a run score: the mean of the trial means and their sample SD.
 * Trials without any scored case (`null`) are skipped rather than counted as zero.
 */
export function aggregateTrialMeans(trialMeans: readonly (number | null)[]): { mean: number | null; sd: number } {
  const scored = trialMeans.filter((m): m is number => m !== null);
  if (scored.length === 0) return { mean: null, sd: 0 };
  return { mean: mean(scored), sd: sampleSd(scored) };
}

/**
 * Per-case mean over trials, for paired comparisons: `rows` are (caseId, score) pairs from any number
 * of trials; the result maps each case to the mean of its scores.
 */
export function meanByCase(rows: Iterable<{ caseId: string; score: number }>): Map<string, number> {
  const acc = new Map<string, { sum: number; n: number }>();
  for (const { caseId, score } of rows) {
    const a = acc.get(caseId) ?? { sum: 0, n: 0 };
    a.sum += score;
    a.n += 1;
    acc.set(caseId, a);
  }
  return new Map([...acc].map(([id, a]) => [id, a.sum / a.n]));
}

/** Quantile with linear interpolation between order statistics (R type 7) of an ascending array. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new FapoError('quantile of an empty list is undefined');
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function checkPaired(a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length || a.length === 0) {
    throw new FapoError(
      `paired comparison needs two non-empty arrays of equal length (got ${a.length} and ${b.length})`,
      'align both score arrays on the same case ids before comparing',
    );
  }
}

export interface BootstrapOptions {
  iterations?: number;
  alpha?: number;
  seed?: number;
}

export interface BootstrapResult {
  /** mean(a) − mean(b) on the original data. */
  meanDiff: number;
  /** Percentile confidence interval of the mean difference at level 1 − alpha. */
  low: number;
  high: number;
}

/**
 * Paired percentile bootstrap of mean(a) − mean(b), where a[i] and b[i] are scores on the same case.
 * Each iteration resamples case indices once and applies them to both arms, which keeps the pairing.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  { iterations = 2000, alpha = 0.05, seed = 1 }: BootstrapOptions = {},
): BootstrapResult {
  checkPaired(a, b);
  const n = a.length;
  const diffs = a.map((x, i) => x - b[i]!);
  const rnd = lcg(seed);
  const means = new Float64Array(iterations);
  for (let it = 0; it < iterations; it++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += diffs[Math.floor(rnd() * n)]!;
    means[it] = sum / n;
  }
  means.sort();
  const sorted = Array.from(means);
  return { meanDiff: mean(diffs), low: quantileSorted(sorted, alpha / 2), high: quantileSorted(sorted, 1 - alpha / 2) };
}

/**
 * Two-sided paired sign-flip permutation test of H0: mean(a − b) = 0. Enumerates all 2^n sign patterns
 * when that is no more than `iterations`, otherwise samples them with the seeded LCG and returns the
 * (count + 1) / (iterations + 1) estimate, which is never 0.
 */
export function pairedPermutationTest(
  a: readonly number[],
  b: readonly number[],
  { iterations = 10000, seed = 1 }: { iterations?: number; seed?: number } = {},
): number {
  checkPaired(a, b);
  const diffs = a.map((x, i) => x - b[i]!);
  const n = diffs.length;
  // Tolerance so that floating-point noise does not make the observed pattern "less extreme" than itself.
  const observed = Math.abs(diffs.reduce((s, d) => s + d, 0)) - 1e-12;
  const extreme = (signOf: (j: number) => number): boolean => {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += signOf(j) * diffs[j]!;
    return Math.abs(sum) >= observed;
  };
  if (n < 31 && 2 ** n <= iterations) {
    let count = 0;
    for (let mask = 0; mask < 2 ** n; mask++) if (extreme((j) => ((mask >>> j) & 1 ? -1 : 1))) count++;
    return count / 2 ** n;
  }
  const rnd = lcg(seed);
  let count = 0;
  for (let it = 0; it < iterations; it++) if (extreme(() => (rnd() < 0.5 ? -1 : 1))) count++;
  return (count + 1) / (iterations + 1);
}

/**
 * Holm–Bonferroni step-down adjustment. Returns adjusted p-values in the input order; reject H_i at
 * family-wise level alpha when adjusted[i] <= alpha.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
