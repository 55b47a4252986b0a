import { describe, expect, it } from 'vitest';
import { summarizeDowntime } from '../probe/downtime.ts';
import type { ProbeResult } from '../probe/probe.ts';
import type { ProbeSample } from '../config/types.ts';
import { outcomeOf, probeSummary } from './context.ts';

describe('iteration record parts', () => {
  it('outcomeOf: passed without an error, error with it (an empty message counts as none)', () => {
    expect(outcomeOf(undefined)).toEqual({ outcome: 'passed' });
    expect(outcomeOf('')).toEqual({ outcome: 'passed' });
    expect(outcomeOf('task ended on worker-1')).toEqual({ outcome: 'error', error: 'task ended on worker-1' });
  });

  it('probeSummary: counts the samples, takes failures and downtime from the downtime summary', () => {
    const sample = (seq: number, ok: boolean): ProbeSample => ({ seq, sentAt: 1000 + seq * 100, latencyMs: 2, status: ok ? 200 : 0, ok, servedBy: ok ? 'c1' : null, node: ok ? 'w1' : null });
    const samples = [sample(0, true), sample(1, false), sample(2, false), sample(3, true)];
    const jitter = { meanMs: 1, p95Ms: 2, maxMs: 3, skipped: 0 };
    const down = summarizeDowntime(samples);
    expect(probeSummary({ samples, jitter } as unknown as ProbeResult, down)).toEqual({
      summary: { samples: 4, failed: 2, downtimeMs: down.downtimeMs, jitter },
    });
    expect(down.failed).toBe(2);
  });
});
