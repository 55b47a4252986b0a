import { ProbeSet } from '../probe/probe-set.ts';
import { summarizeProbeSources } from '../probe/probe-summary.ts';
import { appMemory, appTasks, resetApp, stopAllStress, type AppTask } from '../cluster/app-control.ts';
import { actionEnd } from '../cluster/manager-api.ts';
import type { ClockOffset, TimingEvent } from '../config/types.ts';
import { actionTiming, phaseMeasurements } from './action-timing.ts';
import { restartManager } from './manager-control.ts';
import { defineExperiment, runMethod } from './experiment.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf } from './context.ts';

export type Scenario1Stress = 'cpu' | 'memory';
const ACTION_LIMIT_MS = 120_000;

/** The stress request that makes the task look sick with little network (DESIGN.md §3, scenario 1). */
async function stressUrl(ctx: ExperimentContext, kind: Scenario1Stress): Promise<string> {
  const { lab } = ctx;
  const e = lab.experiments;
  const hold = Math.round(e.hold_s + e.ramp_s + 30);
  if (kind === 'cpu') return `${lab.entrypoint}/stress/cpu?target=90&duration=${hold}&ramp=${e.ramp_s}`;
  // memory: above the threshold by a margin, below the limit by enough to stay clear of the OOM killer
  const metrics = await appMemory(lab.entrypoint);
  const threshold = lab.swarmguard.config.scenarios.scenario1_migration.memory_threshold / 100;
  const target = Math.round(metrics.memory_limit_mb * Math.min(threshold + 0.07, 0.95) - metrics.memory_mb);
  return `${lab.entrypoint}/stress/memory?target=${target}&duration=${hold}&ramp=${e.ramp_s}`;
}

/** One scenario-1 iteration in progress: the stressed task, the probes, when the fault began. */
interface Scenario1State {
  kind: Scenario1Stress;
  iteration: number;
  task: AppTask;
  probes: ProbeSet;
  since: number;
  startedAt: number;
}

/**
 * Proactive migration: the app's task is stressed (CPU or memory, little network); the agent alerts,
 * the manager moves the task to another node by a start-first update. The probe must see no failure.
 */
const scenario1Method = (kind: Scenario1Stress, experiment: string) =>
  runMethod<Scenario1State, TimingEvent>({
    async setUp(ctx, iteration) {
      const startedAt = epochNow();
      await restartManager(ctx); // fresh breach counters and cooldowns for every iteration
      const [task] = await resetApp(ctx.lab, ctx.cluster);
      const probes = await ProbeSet.start(ctx.lab, { durationMs: ACTION_LIMIT_MS + 20_000, experiment, runId: `s1-${kind}-${iteration}-${Date.now().toString(36)}`, log: ctx.log });
      return { kind, iteration, task, probes, since: epochNow(), startedAt };
    },
    async inject(ctx, s) {
      await sleep(1000);
      const url = await stressUrl(ctx, kind);
      ctx.log(`scenario1/${kind} #${s.iteration}: stressing ${s.task.containerId.slice(0, 12)} on ${s.task.node}`);
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    },
    awaits: {
      name: `an action of the manager on the app to end`,
      timeoutMs: ACTION_LIMIT_MS,
      until: (ctx, s) => actionEnd(ctx.lab, s.since, ctx.lab.app.service),
    },
    async rollback(ctx, s) {
      await sleep(2000); // the probes see the end of the move through
      // the probes stop also when stopping the stress fails; their own error surfaces in measure
      await stopAllStress(ctx.lab).finally(() => void s.probes.stop().catch(() => undefined));
    },
    measure: scenario1Record,
  });

/** One scenario-1 migration; `experiment` is the one it runs for, whose probe sources it uses (experiments.probe_from_by_experiment). */
export function scenario1Iteration(ctx: ExperimentContext, iteration: number, kind: Scenario1Stress, offsets: ClockOffset[], experiment = 'scenario1'): Promise<IterationResult> {
  return scenario1Method(kind, experiment)(ctx, iteration, offsets);
}

