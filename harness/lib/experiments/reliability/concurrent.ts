import { loadavg } from 'node:os';
import { appTasks, failedTasks, resetApp, serviceReplicas } from '../../cluster/app-control.ts';
import { corrections } from '../../events/clock-offset.ts';
import { applyCorrections, correlate, phaseDeltas } from '../../events/events.ts';
import { createExtraApps, extraApps, extraAppUrl, removeExtraApps, stopExtraAppStress } from '../../cluster/extra-apps.ts';
import { LoadGenerators } from '../../load/load-generators.ts';
import { managerEvents } from '../../cluster/manager-api.ts';
import { ProbeSet } from '../../probe/probe-set.ts';
import type { ClockOffset, Mark, TimingEvent } from '../../config/types.ts';
import { waitFor } from '../../events/wait-for.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult } from '../context.ts';
import { setManagerEnv } from '../manager-control.ts';
import { defineExperiment } from '../experiment.ts';
import type { Threshold } from '../../report/slo.ts';
import { FAULTS_MARK, concurrentRecord, type ActionTimings } from './concurrent-record.ts';
import { CONCURRENT_TIMING, CPU_TARGET_PCT, cpuStressUrl, loadSeconds, memoryStressUrl, startStress, trafficStreams, type Role } from './concurrent-faults.ts';
import { calibrateTrafficOnce, trafficTargets, type Calibration } from '../traffic-calibration.ts';
import { limitCandidates } from '../traffic-plan.ts';
import { loadFromPlan, type Scenario2Load } from '../scenario2-load.ts';
import type { LabConfig } from '../../config/lab-config.ts';

/** A, B and C: lab.yaml's three copies (experiments.concurrent_apps), each with its fault. */
export function roles(lab: LabConfig): readonly Role[] {
  const [a, b, c] = extraApps(lab);
  return [
    { key: 'a', app: a, fault: 'cpu', expect: 'migrate' },
    { key: 'b', app: b, fault: 'traffic', expect: 'scale_up' },
    { key: 'c', app: c, fault: 'memory', expect: 'migrate' },
  ];
}
// A's CPU stress gets its share of the shared host late: its T0 came 14–40 s after the faults (measured)
const ACTION_LIMIT_MS = 60_000;
const STRESS_HOLD_S = 60;

/** MANAGED_SERVICES plus the copies (unset stays unset: the manager then manages every service). */
const withCopies = (ROLES: readonly Role[]) => (list: string | undefined) =>
  list === undefined ? undefined : [...new Set([...list.split(',').map((s) => s.trim()).filter(Boolean), ...ROLES.map((r) => r.app.name)])].join(',');

/** The manager's action on a service ended (completed or failed), as /events shows it. */
function ended(events: readonly TimingEvent[], r: Role): boolean {
  const ids = new Set(events.filter((e) => e.event === 'action_started' && e.service === r.app.name && e.action === r.expect).map((e) => e.actionId));
  return events.some((e) => (e.event === 'action_completed' || e.event === 'action_failed') && ids.has(e.actionId));
}

/**
 * Concurrent faults: three copies of web-stress (A, B, C), each on its own worker,
 * each probed through its own frontend; at the same moment CPU stress on A, load-generator traffic
 * on B, memory stress on C. Expected: A and C migrate, B scales up, every probe request succeeds,
 * no action touches another service, nothing fails, every `update out of sequence` is retried.
 * The manager manages the copies for the iteration only (MANAGED_SERVICES extended, then restored).
 */
