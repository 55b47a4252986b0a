import { summarizeIterations } from './stats.ts';

export type Op = '<' | '<=' | '==' | '>';

/** A limit taken from another experiment of the same run (e.g. the baseline's median MTTR). */
export interface RefLimit {
  experiment: string;
  metric: string;
  stat: 'median' | 'mean' | 'min' | 'max';
  /** The limit is this share of the statistic (0.5: half the baseline's median); default 1. */
  factor?: number;
}

/**
 * One SLO, declared as data (k6 style) with its experiment (experiments/experiment.ts) and checked
 * against every iteration of it. Metric names are the measurement keys the experiments write, e.g.
 * mttr_ms, downtime_ms, failed_requests, scale_up_max_ms (largest T5 − T4 of the iteration's
 * scale-ups), alert_latency_max_ms (T2 − T1) and decision_latency_max_ms (T3 − T2).
 */
export interface Threshold {
  name: string;
  experiment: string;
  metric: string;
  op: Op;
  limit: number | { ref: RefLimit };
  description: string;
  /** Measured in some variants only (e.g. the task's node, not another): a missing value is not judged. */
  optional?: true;
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

export function compare(value: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<': return value < limit;
    case '<=': return value <= limit;
    case '==': return value === limit;
    case '>': return value > limit;
  }
}

/** A limit taken from another experiment needs at least this many of its iterations measured. */
export const MIN_REFERENCE_ITERATIONS = 2;

function resolveLimit(t: Threshold, rows: readonly MeasurementRow[]): { limit: number | null; reason?: string; ran: boolean } {
  if (typeof t.limit === 'number') return { limit: t.limit, ran: true };
  const { experiment, metric, stat, factor = 1 } = t.limit.ref;
  const refRows = rows.filter((r) => r.experiment === experiment);
  if (refRows.length === 0) return { limit: null, ran: false, reason: `${experiment} was not run` };
  const s = summarizeIterations(refRows.map((r) => r.values[metric]));
  const limit = s[stat] === null ? null : s[stat] * factor;
  if (limit === null) return { limit, ran: true, reason: `no ${experiment} ${metric} was measured` };
  // one iteration is no reference: the baseline's MTTR is bimodal (a 1-iteration remote run judged
  // a 7.14 s migration against a single 7.14 s kill), so such an SLO is reported, not judged
  if (s.n < MIN_REFERENCE_ITERATIONS) {
    return { limit, ran: false, reason: `the ${experiment} ${stat} of ${s.n} iteration is no reference: ${MIN_REFERENCE_ITERATIONS} are needed` };
  }
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
      else if (value === null && t.optional) verdicts.push({ ...base, pass: null, reason: `${t.metric} is not measured in this variant` });
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
