/** What every benchmark metric returns: a score in [0,1] and the numbers it was computed from. */
export interface MetricResult {
  score: number;
  breakdown: Record<string, number>;
}
