import type { DowntimeInterval, ProbeSample } from '../config/types.ts';

function bySendTime(samples: readonly ProbeSample[]): ProbeSample[] {
  return [...samples].sort((a, b) => a.sentAt - b.sentAt || a.seq - b.seq);
}

/**
 * Downtime intervals (DESIGN.md §5): from a failed probe's send time to the next successful probe's
 * send time; consecutive failures form one interval. A run that ends failing closes its interval at
 * the last sample's send time (marked open), since nothing later was observed.
 */
export function downtimeIntervals(samples: readonly ProbeSample[]): DowntimeInterval[] {
  const intervals: DowntimeInterval[] = [];
  let current: { start: number; failed: number } | null = null;
  let last: ProbeSample | undefined;
  for (const s of bySendTime(samples)) {
    last = s;
    if (!s.ok) {
      if (current) current.failed += 1;
      else current = { start: s.sentAt, failed: 1 };
    } else if (current) {
      intervals.push({ start: current.start, end: s.sentAt, durationMs: s.sentAt - current.start, failed: current.failed, open: false });
      current = null;
    }
  }
  if (current && last) {
    intervals.push({ start: current.start, end: last.sentAt, durationMs: last.sentAt - current.start, failed: current.failed, open: true });
  }
  return intervals;
}

export interface DowntimeSummary {
  samples: number;
  failed: number;
  downtimeMs: number;
  intervals: DowntimeInterval[];
}

export function summarizeDowntime(samples: readonly ProbeSample[]): DowntimeSummary {
  const intervals = downtimeIntervals(samples);
  return {
    samples: samples.length,
    failed: failedCount(samples),
    downtimeMs: intervals.reduce((sum, i) => sum + i.durationMs, 0),
    intervals,
  };
}

export function failedCount(samples: readonly ProbeSample[]): number {
  return samples.reduce((n, s) => n + (s.ok ? 0 : 1), 0);
}

/** Samples sent in [from, to] (send time, inclusive): e.g. the failures during a scale-up window. */
export function samplesBetween(samples: readonly ProbeSample[], from: number, to: number): ProbeSample[] {
  return samples.filter((s) => s.sentAt >= from && s.sentAt <= to);
}

/**
 * The first successful probe sent at or after `after` that was answered by a container other than
 * `oldContainer` (for the reactive baseline: the replacement serving traffic after the kill).
 */
export function firstSuccessByNewContainer(
  samples: readonly ProbeSample[],
  after: number,
  oldContainer: string,
): ProbeSample | null {
  for (const s of bySendTime(samples)) {
    if (s.sentAt >= after && s.ok && s.servedBy !== null && s.servedBy !== oldContainer) return s;
  }
  return null;
}

/**
 * Reactive MTTR: kill time → send time of the first success by a new container (send times, as the
 * downtime intervals use). null when the replacement never answered within the samples.
 */
export function reactiveMttr(
  samples: readonly ProbeSample[],
  killedAt: number,
  oldContainer: string,
): { mttrMs: number; recoveredBy: ProbeSample } | null {
  const first = firstSuccessByNewContainer(samples, killedAt, oldContainer);
  return first ? { mttrMs: first.sentAt - killedAt, recoveredBy: first } : null;
}
