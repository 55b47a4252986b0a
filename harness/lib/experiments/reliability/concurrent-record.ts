import type { FailedTask } from '../../cluster/app-control.ts';
import { parseLoadLog } from '../../load/load-script.ts';
import type { LoadGenerators } from '../../load/load-generators.ts';
import type { ProbeSet } from '../../probe/probe-set.ts';
import { summarizeProbeSources, type SourceProbe } from '../../probe/probe-summary.ts';
import type { PhaseDeltas } from '../../events/events.ts';
import type { Mark, TimingEvent } from '../../config/types.ts';
import { epochNow, type ExperimentContext, type IterationResult } from '../context.ts';
import { judgeActions } from './concurrent-actions.ts';
import type { Role } from './concurrent-faults.ts';
import type { Calibration } from '../traffic-calibration.ts';
import type { Scenario2Load } from '../scenario2-load.ts';

/** The mark of the instant the three faults were started. */
export const FAULTS_MARK = 'faults injected';

export type ActionTimings = Map<string, PhaseDeltas & { events: TimingEvent[] }>;

/** What an iteration of the concurrent experiment saw, for its journal record. */
export interface Outcome {
  roles: readonly Role[];
  startedAt: number;
  probes: Map<string, ProbeSet>;
  managerLog: TimingEvent[];
  timing: ActionTimings;
  problems: string[];
  marks: Mark[];
  from: Record<string, string>;
  to: Record<string, string[]>;
  bReplicas: number | null;
  mainChanged?: string;
  /** Highest 1-minute load average of the lab's host while waiting for the actions. */
  hostLoad?: number;
  gens?: LoadGenerators;
  tag: string;
  /** Per role key: the tasks swarm ended on its own during the iteration (failedTasks). */
  swarmEnded?: Record<string, FailedTask[]>;
  /** The copies' CPU limit, and B's traffic as calibrated (none when the iteration ended before). */
  copyCpus: number;
  load?: Scenario2Load;
  calibration?: Calibration;
}

/**
 * Per service (`<key>_…`): its probe numbers, action phases and the tasks swarm ended; what breaks
 * the experiment's contract is appended to `problems`.
 */
function serviceMeasurements(ctx: ExperimentContext, o: Outcome, perService: Record<string, SourceProbe[]>, injected: number | undefined, problems: string[]): Record<string, number | null> {
  const m: Record<string, number | null> = {};
  for (const r of o.roles) {
    const s = summarizeProbeSources(perService[r.key]).summary;
    const d = o.timing.get(r.key);
    m[`${r.key}_failed_requests`] = s.failed;
    m[`${r.key}_probe_samples`] = s.samples;
    m[`${r.key}_downtime_ms`] = s.downtimeMs;
    m[`${r.key}_mttr_ms`] = d?.mttrMs ?? null;
    m[`${r.key}_t2_t1_ms`] = d?.t2_t1_ms ?? null;
    m[`${r.key}_t3_t2_ms`] = d?.t3_t2_ms ?? null;
    // detection after the common start of the faults: on a saturated host one service's alert can come late
    const t0 = d?.events.find((e) => e.phase === 'T0')?.t;
    m[`${r.key}_t0_after_faults_ms`] = t0 !== undefined && injected !== undefined ? t0 - injected : null;
    if (s.samples === 0) problems.push(`no probe samples for ${r.app.name}`);
    const ended = o.swarmEnded?.[r.key] ?? [];
    m[`${r.key}_swarm_failed_tasks`] = o.swarmEnded ? ended.length : null;
    const why = ended.map((t) => `${t.state} on ${t.node}${injected === undefined ? '' : ` ${((t.at - injected) / 1000).toFixed(1)} s after the faults`}: ${t.err || 'no error given'}`);
    if (s.failed > 0) problems.push(`${r.app.name}: ${s.failed} of ${s.samples} probe requests failed${why.length ? ` (swarm ended ${why.length} task(s): ${why.join('; ')})` : ''}`);
    else if (why.length) ctx.log(`${o.tag}: ${r.app.name}: swarm ended ${why.length} task(s), no probe request failed: ${why.join('; ')}`);
    if (r.expect === 'migrate' && o.to[r.key] && (o.to[r.key].length !== 1 || o.to[r.key][0] === o.from[r.key])) {
      problems.push(`${r.app.name} on ${o.to[r.key].join(',') || 'no node'} after its migration, started on ${o.from[r.key]}`);
    }
  }
  return m;
}

