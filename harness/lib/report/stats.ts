import type { IterationSummary, Summary } from '../config/types.ts';

// Two-sided 95 % Student t critical values t(0.975, df) for df = 1..30.
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const T_975_LARGE: ReadonlyArray<[number, number]> = [
  [40, 2.021],
  [60, 2.0],
  [120, 1.98],
];

/** t(0.975, df); conservative (the value of the next smaller tabulated df) between table rows. */
export function tCritical95(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`degrees of freedom must be an integer >= 1, got ${df}`);
  if (df <= T_975.length) return T_975[df - 1];
  let value = T_975[T_975.length - 1];
  for (const [row, t] of T_975_LARGE) if (df >= row) value = t;
  return df > 1000 ? 1.96 : value;
}

/** Quantile with linear interpolation between order statistics (R type 7, as numpy's default). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** n, mean, median, p95, min, max, sample stdev and the 95 % CI of the mean. Non-finite inputs are rejected. */
export function summarize(values: readonly number[]): Summary {
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`summarize: every value must be finite, got ${bad}`);
  const n = values.length;
  if (n === 0) return { n, mean: null, median: null, p95: null, min: null, max: null, stdev: null, ci95: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  let stdev: number | null = null;
  let ci95: [number, number] | null = null;
  if (n >= 2) {
    const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
    stdev = Math.sqrt(ss / (n - 1));
    const half = tCritical95(n - 1) * (stdev / Math.sqrt(n));
    ci95 = [mean - half, mean + half];
  }
  return {
    n,
    mean,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    min: sorted[0],
    max: sorted[n - 1],
    stdev,
    ci95,
  };
}

/**
 * The statistics of one metric over m iterations, of which n have a value: an iteration without one
 * (a timeout, a failed iteration, a key it never wrote) is counted in m, so a table can say "2 of 3"
 * instead of quietly averaging over the iterations that happened to succeed.
 */
export function summarizeIterations(values: ReadonlyArray<number | null | undefined>): IterationSummary {
  const present = values.filter((v): v is number => typeof v === 'number');
  return { ...summarize(present), m: values.length };
}

/**
 * How much smaller the proactive value is than the reactive one, in % of the reactive value
 * (positive = proactive better). null when either is missing or the reactive value is 0.
 */
export function improvementPct(proactive: number | null, reactive: number | null): number | null {
  if (proactive === null || reactive === null || !Number.isFinite(proactive) || !Number.isFinite(reactive)) return null;
  if (reactive === 0) return null;
  return ((reactive - proactive) / reactive) * 100;
}
