import { downtimeIntervals, summarizeDowntime } from './downtime.ts';
import type { ProbeBatch } from '../report/journal.ts';
import type { ClockOffset, JitterReport, ProbeSample } from '../config/types.ts';

/** One probe source's samples of an iteration: the control host's or one load generator's. */
export interface SourceProbe {
  source: string;
  samples: readonly ProbeSample[];
  jitter: JitterReport;
  /** For a remote source: its clock offset, by which its send times were corrected. */
  clockOffset?: ClockOffset;
  /** For a remote source: the clock its script read (epochrealtime, date-ns, proc-uptime). */
  clock?: string;
}

export type SourceSummary = {
  samples: number;
  failed: number;
  downtimeMs: number;
  jitter: JitterReport;
  clockOffsetMs?: number;
  clockUncertaintyMs?: number;
  clock?: string;
};

export type ProbeSummary = {
  /** All sources together: samples and failures added up, downtime as the union over sources. */
  samples: number;
  failed: number;
  downtimeMs: number;
  /** The control probe's jitter (kept where older journals had it), when the control host probed. */
  jitter?: JitterReport;
  sources: Record<string, SourceSummary>;
};

/** Total length of the union of [start, end] intervals. */
export function unionMs(intervals: readonly { start: number; end: number }[]): number {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  let total = 0;
  let cur: { start: number; end: number } | undefined;
  for (const i of sorted) {
    if (cur && i.start <= cur.end) cur.end = Math.max(cur.end, i.end);
    else {
      if (cur) total += cur.end - cur.start;
      cur = { start: i.start, end: i.end };
    }
  }
  return total + (cur ? cur.end - cur.start : 0);
}

/**
 * The iteration's probe numbers over every source (samples sent at or after `from`, if given):
 * failed requests add up; downtime is the time during which at least one source saw the service
 * down (each source's intervals from its failed probe to its next success, DESIGN.md §5, united),
 * so an outage seen from one place only still counts, and one seen from all counts once.
 */
export function summarizeProbeSources(sources: readonly SourceProbe[], from?: number): { summary: ProbeSummary; batches: ProbeBatch[]; samples: ProbeSample[] } {
  const names = sources.map((s) => s.source);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`probe source ${dup} appears twice`);
  const kept = sources.map((s) => ({ ...s, samples: from === undefined ? s.samples : s.samples.filter((x) => x.sentAt >= from) }));
  const per: Record<string, SourceSummary> = {};
  for (const s of kept) {
    const d = summarizeDowntime(s.samples);
    per[s.source] = {
      samples: d.samples,
      failed: d.failed,
      downtimeMs: d.downtimeMs,
      jitter: s.jitter,
      ...(s.clockOffset ? { clockOffsetMs: s.clockOffset.offsetMs, clockUncertaintyMs: s.clockOffset.uncertaintyMs } : {}),
      ...(s.clock ? { clock: s.clock } : {}),
    };
  }
  const control = kept.find((s) => s.source === 'control');
  const samples = kept.flatMap((s) => s.samples.map((x) => ({ ...x, source: s.source }))).sort((a, b) => a.sentAt - b.sentAt);
  const summary: ProbeSummary = {
    samples: samples.length,
    failed: Object.values(per).reduce((n, s) => n + s.failed, 0),
    downtimeMs: unionMs(kept.flatMap((s) => downtimeIntervals(s.samples))),
    ...(control ? { jitter: control.jitter } : {}),
    sources: per,
  };
  return { summary, batches: kept.map((s) => ({ source: s.source, samples: s.samples })), samples };
}