/**
 * The iteration's record: per service its probe numbers and MTTR, the manager's actions judged
 * (judgeActions), the swarm's end state checked; any problem makes the outcome an error.
 */
export async function concurrentRecord(ctx: ExperimentContext, iteration: number, o: Outcome): Promise<IterationResult> {
  const expected = Object.fromEntries(o.roles.map((r) => [r.app.name, r.expect]));
  const verdict = judgeActions(o.managerLog, expected);
  const problems = [...o.problems, ...(o.managerLog.length ? verdict.problems : [])];
  if (o.mainChanged) problems.push(`the service without a fault changed: ${o.mainChanged}`);
  const injected = o.marks.find((k) => k.label === FAULTS_MARK)?.t;
  const perService: Record<string, SourceProbe[]> = {};
  // stop() is idempotent: a probe that failed to stop was already reported in the iteration's finally
  for (const r of o.roles) perService[r.key] = (await o.probes.get(r.key)?.stop().catch(() => [])) ?? [];
  const all = summarizeProbeSources(o.roles.flatMap((r) => perService[r.key].map((s) => ({ ...s, source: `${r.key}/${s.source}` }))));
  const m = serviceMeasurements(ctx, o, perService, injected, problems);
  if (o.bReplicas !== null && o.bReplicas < 2) problems.push(`${o.roles[1].app.name} has ${o.bReplicas} replica(s) after its scale-up`);
  const loads = (o.gens?.logs() ?? []).map((l) => parseLoadLog(l.text));
  const lat = (k: 't2_t1_ms' | 't3_t2_ms') => {
    const v = [...o.timing.values()].map((d) => d[k]).filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  };
  const rec = {
    experiment: 'concurrent',
    iteration,
    params: {
      services: Object.fromEntries(o.roles.map((r) => [r.key, { service: r.app.name, fault: r.fault, expected: r.expect, from: o.from[r.key] ?? null, to: o.to[r.key] ?? null }])),
      copy_cpus: o.copyCpus,
      load: o.load ?? null,
      calibration: o.calibration ?? null,
      caveats: o.calibration?.plan.overHostBudget ? [`host past its budget: ${o.calibration.plan.overHostBudget}`] : [],
      actions: verdict.actions,
      ignoredAlerts: verdict.ignoredAlerts,
      probeSources: Object.keys(all.summary.sources),
    },
    startedAt: o.startedAt,
    endedAt: epochNow(),
    events: [...o.timing.values()].flatMap((d) => d.events),
    probes: { summary: all.summary },
    outcome: problems.length ? ('error' as const) : ('passed' as const),
    ...(problems.length ? { error: problems.join('; ') } : {}),
    measurements: {
      failed_requests: all.summary.failed,
      ...m,
      actions: verdict.actions.length,
      wrong_service_actions: verdict.wrongActions,
      failed_actions: verdict.failedActions,
      out_of_sequence_retried: verdict.outOfSequenceRetried,
      out_of_sequence_unhandled: verdict.outOfSequenceUnhandled,
      b_replicas_after: o.bReplicas,
      load_requests: loads.reduce((n, l) => n + l.sent, 0),
      load_failed: loads.reduce((n, l) => n + l.failed, 0),
      host_load1_max: o.hostLoad ?? null,
      alert_latency_max_ms: lat('t2_t1_ms'),
      decision_latency_max_ms: lat('t3_t2_ms'),
    },
    slo: [],
    marks: [...o.marks, ...o.roles.flatMap((r) => (o.timing.get(r.key)?.events ?? []).filter((e) => e.phase === 'T0').slice(0, 1).map((e) => ({ label: `${r.key.toUpperCase()} T0`, t: e.t })))],
  };
  const s = (ms: number | null | undefined) => (ms == null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
  ctx.log(
    `${o.tag}: ` +
      o.roles.map((r) => `${r.key.toUpperCase()} ${r.expect} ${o.from[r.key] ?? '?'} → ${(o.to[r.key] ?? []).join('+') || '?'} MTTR ${s(m[`${r.key}_mttr_ms`])}, failed ${m[`${r.key}_failed_requests`]}/${m[`${r.key}_probe_samples`]}`).join('; ') +
      `; ${verdict.actions.length} actions, ${verdict.outOfSequenceRetried} out-of-sequence retries${problems.length ? `; ERROR ${problems.join('; ')}` : ''}`,
  );
  return { record: rec, probes: all.batches };
}
