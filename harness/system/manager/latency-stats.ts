export interface LatencySummary {
  n: number;
  median: number;
  p99: number;
  max: number;
}

/**
 * n, median, p99 and max of a benchmark's samples. The median averages the two middle values of an
 * even count; p99 is the nearest-rank percentile (the smallest sample with at least 99 % of the
 * samples at or below it), as in the lab benchmark (lab-alerts.ts), so the two can be compared.
 * Empty input: n 0 and NaN figures, which print as such rather than as a fake 0.
 */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`latency samples must be finite numbers, got ${bad}`);
  const n = values.length;
  if (n === 0) return { n, median: NaN, p99: NaN, max: NaN };
  const s = [...values].sort((a, b) => a - b);
  const m = n >> 1;
  return { n, median: n % 2 ? s[m] : (s[m - 1] + s[m]) / 2, p99: nearestRank(s, 99), max: s[n - 1] };
}

/** Nearest-rank percentile of an ascending array. */
export function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
