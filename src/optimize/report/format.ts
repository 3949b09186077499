/** Number formatting shared by the Markdown and HTML renderings: scores are fractions shown as points. */

export const points = (x: number | null | undefined): string =>
  x === null || x === undefined ? '—' : (100 * x).toFixed(1);

export const signedPoints = (x: number): string => `${x >= 0 ? '+' : '−'}${points(Math.abs(x))}`;

export const meanSd = (mean: number | null, sd: number | null): string =>
  mean === null ? 'n/a' : `${points(mean)} ± ${points(sd ?? 0)}`;

export const interval = (ci: { low: number; high: number }): string => `[${points(ci.low)}, ${points(ci.high)}]`;

export const percent = (fraction: number | null): string =>
  fraction === null ? '—' : `${(100 * fraction).toFixed(0)}%`;

export const usd = (x: number): string => `$${x.toFixed(4)}`;

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export const integer = (n: number): string => n.toLocaleString('en-US');

/** Permutation p-values are resampling estimates: below 0.001 they are reported as a bound. */
export const pValue = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);
