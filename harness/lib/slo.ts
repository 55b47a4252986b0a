import { summarizeIterations } from './stats.ts';

export type Op = '<' | '<=' | '==' | '>';

/** A limit taken from another experiment of the same run (e.g. the baseline's median MTTR). */
export interface RefLimit {
  experiment: string;
  metric: string;
  stat: 'median' | 'mean' | 'min' | 'max';
}

/** One SLO, declared as data (k6 style) and checked against every iteration of its experiment. */
export interface Threshold {
  name: string;
  experiment: string;
  metric: string;
  op: Op;
  limit: number | { ref: RefLimit };
  description: string;
}

/** One iteration's measured values, by metric name (null: not measured). */
export interface MeasurementRow {
  experiment: string;
  iteration: number;
  values: Readonly<Record<string, number | null | undefined>>;
}

export interface Verdict {
  name: string;
  experiment: string;
  iteration: number;
  metric: string;
  op: Op;
  limit: number | null;
  value: number | null;
  /** null when the SLO could not be evaluated because its reference experiment was not run. */
  pass: boolean | null;
  description: string;
  reason?: string;
}

/**
 * The SLOs every run is judged by. Metric names are the measurement keys the experiments write:
 * mttr_ms, downtime_ms, failed_requests, scale_up_max_ms (largest T5 − T4 of the iteration's
 * scale-ups), alert_latency_max_ms (T2 − T1) and decision_latency_max_ms (T3 − T2), the largest over
 * the iteration's actions.
 */
export const SLOS: readonly Threshold[] = [
  { name: 's1-no-failed-requests', experiment: 'scenario1', metric: 'failed_requests', op: '==', limit: 0, description: 'Scenario 1: no failed requests' },
  { name: 's1-no-downtime', experiment: 'scenario1', metric: 'downtime_ms', op: '==', limit: 0, description: 'Scenario 1: 0 ms downtime' },
  { name: 's1-mttr-under-10s', experiment: 'scenario1', metric: 'mttr_ms', op: '<', limit: 10_000, description: 'Scenario 1: MTTR (max(T5, T6) − T0) < 10 s' },
  {
    name: 's1-mttr-below-baseline', experiment: 'scenario1', metric: 'mttr_ms', op: '<',
    limit: { ref: { experiment: 'baseline', metric: 'mttr_ms', stat: 'median' } },
    description: "Scenario 1: MTTR below the baseline's median MTTR of the same run",
  },
  { name: 's2-scale-up-under-5s', experiment: 'scenario2', metric: 'scale_up_max_ms', op: '<', limit: 5_000, description: 'Scenario 2: every scale-up T5 − T4 < 5 s' },
  { name: 's2-no-failed-requests', experiment: 'scenario2', metric: 'failed_requests', op: '==', limit: 0, description: 'Scenario 2: no failed requests during scale-up and scale-down' },
  { name: 's2-reached-target-replicas', experiment: 'scenario2', metric: 'target_replicas_missed', op: '==', limit: 0, description: 'Scenario 2: traffic alone drove the service to experiments.traffic.target_replicas, one replica at a time' },
  { name: 's2-load-split', experiment: 'scenario2', metric: 'spread_max_deviation_pct', op: '<=', limit: 15, description: 'Scenario 2: after each scale-up every replica is within ±15 CPU points of total / n (the replicas\' mean)' },
  { name: 's2-scale-down-stepwise', experiment: 'scenario2', metric: 'scale_down_non_unit_steps', op: '==', limit: 0, description: 'Scenario 2: every scale-down removed exactly one replica' },
  ...['scenario1', 'scenario2'].flatMap((experiment): Threshold[] => [
    { name: `${experiment === 'scenario1' ? 's1' : 's2'}-alert-latency`, experiment, metric: 'alert_latency_max_ms', op: '<', limit: 1_000, description: 'Alert latency T2 − T1 < 1 s' },
    { name: `${experiment === 'scenario1' ? 's1' : 's2'}-decision-latency`, experiment, metric: 'decision_latency_max_ms', op: '<', limit: 1_000, description: 'Decision latency T3 − T2 < 1 s' },
  ]),
];

export function compare(value: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<': return value < limit;
    case '<=': return value <= limit;
    case '==': return value === limit;
    case '>': return value > limit;
  }
}

function resolveLimit(t: Threshold, rows: readonly MeasurementRow[]): { limit: number | null; reason?: string; ran: boolean } {
  if (typeof t.limit === 'number') return { limit: t.limit, ran: true };
  const { experiment, metric, stat } = t.limit.ref;
  const refRows = rows.filter((r) => r.experiment === experiment);
  if (refRows.length === 0) return { limit: null, ran: false, reason: `${experiment} was not run` };
  const s = summarizeIterations(refRows.map((r) => r.values[metric]));
  const limit = s[stat];
  if (limit === null) return { limit, ran: true, reason: `no ${experiment} ${metric} was measured` };
  // a limit taken from fewer iterations than ran says so, or a verdict would rest on an unseen subset
  return s.n < s.m ? { limit, ran: true, reason: `limit: ${experiment} ${stat} over ${s.n} of ${s.m} iterations` } : { limit, ran: true };
}

/** A verdict for every threshold × iteration of its experiment. A missing value fails. */
export function evaluate(thresholds: readonly Threshold[], rows: readonly MeasurementRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const t of thresholds) {
    const { limit, ran, reason: limitReason } = resolveLimit(t, rows);
    for (const row of rows.filter((r) => r.experiment === t.experiment)) {
      const raw = row.values[t.metric];
      const value = typeof raw === 'number' ? raw : null;
      const base = { name: t.name, experiment: t.experiment, iteration: row.iteration, metric: t.metric, op: t.op, limit, value, description: t.description };
      if (!ran) verdicts.push({ ...base, pass: null, reason: limitReason });
      else if (limit === null) verdicts.push({ ...base, pass: false, reason: limitReason });
      else if (value === null) verdicts.push({ ...base, pass: false, reason: `${t.metric} was not measured` });
      else verdicts.push({ ...base, pass: compare(value, t.op, limit), ...(limitReason ? { reason: limitReason } : {}) });
    }
  }
  return verdicts;
}

export function anyFailed(verdicts: readonly Verdict[]): boolean {
  return verdicts.some((v) => v.pass === false);
}

/** "scenario1 #2 mttr_ms: measured 12034.5, limit < 10000 — FAIL" */
export function describeVerdict(v: Verdict): string {
  const verdict = v.pass === null ? 'NOT EVALUATED' : v.pass ? 'pass' : 'FAIL';
  const why = v.reason ? ` (${v.reason})` : '';
  return `${v.experiment} #${v.iteration} ${v.metric}: measured ${v.value ?? 'nothing'}, limit ${v.op} ${v.limit ?? '?'} — ${verdict}${why}`;
}
