/**
 * Mann–Whitney U rank test of two independent samples, two-sided. Exact null distribution of U for
 * small samples without ties; otherwise the normal approximation with tie and continuity
 * correction (as scipy.stats.mannwhitneyu does with method "asymptotic").
 */

/** Largest sample size (each side) for which the exact distribution is used; C(50, 25) counts stay exact in doubles. */
export const EXACT_MAX_N = 25;

export type RankMethod = 'exact' | 'normal';

export interface RankTest {
  /** U of the first sample: the pairs (x, y) with x > y, ties counting ½. 0 = every x below every y. */
  u: number;
  nX: number;
  nY: number;
  /** Two-sided p-value. */
  p: number;
  method: RankMethod;
  /** Normal approximation only: the continuity-corrected z of |U − nX·nY/2|. */
  z?: number;
}

export function describeMethod(method: RankMethod): string {
  return method === 'exact' ? 'exact' : 'normal approx., tie-corrected';
}

/** Midranks (1-based) of the pooled values, and Σ(t³ − t) over groups of t tied values. */
function ranks(pooled: readonly number[]): { rank: number[]; tieSum: number } {
  const order = pooled.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const rank = new Array<number>(pooled.length);
  let tieSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const t = j - i + 1;
    for (let k = i; k <= j; k++) rank[order[k][1]] = (i + j) / 2 + 1;
    tieSum += t ** 3 - t;
    i = j + 1;
  }
  return { rank, tieSum };
}

/**
 * Number of arrangements of m x's and n y's giving each U = 0 … m·n, by the recurrence of Mann and
 * Whitney (1947): the largest value is an x (which then beats all n y's) or a y.
 */
export function exactCounts(m: number, n: number): number[] {
  // table[j] holds the counts for (i, j) while i runs from 0 to m
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const counts = new Array<number>(i * j + 1).fill(0);
      prev[j].forEach((c, u) => { counts[u + j] += c; });
      cur[j - 1].forEach((c, u) => { counts[u] += c; });
      cur.push(counts);
    }
    prev = cur;
  }
  return prev[n];
}

/** Standard normal upper tail via erfc (Numerical Recipes' erfcc, fractional error < 1.2e-7). */
export function normalSf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * The test of x against y; null when either sample is empty. Non-finite values are rejected.
 * `method: 'normal'` forces the approximation (to compare with published asymptotic values).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], options: { method?: 'auto' | 'normal' } = {}): RankTest | null {
  const bad = [...x, ...y].find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`Mann–Whitney: every value must be finite, got ${bad}`);
  const nX = x.length;
  const nY = y.length;
  if (nX === 0 || nY === 0) return null;
  const { rank, tieSum } = ranks([...x, ...y]);
  const rankSumX = rank.slice(0, nX).reduce((s, r) => s + r, 0);
  const u = rankSumX - (nX * (nX + 1)) / 2;
  const mean = (nX * nY) / 2;
  if (options.method !== 'normal' && tieSum === 0 && nX <= EXACT_MAX_N && nY <= EXACT_MAX_N) {
    const counts = exactCounts(nX, nY);
    const total = counts.reduce((s, c) => s + c, 0);
    const tail = Math.min(u, nX * nY - u);
    let below = 0;
    for (let k = 0; k <= tail; k++) below += counts[k];
    return { u, nX, nY, p: Math.min(1, (2 * below) / total), method: 'exact' };
  }
  const n = nX + nY;
  const variance = ((nX * nY) / 12) * (n + 1 - tieSum / (n * (n - 1)));
  // all values tied: no evidence either way
  if (!(variance > 0)) return { u, nX, nY, p: 1, method: 'normal', z: 0 };
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, nX, nY, p: Math.min(1, 2 * normalSf(z)), method: 'normal', z };
}
