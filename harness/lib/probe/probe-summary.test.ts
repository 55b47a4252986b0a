import { describe, expect, it } from 'vitest';
import { summarizeProbeSources, unionMs } from './probe-summary.ts';
import type { ProbeSample } from '../config/types.ts';

const T = 1_795_380_000_000;
const jitter = { meanMs: 1, p95Ms: 2, maxMs: 3, skipped: 0 };
/** 10 samples 100 ms apart from `start`; the ones at the given indexes failed. */
function samples(start: number, failedAt: number[]): ProbeSample[] {
  return Array.from({ length: 10 }, (_, i) => ({ seq: i, sentAt: start + i * 100, status: failedAt.includes(i) ? 0 : 200, ok: !failedAt.includes(i), latencyMs: 2, servedBy: 'c', node: 'w' }));
}

describe('unionMs', () => {
  it('counts overlapping intervals once', () => {
    expect(unionMs([{ start: 0, end: 100 }, { start: 50, end: 200 }, { start: 300, end: 350 }])).toBe(250);
    expect(unionMs([])).toBe(0);
  });
});

describe('summarizeProbeSources', () => {
  it('adds failures over every source and unites their downtime', () => {
    const { summary, batches, samples: all } = summarizeProbeSources([
      { source: 'control', samples: samples(T, [2, 3]), jitter },
      // the same outage seen 50 ms later and one slot longer from a generator
      { source: 'alpine-1', samples: samples(T + 50, [2, 3, 4]), jitter: { ...jitter, maxMs: 9 }, clockOffset: { node: 'alpine-1', offsetMs: 0.4, uncertaintyMs: 0.2, rttMs: 0.4, samples: 5 }, clock: 'date-ns' },
      { source: 'alpine-2', samples: samples(T + 20, []), jitter },
    ]);
    expect(summary.failed).toBe(5);
    expect(summary.samples).toBe(30);
    // control: T+200 → T+400; alpine-1: T+250 → T+550; union T+200 → T+550
    expect(summary.downtimeMs).toBeCloseTo(350, 6);
    expect(summary.jitter).toEqual(jitter);
    expect(summary.sources['control']).toEqual({ samples: 10, failed: 2, downtimeMs: 200, jitter });
    expect(summary.sources['alpine-1']).toMatchObject({ failed: 3, downtimeMs: 300, clockOffsetMs: 0.4, clockUncertaintyMs: 0.2, clock: 'date-ns' });
    expect(summary.sources['alpine-2'].failed).toBe(0);
    expect(batches.map((b) => b.source)).toEqual(['control', 'alpine-1', 'alpine-2']);
    expect(all.every((s, i) => i === 0 || s.sentAt >= all[i - 1].sentAt)).toBe(true);
    expect(new Set(all.map((s) => s.source))).toEqual(new Set(['control', 'alpine-1', 'alpine-2']));
  });

  it('keeps only samples sent from `from` on, and has no control jitter without a control source', () => {
    const { summary } = summarizeProbeSources([{ source: 'alpine-1', samples: samples(T, [0, 1]), jitter }], T + 150);
    expect(summary.samples).toBe(8);
    expect(summary.failed).toBe(0);
    expect(summary.jitter).toBeUndefined();
  });

  it('rejects a source listed twice', () => {
    expect(() => summarizeProbeSources([{ source: 'control', samples: [], jitter }, { source: 'control', samples: [], jitter }])).toThrow('probe source control appears twice');
  });
});
