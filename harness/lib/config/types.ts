/** Plain data shapes shared by the harness building blocks (probe, downtime, events, journal, report). */
import type { Phase } from '../../../system/shared/types.ts';

export type { Phase };

export const PHASES: readonly Phase[] = ['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6'];

/** Descriptive statistics; null where a statistic is undefined for the sample size. */
export interface Summary {
  n: number;
  mean: number | null;
  median: number | null;
  p95: number | null;
  min: number | null;
  max: number | null;
  /** Sample standard deviation (n − 1); null for n < 2. */
  stdev: number | null;
  /** 95 % confidence interval of the mean (Student t); null for n < 2. */
  ci95: [number, number] | null;
}

/** A Summary over iterations: n of them had a value, m is how many there were. */
export interface IterationSummary extends Summary {
  m: number;
}

/** One availability probe request. */
export interface ProbeSample {
  seq: number;
  /** Epoch ms (sub-ms) when the request was sent. */
  sentAt: number;
  /** HTTP status; 0 when no response arrived (refused, reset, timeout). */
  status: number;
  /** true for 2xx. */
  ok: boolean;
  latencyMs: number;
  servedBy: string | null;
  node: string | null;
  error?: string;
  /** Where the probe ran: 'control' or a load generator's name (absent in journals from before remote probes). */
  source?: string;
}

/** How late the probe's sends were against their planned times. */
export interface JitterReport {
  meanMs: number;
  p95Ms: number;
  maxMs: number;
  /** Planned sends dropped because the loop was more than one interval late. */
  skipped: number;
}

export interface DowntimeInterval {
  /** Send time of the first failed probe. */
  start: number;
  /** Send time of the next successful probe, or of the last sample when the run ended failing. */
  end: number;
  durationMs: number;
  failed: number;
  /** true when no successful probe followed. */
  open: boolean;
}

/** A T-event or related event as logged by agent and manager (DESIGN.md §4). */
export interface TimingEvent {
  component: string;
  node: string;
  event: string;
  phase?: Phase;
  /** Epoch ms as written by the host that logged it (before clock correction). */
  t: number;
  service?: string;
  alertId?: string;
  actionId?: string;
  reason?: string;
  [key: string]: unknown;
}

/** One host's clock offset against the control host: remote − local, positive when the host is ahead. */
export interface ClockOffset {
  node: string;
  offsetMs: number;
  uncertaintyMs: number;
  rttMs: number;
  samples: number;
}

/** A labelled instant on a chart (T-events, the baseline's kill …), epoch ms on the control clock. */
export interface Mark {
  label: string;
  t: number;
}

export interface ReplicaPoint {
  t: number;
  replicas: number;
}

export interface ContainerPoint {
  t: number;
  container: string;
  node?: string;
  cpu: number;
  memMb: number;
  rxMbps: number;
  txMbps: number;
}
