import { describe, expect, it } from 'vitest';
import { nearestRank, summarizeLatencies } from './latency-stats.ts';

describe('summarizeLatencies', () => {
  it('median of an odd and of an even count, whatever the order', () => {
    expect(summarizeLatencies([5, 1, 3]).median).toBe(3);
    expect(summarizeLatencies([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('p99 is the nearest rank: of 1 … 100 it is 99, of 1 … 1000 it is 990, of 1 … 2001 it is 1981', () => {
    const range = (n: number) => Array.from({ length: n }, (_, i) => n - i); // descending: it must sort
    expect(summarizeLatencies(range(100)).p99).toBe(99);
    expect(summarizeLatencies(range(1000)).p99).toBe(990);
    expect(summarizeLatencies(range(2001)).p99).toBe(1981);
    expect(summarizeLatencies(range(2001))).toMatchObject({ n: 2001, median: 1001, max: 2001 });
  });

  it('one outlier in a hundred is not the p99, two are', () => {
    const base = Array.from({ length: 98 }, () => 1);
    expect(summarizeLatencies([...base, 1, 50]).p99).toBe(1);
    expect(summarizeLatencies([...base, 50, 50]).p99).toBe(50);
  });

  it('small and empty inputs', () => {
    expect(summarizeLatencies([7])).toEqual({ n: 1, median: 7, p99: 7, max: 7 });
    expect(summarizeLatencies([])).toMatchObject({ n: 0, median: NaN, p99: NaN });
    expect(nearestRank([1, 2, 3], 0)).toBe(1);
  });

  it('refuses a non-finite sample rather than sorting it somewhere', () => {
    expect(() => summarizeLatencies([1, NaN])).toThrow(/finite numbers, got NaN/);
  });
});
