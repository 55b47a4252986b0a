import { summarizeIterations } from './report/stats.ts';

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
  { name: 'baseline-outage-seen', experiment: 'baseline', metric: 'failed_requests', op: '>', limit: 0, description: 'Baseline: the probe saw the kill (a kill without failed requests measured nothing)' },
  { name: 'baseline-recovered', experiment: 'baseline', metric: 'mttr_ms', op: '>', limit: 0, description: 'Baseline: a new container answered after the kill' },
  { name: 's2-scale-up-under-5s', experiment: 'scenario2', metric: 'scale_up_max_ms', op: '<', limit: 5_000, description: 'Scenario 2: every scale-up T5 − T4 < 5 s' },
  { name: 's2-no-failed-requests', experiment: 'scenario2', metric: 'failed_requests', op: '==', limit: 0, description: 'Scenario 2: no failed requests during scale-up and scale-down' },
  { name: 's2-reached-target-replicas', experiment: 'scenario2', metric: 'target_replicas_missed', op: '==', limit: 0, description: 'Scenario 2: traffic alone drove the service to experiments.traffic.target_replicas, one replica at a time' },
  { name: 's2-load-split', experiment: 'scenario2', metric: 'spread_max_deviation_pct', op: '<=', limit: 15, description: 'Scenario 2: after each scale-up every replica is within ±15 CPU points of total / n (the replicas\' mean)' },
  { name: 's2-scale-down-stepwise', experiment: 'scenario2', metric: 'scale_down_non_unit_steps', op: '==', limit: 0, description: 'Scenario 2: every scale-down removed exactly one replica' },
  { name: 's2-scale-up-stepwise', experiment: 'scenario2', metric: 'scale_up_non_unit_steps', op: '==', limit: 0, description: 'Scenario 2: every scale-up added exactly one replica' },
  { name: 's2-scaled-back', experiment: 'scenario2', metric: 'replicas_not_restored', op: '==', limit: 0, description: 'Scenario 2: after the traffic, back to the replica count it started from' },
  { name: 's2-one-down-per-up', experiment: 'scenario2', metric: 'scale_downs_missing', op: '==', limit: 0, description: 'Scenario 2: as many scale-downs as scale-ups' },
  { name: 's2-load-sent', experiment: 'scenario2', metric: 'load_requests', op: '>', limit: 0, description: 'Scenario 2: the load generators sent requests' },
  // the reliability experiments: what their vitest suites asserted alone before, so that the full
  // suite judges every iteration by the same checks
  { name: 'tsdb-no-failed-requests', experiment: 'tsdb-down', metric: 'failed_requests', op: '==', limit: 0, description: 'TSDB down: the migration loses no request' },
  { name: 'tsdb-alert-latency', experiment: 'tsdb-down', metric: 'alert_latency_max_ms', op: '<', limit: 1_000, description: 'TSDB down: alert latency T2 − T1 < 1 s, as with the store up' },
  { name: 'tsdb-decision-latency', experiment: 'tsdb-down', metric: 'decision_latency_max_ms', op: '<', limit: 1_000, description: 'TSDB down: decision latency T3 − T2 < 1 s, as with the store up' },
  { name: 'tsdb-no-restarts', experiment: 'tsdb-down', metric: 'task_restarts', op: '==', limit: 0, description: 'TSDB down: no agent or manager task restarts' },
  { name: 'agent-restart-no-failed-requests', experiment: 'agent-restart', metric: 'failed_requests', op: '==', limit: 0, description: 'Agent restart: the migration after it loses no request' },
  { name: 'agent-restart-one-migration', experiment: 'agent-restart', metric: 'migrations', op: '==', limit: 1, description: 'Agent restart: the restarted agent\'s alert leads to exactly one migration' },
  { name: 'agent-restart-no-node-failure', experiment: 'agent-restart', metric: 'node_failures_detected', op: '==', limit: 0, description: "Agent restart: the agent's silence alone is not taken for a failed node (its ports answer)" },
  { name: 'manager-restart-no-forced-update', experiment: 'manager-restart', metric: 'forced_updates', op: '==', limit: 0, description: 'Manager restart: reconciling forces no update' },
  { name: 'manager-restart-no-second-migration', experiment: 'manager-restart', metric: 'second_migrations', op: '==', limit: 0, description: 'Manager restart: the restarted manager starts no second migration' },
  { name: 'manager-restart-replayed', experiment: 'manager-restart', metric: 'replay_alerts', op: '==', limit: 1, description: 'Manager restart: the interrupted action\'s alert is replayed to the restarted manager (which must refuse it: checked by the iteration)' },
  { name: 'node-failure-one-migration', experiment: 'node-failure', metric: 'migrations', op: '==', limit: 1, description: 'Node failure: exactly one migration, off the failed node' },
  { name: 'node-failure-bystander-unharmed', experiment: 'node-failure', metric: 'bystander_failed_requests', op: '==', limit: 0, optional: true, description: 'Node failure: a failed node that held no task of the app costs it no request' },
  { name: 'node-detection-served-in-4s', experiment: 'node-detection', metric: 'recovery_ms', op: '<=', limit: 4_000, description: "Node detection: the service served again ≤ 4 s after its node's dockerd stopped" },
  {
    name: 'node-detection-faster-than-swarm', experiment: 'node-detection', metric: 'recovery_ms', op: '<',
    limit: { ref: { experiment: 'node-failure', metric: 'recovery_ms', stat: 'median' } },
    description: "Node detection: served again sooner than the same run's median with swarm alone (node-failure, the task's node down)",
  },
  { name: 'node-detection-before-swarm', experiment: 'node-detection', metric: 'detected_before_swarm_ms', op: '>', limit: 0, description: 'Node detection: the manager found the node failed before swarm marked it Down' },
  { name: 'node-detection-one-evacuation', experiment: 'node-detection', metric: 'evacuations', op: '==', limit: 1, description: 'Node detection: exactly one evacuation, off the failed node' },
  { name: 'node-detection-restore-moves-nothing', experiment: 'node-detection', metric: 'tasks_moved_by_restore', op: '==', limit: 0, description: 'Node detection: lifting the exclusion of the node back moves no task' },
  { name: 'node-detection-exclusion-lifted', experiment: 'node-detection', metric: 'exclusion_left', op: '==', limit: 0, description: 'Node detection: the node back, its exclusion is gone' },
  { name: 'concurrent-no-failed-requests', experiment: 'concurrent', metric: 'failed_requests', op: '==', limit: 0, description: 'Concurrent: no probe of A, B or C fails' },
  { name: 'concurrent-right-services', experiment: 'concurrent', metric: 'wrong_service_actions', op: '==', limit: 0, description: 'Concurrent: every action on the service whose fault caused it' },
  { name: 'concurrent-no-failed-actions', experiment: 'concurrent', metric: 'failed_actions', op: '==', limit: 0, description: 'Concurrent: no action fails' },
  { name: 'concurrent-sequence', experiment: 'concurrent', metric: 'out_of_sequence_unhandled', op: '==', limit: 0, description: 'Concurrent: no out-of-sequence update left unretried' },
  ...['a', 'b', 'c'].map((k): Threshold => ({ name: `concurrent-${k}-recovered`, experiment: 'concurrent', metric: `${k}_mttr_ms`, op: '>', limit: 0, description: `Concurrent: ${k.toUpperCase()}'s action completed and its MTTR was measured` })),
  { name: 'concurrent-b-scaled', experiment: 'concurrent', metric: 'b_replicas_after', op: '>', limit: 1, description: 'Concurrent: traffic scaled B up' },
  { name: 'bad-input-answers', experiment: 'bad-input', metric: 'unexpected_answers', op: '==', limit: 0, description: 'Bad input: every bad input gets the answer expected of it' },
  { name: 'bad-input-no-swarm-change', experiment: 'bad-input', metric: 'swarm_changes', op: '==', limit: 0, description: 'Bad input: nothing in the swarm changes' },
  { name: 'bad-input-no-manager-restart', experiment: 'bad-input', metric: 'manager_restarts', op: '==', limit: 0, description: 'Bad input: the manager never restarts' },
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

/** A limit taken from another experiment needs at least this many of its iterations measured. */
export const MIN_REFERENCE_ITERATIONS = 2;

function resolveLimit(t: Threshold, rows: readonly MeasurementRow[]): { limit: number | null; reason?: string; ran: boolean } {
  if (typeof t.limit === 'number') return { limit: t.limit, ran: true };
  const { experiment, metric, stat } = t.limit.ref;
  const refRows = rows.filter((r) => r.experiment === experiment);
  if (refRows.length === 0) return { limit: null, ran: false, reason: `${experiment} was not run` };
  const s = summarizeIterations(refRows.map((r) => r.values[metric]));
  const limit = s[stat];
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