export async function concurrentIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const { lab, cluster } = ctx;
  const ROLES = roles(lab);
  const tag = `concurrent #${iteration}`;
  const startedAt = epochNow();
  const urls = Object.fromEntries(ROLES.map((r) => [r.key, extraAppUrl(lab, r.app)]));
  let loadS: number;
  const runId = `cc-${iteration}-${Date.now().toString(36)}`;
  const problems: string[] = [];
  const marks: Mark[] = [];
  const probes = new Map<string, ProbeSet>();
  let managedBefore: string | undefined;
  let managerSet = false;
  let gens: LoadGenerators | undefined;
  let managerLog: TimingEvent[] = [];
  const from: Record<string, string> = {};
  const to: Record<string, string[]> = {};
  let bReplicas: number | null = null;
  let mainChanged: string | undefined;
  let hostLoad: number | undefined;
  let calibration: Calibration | undefined;
  let load: Scenario2Load | undefined;
  let copyCpus = lab.app.limits.cpus;
  try {
    // not the copies yet: B's calibration drives it near its limit, and a manager that managed B then
    // scaled it up before the faults (seen on a busy host)
    managedBefore = await setManagerEnv(ctx, 'MANAGED_SERVICES', (previous) => previous ?? lab.app.service);
    managerSet = true;
    const [mainTask] = await resetApp(lab, cluster);
    await removeExtraApps(lab, cluster); // what an interrupted run may have left
    const copies = await placeCopies(ctx, tag, runId, ROLES, urls.b);
    ({ calibration, load, copyCpus } = copies);
    const placed = copies.placed;
    loadS = loadSeconds(load);
    for (const r of ROLES) from[r.key] = placed.get(r.app.name)!.node;
    // the copies managed from here on, by a fresh manager: no cooldown, no counter
    await setManagerEnv(ctx, 'MANAGED_SERVICES', withCopies(ROLES)(managedBefore ?? lab.app.service));
    const mainBefore = await cluster.service(lab.app.service);
    const budgetMs = (loadS + 40) * 1000 + ACTION_LIMIT_MS;
    const started = await Promise.all(ROLES.map((r) => ProbeSet.start(lab, { experiment: 'concurrent', url: `${urls[r.key]}${lab.experiments.probe_path}`, durationMs: budgetMs, runId: `${runId}-${r.key}`, log: ctx.log })));
    ROLES.forEach((r, i) => probes.set(r.key, started[i]));
    gens = await LoadGenerators.connect(lab, { runId, log: ctx.log });
    const memUrl = await memoryStressUrl(lab, urls.c, STRESS_HOLD_S);
    await sleep(1000);
    ctx.log(`${tag}: A ${from.a} (CPU), B ${from.b} (traffic ${loadS} s), C ${from.c} (memory), all at once`);
    // the traffic first: starting it uploads scripts over SSH first; the two stress requests follow within milliseconds
    await gens.start(trafficStreams(lab, urls.b, load));
    const loadStart = epochNow();
    marks.push({ label: FAULTS_MARK, t: loadStart });
    await Promise.all([startStress(cpuStressUrl(urls.a, STRESS_HOLD_S)), startStress(memUrl)]);
    await awaitAllActions(ctx, ROLES, (load) => (hostLoad = Math.max(hostLoad ?? 0, load)));
    marks.push({ label: 'all actions ended', t: epochNow() });
    await Promise.all([stopExtraAppStress(lab, ROLES[0].app), stopExtraAppStress(lab, ROLES[2].app)]);
    for (const r of ROLES) to[r.key] = (await appTasks(cluster, r.app.name)).filter((t) => t.state === 'running').map((t) => t.node);
    bReplicas = await serviceReplicas(cluster, ROLES[1].app.name);
    const remaining = loadS * 1000 - (epochNow() - loadStart);
    ctx.log(`${tag}: actions ended ${((epochNow() - loadStart) / 1000).toFixed(1)} s after the faults; traffic on B ends by itself in ${Math.max(0, remaining / 1000).toFixed(0)} s`);
    await gens.waitDone(remaining + 15_000);
    await sleep(2000); // the probes see the end of the traffic through
    const mainAfter = await cluster.service(lab.app.service);
    const mainTasks = await appTasks(cluster, lab.app.service);
    if (mainAfter.version !== mainBefore.version || mainTasks.length !== 1 || mainTasks[0].id !== mainTask.id) {
      mainChanged = `${lab.app.service}: version ${mainBefore.version} → ${mainAfter.version}, task ${mainTask.id} → ${mainTasks.map((t) => t.id).join(',') || 'none'}`;
    }
  } catch (err) {
    problems.push((err as Error).message);
  } finally {
    await gens?.stop().catch((err: Error) => problems.push(err.message));
    const stopped = await Promise.allSettled([...probes.values()].map((p) => p.stop()));
    for (const s of stopped) if (s.status === 'rejected') problems.push(`probe: ${(s.reason as Error).message}`);
    if (managerSet) {
      // read before the manager is restarted: its /events are its memory
      managerLog = await managerEvents(lab, 0).catch((err: Error) => (problems.push(`manager events: ${err.message}`), []));
    }
  }
  const { timing, swarmEnded } = await collectAndRemove(ctx, ROLES, startedAt, managerLog, offsets, problems, managerSet ? { managedBefore } : undefined);
  return concurrentRecord(ctx, iteration, { roles: ROLES, startedAt, probes, managerLog, timing, problems, marks, from, to, bReplicas, mainChanged, hostLoad, gens, tag, swarmEnded, copyCpus, load, calibration });
}

