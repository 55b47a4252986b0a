import { describe, expect, it } from 'vitest';
import {
  downtimeIntervals,
  firstSuccessByNewContainer,
  reactiveMttr,
  samplesBetween,
  summarizeDowntime,
} from './downtime.ts';
import type { ProbeSample } from '../config/types.ts';

/** 'o' = ok from old, 'n' = ok from new, 'x' = failure; one sample every 100 ms from t = 1000. */
function series(pattern: string): ProbeSample[] {
  return [...pattern].map((c, i) => ({
    seq: i,
    sentAt: 1000 + i * 100,
    status: c === 'x' ? 0 : 200,
    ok: c !== 'x',
    latencyMs: 5,
    servedBy: c === 'o' ? 'old' : c === 'n' ? 'new' : null,
    node: null,
  }));
}

describe('downtimeIntervals', () => {
  it('is empty when every probe succeeded', () => {
    expect(downtimeIntervals(series('oooo'))).toEqual([]);
    expect(summarizeDowntime(series('oooo'))).toMatchObject({ failed: 0, downtimeMs: 0, samples: 4 });
  });

  it('runs from the first failure to the next success, merging consecutive failures', () => {
    const s = series('ooxxxnnxn');
    expect(downtimeIntervals(s)).toEqual([
      { start: 1200, end: 1500, durationMs: 300, failed: 3, open: false },
      { start: 1700, end: 1800, durationMs: 100, failed: 1, open: false },
    ]);
    expect(summarizeDowntime(s)).toMatchObject({ failed: 4, downtimeMs: 400 });
  });

  it('ends an interval at the last sample when the run ends failing', () => {
    expect(downtimeIntervals(series('ooxxx'))).toEqual([{ start: 1200, end: 1400, durationMs: 200, failed: 3, open: true }]);
  });

  it('orders by send time whatever order samples completed in', () => {
    const s = series('oxo').reverse();
    expect(downtimeIntervals(s)).toEqual([{ start: 1100, end: 1200, durationMs: 100, failed: 1, open: false }]);
  });
});

describe('reactive recovery', () => {
  it('finds the first success by another container after the kill', () => {
    const s = series('oooxxonnn'); // a late answer from the old container at index 5 does not count
    expect(firstSuccessByNewContainer(s, 1250, 'old')?.seq).toBe(6);
    expect(reactiveMttr(s, 1250, 'old')?.mttrMs).toBe(1600 - 1250);
  });

  it('is null when no new container answered', () => {
    expect(reactiveMttr(series('ooxxx'), 1100, 'old')).toBeNull();
  });

  it('selects samples in a window', () => {
    expect(samplesBetween(series('oooooo'), 1100, 1300).map((s) => s.seq)).toEqual([1, 2, 3]);
  });
});