async function scenario1Record(ctx: ExperimentContext, s: Scenario1State, done: TimingEvent | undefined, error: string | undefined, offsets: ClockOffset[]): Promise<IterationResult> {
  const { lab, cluster } = ctx;
  const { kind, iteration, task, since, startedAt } = s;
  if (done?.event === 'action_failed') error = [error, `migration failed: ${String(done.reason ?? done.error ?? 'no reason given')}`].filter(Boolean).join('; ');
  const { summary, batches } = summarizeProbeSources(await s.probes.stop());
  const after = await appTasks(cluster, lab.app.service);
  const timing = done?.actionId ? await waitTiming(ctx, since, done.actionId, offsets) : undefined;
  const d = timing?.deltas;
  const moved = after.find((t) => t.state === 'running');
  const record = {
    experiment: 'scenario1',
    iteration,
    params: {
      stress: kind, from: task.node, to: moved?.node ?? null, probeIntervalMs: lab.experiments.probe_interval_ms, probeTimeoutMs: lab.experiments.probe_timeout_ms, probeSources: Object.keys(summary.sources), rampS: lab.experiments.ramp_s,
      // the MTTR then ends at T5, not T6, and any failed probes fall between the two
      old_task_gone_before_replacement: timing?.oldTaskGoneBeforeReplacement ?? null,
    },
    startedAt,
    endedAt: epochNow(),
    events: timing?.events ?? [],
    probes: { summary },
    ...outcomeOf(error),
    measurements: {
      downtime_ms: summary.downtimeMs,
      failed_requests: summary.failed,
      ...phaseMeasurements(d),
    },
    slo: [],
    marks: timing?.marks ?? [],
  };
  ctx.log(
    `scenario1/${kind} #${iteration}: ${task.node} → ${moved?.node ?? '?'}, MTTR ${d?.mttrMs != null ? `${(d.mttrMs / 1000).toFixed(2)} s` : 'n/a'}, ` +
      `failed probes ${Object.entries(summary.sources).map(([k, v]) => `${k} ${v.failed}/${v.samples}`).join(', ')}` +
      `${timing?.oldTaskGoneBeforeReplacement ? '; old task gone before the replacement was ready' : ''}${error ? `; ERROR ${error}` : ''}`,
  );
  return { record, probes: batches };
}

/** The agent's T0/T1 lines can reach the swarm's log stream a moment after the manager's. */
async function waitTiming(ctx: ExperimentContext, since: number, actionId: string, offsets: ClockOffset[]) {
  let timing = await actionTiming(ctx, since, actionId, 'migration', offsets);
  for (let i = 0; i < 10 && timing.deltas.mttrMs === null; i++) {
    await sleep(500);
    timing = await actionTiming(ctx, since, actionId, 'migration', offsets);
  }
  return timing;
}

export const scenario1 = defineExperiment({
  name: 'scenario1',
  title: 'scenario 1: proactive migration with zero downtime',
  variants: [
    { label: 'CPU stress', run: (ctx, i, o) => scenario1Iteration(ctx, i, 'cpu', o) },
    { label: 'memory stress', run: (ctx, i, o) => scenario1Iteration(ctx, i, 'memory', o) },
  ],
  thresholds: [
    { name: 's1-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, description: 'Scenario 1: no failed requests' },
    { name: 's1-no-downtime', metric: 'downtime_ms', op: '==', limit: 0, description: 'Scenario 1: 0 ms downtime' },
    { name: 's1-mttr-under-10s', metric: 'mttr_ms', op: '<', limit: 10_000, description: 'Scenario 1: MTTR (max(T5, T6) − T0) < 10 s' },
    {
      name: 's1-mttr-below-baseline', metric: 'mttr_ms', op: '<',
      limit: { ref: { experiment: 'baseline', metric: 'mttr_ms', stat: 'median' } },
      description: "Scenario 1: MTTR below the baseline's median MTTR of the same run",
    },
    {
      name: 's1-mttr-half-baseline', metric: 'mttr_ms', op: '<=',
      limit: { ref: { experiment: 'baseline', metric: 'mttr_ms', stat: 'median', factor: 0.5 } },
      description: "Scenario 1: MTTR at least 50 % below the baseline's median MTTR of the same run (PRD §4.1)",
    },
    { name: 's1-alert-latency', metric: 'alert_latency_max_ms', op: '<', limit: 1_000, description: 'Alert latency T2 − T1 < 1 s' },
    { name: 's1-decision-latency', metric: 'decision_latency_max_ms', op: '<', limit: 1_000, description: 'Decision latency T3 − T2 < 1 s' },
  ],
});