/**
 * Until each role's action ended (completed or failed), as the manager's /events show; `observe`
 * gets the host's load at every look: the control host is the lab's host, and a saturated one
 * explains slow recoveries.
 */
async function awaitAllActions(ctx: ExperimentContext, ROLES: readonly Role[], observe: (load: number) => void): Promise<void> {
  let seen: TimingEvent[] = [];
  await waitFor(
    'A migrated, B scaled up, C migrated (each action ended)',
    async () => {
      seen = await managerEvents(ctx.lab, 0);
      observe(loadavg()[0]);
      return ROLES.every((r) => ended(seen, r));
    },
    {
      timeoutMs: ACTION_LIMIT_MS,
      intervalMs: 500,
      lastSeen: () => `ended: ${ROLES.filter((r) => ended(seen, r)).map((r) => r.key.toUpperCase()).join(', ') || 'none'}; started: ${seen.filter((e) => e.event === 'action_started').map((e) => `${String(e.action)} ${String(e.service)}`).join(', ') || 'none'}`,
    },
  );
}

/**
 * What the logs and swarm's task history say of each role, read before the copies go with their
 * history; then the copies removed and the manager's MANAGED_SERVICES restored (when it was set).
 */
async function collectAndRemove(ctx: ExperimentContext, ROLES: readonly Role[], startedAt: number, managerLog: TimingEvent[], offsets: ClockOffset[], problems: string[], restore: { managedBefore: string | undefined } | undefined) {
  const { lab, cluster } = ctx;
  const timing = await actionTimings(ctx, startedAt, managerLog, offsets).catch((err: Error) => (problems.push(`T-events: ${err.message}`), new Map() as ActionTimings));
  // before the copies are removed with their task history: a task swarm killed explains failed probes
  const endedTasks = await Promise.all(ROLES.map((r) => failedTasks(cluster, r.app.name, startedAt).catch((err: Error) => (problems.push(`tasks of ${r.app.name}: ${err.message}`), []))));
  const swarmEnded = Object.fromEntries(ROLES.map((r, i) => [r.key, endedTasks[i]]));
  try {
    await removeExtraApps(lab, cluster);
  } finally {
    if (restore) await setManagerEnv(ctx, 'MANAGED_SERVICES', restore.managedBefore);
  }
  return { timing, swarmEnded };
}

/**
 * The copies on their workers, at the largest limit the shared host carries: B's traffic from what a
 * request costs B on this lab, with A's stress beside it. Returns where each copy runs and B's load.
 */
