import { quantile } from './stats.ts';

/**
 * Mulberry32, a small 32-bit PRNG: seeded, so that a bootstrap interval, and with it the report,
 * is the same on every render of the same journal.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a (32 bit) of a label: each metric gets a stream of its own, independent of which others a run has. */
export function seedOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export const BOOTSTRAP_RESAMPLES = 10_000;

export interface BootstrapOptions {
  /** Names the stream of random numbers (e.g. "scenario1/mttr_ms"); the same label gives the same interval. */
  label: string;
  resamples?: number;
  /** Coverage of the interval, 0.95 for a 95 % interval. */
  level?: number;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Percentile bootstrap interval of the median: the median of `resamples` samples drawn with
 * replacement, and the (1 − level)/2 and (1 + level)/2 quantiles of those medians. null for fewer
 * than two values, where every resample is the one value and the interval would claim a certainty
 * the data does not have.
 */
export function bootstrapMedianCi(values: readonly number[], options: BootstrapOptions): [number, number] | null {
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`bootstrap: every value must be finite, got ${bad}`);
  const { label, resamples = BOOTSTRAP_RESAMPLES, level = 0.95 } = options;
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level must be between 0 and 1, got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  const n = values.length;
  if (n < 2) return null;
  const random = mulberry32(seedOf(label));
  const sample = new Float64Array(n);
  const medians = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(random() * n)];
    sample.sort();
    medians[b] = median(sample);
  }
  medians.sort();
  const sorted = Array.from(medians);
  const tail = (1 - level) / 2;
  return [quantile(sorted, tail)!, quantile(sorted, 1 - tail)!];
}
