import { appMemory, appTasks, resetApp, stopAllStress, type AppTask } from '../cluster/app-control.ts';
import { actionEnd, managerEvents } from '../cluster/manager-api.ts';
import { ProbeSet } from '../probe/probe-set.ts';
import { summarizeProbeSources } from '../probe/probe-summary.ts';
import type { TimingEvent } from '../config/types.ts';
import { actionTiming, phaseMeasurements } from './action-timing.ts';
import { epochNow, outcomeOf, sleep, type ExperimentContext } from './context.ts';
import { defineExperiment, runMethod } from './experiment.ts';
import { restartManager } from './manager-control.ts';

/**
 * The leak's pace: from the app's memory at the start to the most web-stress will hold in this
 * long. Slow beside the agent's sampling (a sample every 0.5 s by default), so the manager sees a
 * leak growing, not a step; fast enough that, at the default thresholds (80 % of the limit), the
 * leak would reach the limit a few seconds after a migration's usual MTTR.
 */
const LEAK_S = 45;
const ACTION_LIMIT_MS = 120_000;

interface Leak {
  iteration: number;
  task: AppTask;
  probes: ProbeSet;
  since: number;
  startedAt: number;
  tag: string;
  fromMb: number;
  capMb: number;
  limitMb: number;
}

/** The most the app lets a memory stress hold: it says so when asked for more than its limit. */
async function memoryCapMb(ctx: ExperimentContext, limitMb: number): Promise<number> {
  const url = `${ctx.lab.entrypoint}/stress/memory?target=${Math.ceil(limitMb) + 1}&duration=1`;
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { allowed?: { max?: number } };
  if (res.status !== 400 || typeof body.allowed?.max !== 'number') throw new Error(`${url}: expected a 400 naming the allowed maximum, got ${res.status} ${JSON.stringify(body)}`);
  return body.allowed.max;
}

const migrationsOf = (events: TimingEvent[], service: string) =>
  events.filter((e) => e.event === 'decision_made' && e.decision === 'migrate' && e.service === service);

/**
 * A memory leak (the PRD's "resource leak"): the app's task grows its memory steadily towards the
 * most it can hold. The manager should see it cross memory_threshold with little network, and
 * migrate the task before the leak reaches its ceiling; the replacement starts without the leak.
 */