async function placeCopies(ctx: ExperimentContext, tag: string, runId: string, ROLES: readonly Role[], bUrl: string) {
  const { lab, cluster } = ctx;
  let copyCpus = lab.app.limits.cpus;
  const workers = lab.swarm.workers.map((w) => w.name);
  const placements = ROLES.map((r, i) => ({ app: r.app, node: workers[i % workers.length] }));
  let placed = await createExtraApps(lab, cluster, placements, { cpus: copyCpus });
  // B's traffic from what a request costs B on this lab; all three copies at the largest limit the
  // shared host carries with A's stress beside B's traffic
  const calibration = await calibrateTrafficOnce(ctx, placed.get(ROLES[1].app.name)!.node, {
    url: bUrl,
    metricsUrl: copyMetricsUrl(lab, ROLES[1].app.port, placed.get(ROLES[1].app.name)!.node),
    limitCpus: copyCpus,
    targets: trafficTargets(lab, 2),
    limits: limitCandidates(copyCpus, lab.experiments.traffic.cpu_limit_fallbacks),
    otherCoresPerLimitCpu: CPU_TARGET_PCT / 100,
    runId: `${runId}-cal`,
    log: (l) => ctx.log(`${tag}: B ${l}`),
  });
  for (const r of calibration.plan.rejected) ctx.log(`${tag}: copies not at ${r.limitCpus} CPU: ${r.why}`);
  if (calibration.plan.overHostBudget) ctx.log(`${tag}: copies at ${calibration.plan.limitCpus} CPU, closest to the host budget: ${calibration.plan.overHostBudget}`);
  if (calibration.plan.limitCpus !== copyCpus) {
    copyCpus = calibration.plan.limitCpus;
    await removeExtraApps(lab, cluster);
    placed = await createExtraApps(lab, cluster, placements, { cpus: copyCpus });
  }
  const load = loadFromPlan(calibration.plan, CONCURRENT_TIMING);
  ctx.log(`${tag}: copies at ${copyCpus} CPU; B's traffic ${load.levels[0]} requests/s of ${load.iterations} iterations and ${load.kb} KiB, ≈ ${calibration.plan.levels[0].expectedCpuPct} % CPU`);
  return { placed, calibration, load, copyCpus };
}

/** A copy's own /metrics on the worker it runs on (not through the balancer). */
function copyMetricsUrl(lab: LabConfig, port: number, node: string): string {
  const w = lab.swarm.workers.find((x) => x.name === node);
  if (!w) throw new Error(`a copy runs on ${node}, which lab.yaml does not list as a worker`);
  return `http://${w.address}:${port}/metrics`;
}

/** T0–T6 of each role's action from the agents' and manager's logs, on the control clock. */
async function actionTimings(ctx: ExperimentContext, since: number, managerLog: readonly TimingEvent[], offsets: ClockOffset[]) {
  const out = new Map() as ActionTimings;
  const actions = roles(ctx.lab).map((r) => ({ r, id: managerLog.find((e) => e.event === 'action_started' && e.service === r.app.name && e.action === r.expect)?.actionId })).filter((x) => x.id);
  for (let attempt = 0; attempt < 10 && actions.length > 0; attempt++) {
    const events = applyCorrections(await ctx.cluster.timingEvents(since), corrections(offsets));
    for (const { r, id } of actions) {
      const chain = correlate(events, { actionId: id });
      out.set(r.key, { ...phaseDeltas(chain.phases, r.expect === 'migrate' ? 'migration' : 'scale_up'), events: chain.events });
    }
    if ([...out.values()].every((d) => d.mttrMs !== null)) break;
    await sleep(500); // the agents' T0/T1 lines can reach the log stream late
  }
  return out;
}

// the heaviest on a small host; it probes the copies A, B, C through the local lab's HAProxy frontends
export const concurrent = defineExperiment({
  name: 'concurrent',
  title: 'concurrent faults: CPU on A, traffic on B, memory on C at once; each service recovers by its own action',
  variants: [{ label: 'CPU on A, traffic on B, memory on C', run: (ctx, i, o) => concurrentIteration(ctx, i, o) }],
  thresholds: [
    { name: 'concurrent-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, description: 'Concurrent: no probe of A, B or C fails' },
    { name: 'concurrent-right-services', metric: 'wrong_service_actions', op: '==', limit: 0, description: 'Concurrent: every action on the service whose fault caused it' },
    { name: 'concurrent-no-failed-actions', metric: 'failed_actions', op: '==', limit: 0, description: 'Concurrent: no action fails' },
    { name: 'concurrent-sequence', metric: 'out_of_sequence_unhandled', op: '==', limit: 0, description: 'Concurrent: no out-of-sequence update left unretried' },
    ...['a', 'b', 'c'].map((k): Omit<Threshold, 'experiment'> => ({ name: `concurrent-${k}-recovered`, metric: `${k}_mttr_ms`, op: '>', limit: 0, description: `Concurrent: ${k.toUpperCase()}'s action completed and its MTTR was measured` })),
    { name: 'concurrent-b-scaled', metric: 'b_replicas_after', op: '>', limit: 1, description: 'Concurrent: traffic scaled B up' },
  ],
});
