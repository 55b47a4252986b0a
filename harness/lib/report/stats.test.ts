import { describe, expect, it } from 'vitest';
import { formatCount } from './format.ts';
import { improvementPct, quantile, summarize, summarizeIterations, tCritical95 } from './stats.ts';

describe('summarize', () => {
  it('gives nulls, not NaN, for no values', () => {
    expect(summarize([])).toEqual({
      n: 0, mean: null, median: null, p95: null, min: null, max: null, stdev: null, ci95: null,
    });
  });

  it('gives no spread and no interval for one value', () => {
    const s = summarize([42]);
    expect(s).toMatchObject({ n: 1, mean: 42, median: 42, p95: 42, min: 42, max: 42, stdev: null, ci95: null });
  });

  it('computes sample stdev and a Student-t interval', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.median).toBe(4.5);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    // sum of squares 32, n − 1 = 7
    expect(s.stdev).toBeCloseTo(Math.sqrt(32 / 7), 12);
    const half = 2.365 * (Math.sqrt(32 / 7) / Math.sqrt(8));
    expect(s.ci95![0]).toBeCloseTo(5 - half, 10);
    expect(s.ci95![1]).toBeCloseTo(5 + half, 10);
  });

  it('uses the wide t value for two samples', () => {
    const s = summarize([10, 20]);
    const half = 12.706 * (Math.sqrt(50) / Math.sqrt(2));
    expect(s.ci95![1] - s.ci95![0]).toBeCloseTo(2 * half, 9);
  });

  it('interpolates p95 (type 7) and does not depend on input order', () => {
    const values = Array.from({ length: 21 }, (_, i) => 20 - i); // 0..20 reversed
    const s = summarize(values);
    expect(s.p95).toBe(19);
    expect(s.median).toBe(10);
    expect(quantile([1, 2], 0.95)).toBeCloseTo(1.95, 12);
  });

  it('rejects non-finite values with the value in the message', () => {
    expect(() => summarize([1, Number.NaN])).toThrow(/NaN/);
  });
});

describe('tCritical95', () => {
  it('approaches 1.96 for large df and rejects df < 1', () => {
    expect(tCritical95(30)).toBe(2.042);
    expect(tCritical95(45)).toBe(2.021);
    expect(tCritical95(5000)).toBe(1.96);
    expect(() => tCritical95(0)).toThrow(/got 0/);
  });
});

describe('improvementPct', () => {
  it('is positive when proactive is faster', () => {
    expect(improvementPct(2000, 8000)).toBe(75);
    expect(improvementPct(10000, 8000)).toBe(-25);
  });
  it('is null when undefined', () => {
    expect(improvementPct(1, 0)).toBeNull();
    expect(improvementPct(null, 5)).toBeNull();
    expect(improvementPct(5, null)).toBeNull();
  });
});

describe('summarizeIterations', () => {
  it('counts every iteration in m and only those with a value in n', () => {
    const s = summarizeIterations([4000, null, 6000, undefined]);
    expect(s).toMatchObject({ n: 2, m: 4, mean: 5000, median: 5000, min: 4000, max: 6000 });
    expect(formatCount(s.n, s.m)).toBe('2 of 4');
  });

  it('is n = m when nothing is missing, and 0 of m with no statistics when everything is', () => {
    expect(summarizeIterations([1, 2, 3])).toMatchObject({ n: 3, m: 3, mean: 2 });
    expect(formatCount(3, 3)).toBe('3');
    expect(summarizeIterations([null, null])).toEqual({ n: 0, m: 2, mean: null, median: null, p95: null, min: null, max: null, stdev: null, ci95: null });
    expect(formatCount(0, 2)).toBe('0 of 2');
  });
});
