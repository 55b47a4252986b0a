import { describe, expect, it } from 'vitest';
import { bootstrapMedianCi, mulberry32, seedOf } from './bootstrap.ts';

describe('mulberry32', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(mulberry32(43)()).not.toBe(mulberry32(42)());
  });

  it('seeds by label with FNV-1a (offset basis for the empty string, published test vector for "a")', () => {
    expect(seedOf('')).toBe(0x811c9dc5);
    expect(seedOf('a')).toBe(0xe40c292c);
  });
});

describe('bootstrapMedianCi', () => {
  it('is the same interval on every call for the same label', () => {
    const v = [7253.8, 7648.0, 7100.2, 8012.5, 7400.1];
    const ci = bootstrapMedianCi(v, { label: 'baseline/mttr_ms' });
    expect(bootstrapMedianCi(v, { label: 'baseline/mttr_ms' })).toEqual(ci);
    expect(ci![0]).toBeLessThanOrEqual(7400.1);
    expect(ci![1]).toBeGreaterThanOrEqual(7400.1);
    expect(ci![0]).toBeGreaterThanOrEqual(7100.2);
    expect(ci![1]).toBeLessThanOrEqual(8012.5);
  });

  it('spans the two values of a pair: resampled medians are a, (a+b)/2, b with probabilities ¼, ½, ¼', () => {
    // the 2.5 % and 97.5 % quantiles of that distribution are a and b
    expect(bootstrapMedianCi([10, 20], { label: 'pair' })).toEqual([10, 20]);
  });

  it('is a point for constant data, null for fewer than two values, and rejects bad input', () => {
    expect(bootstrapMedianCi([0, 0, 0, 0], { label: 'x' })).toEqual([0, 0]);
    expect(bootstrapMedianCi([5], { label: 'x' })).toBeNull();
    expect(bootstrapMedianCi([], { label: 'x' })).toBeNull();
    expect(() => bootstrapMedianCi([1, Infinity], { label: 'x' })).toThrow(/Infinity/);
    expect(() => bootstrapMedianCi([1, 2], { label: 'x', level: 95 })).toThrow(/got 95/);
  });

  it('narrows with more data: 40 values from 0..39 give an interval around 19.5 well inside the range', () => {
    const ci = bootstrapMedianCi(Array.from({ length: 40 }, (_, i) => i), { label: 'wide' })!;
    expect(ci[0]).toBeGreaterThan(12);
    expect(ci[1]).toBeLessThan(27);
    expect(ci[0]).toBeLessThan(19.5);
    expect(ci[1]).toBeGreaterThan(19.5);
  });
});