export const memoryLeak = defineExperiment({
  name: 'memory-leak',
  title: 'memory leak: migrated while it grows, to a replacement without it',
  variants: [
    {
      label: 'steady leak',
      run: runMethod<Leak, TimingEvent>({
        async setUp(ctx, iteration) {
          const startedAt = epochNow();
          await restartManager(ctx); // fresh breach counters and cooldowns
          const [task] = await resetApp(ctx.lab, ctx.cluster);
          const probes = await ProbeSet.start(ctx.lab, { durationMs: (LEAK_S + 20) * 1000 + ACTION_LIMIT_MS, experiment: 'memory-leak', runId: `leak-${iteration}-${Date.now().toString(36)}`, log: ctx.log });
          const m = await appMemory(ctx.lab.entrypoint);
          const capMb = await memoryCapMb(ctx, m.memory_limit_mb);
          return { iteration, task, probes, since: epochNow(), startedAt, tag: `memory-leak #${iteration}`, fromMb: m.memory_mb, capMb, limitMb: m.memory_limit_mb };
        },
        async inject(ctx, s) {
          await sleep(1000);
          // the stress's own memory comes on top of the app's: it grows to what is left below the cap
          const target = Math.max(1, Math.floor(s.capMb - s.fromMb));
          const url = `${ctx.lab.entrypoint}/stress/memory?target=${target}&ramp=${LEAK_S}&duration=${LEAK_S + 60}`;
          ctx.log(`${s.tag}: ${s.task.containerId.slice(0, 12)} on ${s.task.node} leaks ${target} MB in ${LEAK_S} s (from ${Math.round(s.fromMb)} MB, limit ${Math.round(s.limitMb)} MB)`);
          const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
          if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
        },
        awaits: {
          name: 'a migration of the leaking task to end',
          timeoutMs: ACTION_LIMIT_MS,
          until: (ctx, s) => actionEnd(ctx.lab, s.since, ctx.lab.app.service),
        },
        async rollback(ctx, s) {
          await sleep(3000); // a second migration, if the replacement leaked too, would start in this
          await stopAllStress(ctx.lab).finally(() => void s.probes.stop().catch(() => undefined));
        },
        async measure(ctx, s, done, error, offsets) {
          const { lab, cluster } = ctx;
          const { summary, batches } = summarizeProbeSources(await s.probes.stop());
          if (done?.event === 'action_failed') error = [error, `migration failed: ${String(done.reason ?? done.error ?? 'no reason given')}`].filter(Boolean).join('; ');
          const timing = done?.actionId ? await actionTiming(ctx, s.since, String(done.actionId), 'migration', offsets) : undefined;
          const after = (await appTasks(cluster, lab.app.service)).find((t) => t.state === 'running');
          const fresh = after && after.containerId !== s.task.containerId ? await appMemory(ctx.lab.entrypoint) : undefined;
          const freshPct = fresh ? (fresh.memory_mb / fresh.memory_limit_mb) * 100 : null;
          const threshold = lab.swarmguard.config.scenarios.scenario1_migration.memory_threshold;
          const d = timing?.deltas;
          const rateMbPerS = (s.capMb - s.fromMb) / LEAK_S;
          // the leak starts with the stress request (the inject step's 1 s pause after since); the
          // stress stops short of the limit, so when the leak would have reached it is projected at its pace
          const limitAt = s.since + 1000 + ((s.limitMb - s.fromMb) / rateMbPerS) * 1000;
          const t5 = timing?.marks.find((m) => m.label === 'T5')?.t;
          const record = {
            experiment: 'memory-leak',
            iteration: s.iteration,
            params: { from: s.task.node, to: after?.node ?? null, leak_s: LEAK_S, leak_mb_per_s: Math.round(rateMbPerS * 10) / 10, memory_from_mb: Math.round(s.fromMb), memory_cap_mb: s.capMb, memory_limit_mb: Math.round(s.limitMb), memory_threshold_pct: threshold },
            startedAt: s.startedAt,
            endedAt: epochNow(),
            events: timing?.events ?? [],
            probes: { summary },
            ...outcomeOf(error),
            measurements: {
              failed_requests: summary.failed,
              downtime_ms: summary.downtimeMs,
              migrations: migrationsOf(await managerEvents(lab, s.since), lab.app.service).length,
              // positive: the replacement served before the leak, at its pace, would have reached the limit
              limit_margin_ms: t5 !== undefined ? Math.round(limitAt - t5) : null,
              replacement_memory_pct: freshPct === null ? null : Math.round(freshPct * 10) / 10,
              replacement_over_threshold: freshPct === null ? null : freshPct > threshold ? 1 : 0,
              ...phaseMeasurements(d),
            },
            slo: [],
            marks: timing?.marks ?? [],
          };
          ctx.log(`${s.tag}: ${s.task.node} → ${after?.node ?? '?'}, MTTR ${d?.mttrMs != null ? `${(d.mttrMs / 1000).toFixed(2)} s` : 'n/a'}, ${summary.failed} failed probes, replacement at ${freshPct?.toFixed(1) ?? '?'} % memory${error ? `; ERROR ${error}` : ''}`);
          return { record, probes: batches };
        },
      }),
    },
  ],
  thresholds: [
    { name: 'leak-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, description: 'Memory leak: the migration loses no request' },
    { name: 'leak-one-migration', metric: 'migrations', op: '==', limit: 1, description: 'Memory leak: one migration, and none of the replacement' },
    { name: 'leak-ahead-of-limit', metric: 'limit_margin_ms', op: '>', limit: 0, description: "Memory leak: the replacement served (T5) before the leak, at its pace, would have reached the task's memory limit (projected: the stress stops short of it)" },
    { name: 'leak-replacement-fresh', metric: 'replacement_over_threshold', op: '==', limit: 0, description: 'Memory leak: the replacement starts below memory_threshold' },
    { name: 'leak-mttr-under-10s', metric: 'mttr_ms', op: '<', limit: 10_000, description: 'Memory leak: MTTR (max(T5, T6) − T0) < 10 s' },
  ],
});
