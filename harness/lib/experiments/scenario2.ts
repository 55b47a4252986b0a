import { ProbeSet } from '../probe/probe-set.ts';
import { summarizeProbeSources } from '../probe/probe-summary.ts';
import { appTasks, resetApp, serviceReplicas, type AppTask } from '../cluster/app-control.ts';
import { waitFor } from '../events/wait-for.ts';
import { corrections } from '../events/clock-offset.ts';
import { applyCorrections, correlateAll, phaseDeltas, type ActionChain, type PhaseDeltas } from '../events/events.ts';
import { LoadGenerators } from '../load/load-generators.ts';
import { parseLoadLog, type LoadLogSummary } from '../load/load-script.ts';
import { PHASES, type ClockOffset, type Mark, type TimingEvent } from '../config/types.ts';
import { restartManager } from './manager-control.ts';
import { defineExperiment } from './experiment.ts';
import { SeriesRecorder } from './series-recorder.ts';
import { normalizeSpread, spreadAfterScaleUp } from './load-spread.ts';
import { levelChanges, loadFromPlan, scenario2Schedule, scenario2Streams, type LoadTiming, type Scenario2Load } from './scenario2-load.ts';
import { calibrateTrafficOnce, trafficTargets, type Calibration } from './traffic-calibration.ts';
import { limitCandidates } from './traffic-plan.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf } from './context.ts';
import { open } from 'node:fs/promises';
import { LabPaths } from '../../lab/lab-paths.ts';
import { stateDir, type LabConfig } from '../config/lab-config.ts';

/**
 * The local lab's HAProxy log from a byte offset: its server UP/DOWN lines explain failed requests
 * (a busy replica whose health check took over `timeout check` is taken out with `fall 1`).
 */
async function balancerLog(lab: LabConfig, from?: number): Promise<{ size: number; text: string }> {
  if (lab.kind !== 'local') return { size: 0, text: '' };
  const f = await open(new LabPaths(stateDir(lab)).service('haproxy').log, 'r').catch(() => undefined);
  if (!f) return { size: 0, text: '' };
  try {
    const { size } = await f.stat();
    if (from === undefined || size <= from) return { size, text: '' };
    const buf = Buffer.alloc(Math.min(size - from, 1 << 20));
    await f.read(buf, 0, buf.length, from);
    return { size, text: buf.toString('utf8') };
  } finally {
    await f.close();
  }
}

function balancerEvents(text: string): { downOnCheckTimeout: number; noServerAvailable: number; lines: string[] } {
  const lines = text.split('\n').filter((l) => /is DOWN|is UP|no server available/.test(l)).map((l) => l.replace(/^\[\w+\]\s+\(\d+\) : /, ''));
  return {
    downOnCheckTimeout: lines.filter((l) => /is DOWN, reason: Layer7 timeout/.test(l)).length,
    noServerAvailable: lines.filter((l) => /no server available/.test(l)).length,
    lines: lines.slice(0, 40),
  };
}

export interface Scenario2Options {
  /** A fixed load instead of one calibrated on the lab (the entry script's overrides). */
  load?: Scenario2Load;
  /** The app's CPU limit to calibrate at and try first (default lab.yaml app.limits.cpus). */
  cpus?: number;
  /** Ramp and hold of the calibrated levels, instead of SCENARIO2_TIMING's. */
  timing?: Partial<LoadTiming>;
  /** Longest wait, after the traffic ended, for the manager to scale back to the configured replicas. */
  scaleDownTimeoutMs?: number;
  /** Seconds between progress lines. */
  progressEveryS?: number;
}

interface ScaleAction {
  actionId: string;
  kind: 'scale_up' | 'scale_down';
  from: number | null;
  to: number | null;
  chain: ActionChain;
  started?: number;
  completed?: number;
  failed?: string;
}

function actionsOf(events: readonly TimingEvent[]): ScaleAction[] {
  const out: ScaleAction[] = [];
  for (const chain of correlateAll(events)) {
    const start = chain.events.find((e) => e.event === 'action_started');
    const kind = start?.action;
    if (kind !== 'scale_up' && kind !== 'scale_down') continue;
    const failed = chain.events.find((e) => e.event === 'action_failed');
    out.push({
      actionId: chain.actionIds[0],
      kind,
      from: typeof start?.fromReplicas === 'number' ? start.fromReplicas : null,
      to: typeof start?.toReplicas === 'number' ? start.toReplicas : null,
      chain,
      started: start?.t,
      completed: chain.events.find((e) => e.event === 'action_completed')?.t,
      ...(failed ? { failed: String(failed.reason ?? failed.error ?? 'no reason given') } : {}),
    });
  }
  return out.sort((a, b) => (a.started ?? 0) - (b.started ?? 0));
}

/** T-events from the logs on the control clock; the agents' T0/T1 lines can reach the log stream late. */
async function scaleActions(ctx: ExperimentContext, since: number, offsets: readonly ClockOffset[]): Promise<{ events: TimingEvent[]; actions: ScaleAction[] }> {
  for (let attempt = 0; ; attempt++) {
    const events = applyCorrections(await ctx.cluster.timingEvents(since), corrections(offsets));
    const actions = actionsOf(events);
    const incomplete = actions.some((a) => a.kind === 'scale_up' && !a.failed && (a.chain.phases.T0 === undefined || a.chain.phases.T5 === undefined));
    if (!incomplete || attempt >= 10) return { events, actions };
    await sleep(500);
  }
}

const max = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
};
const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

/** A worker's web-stress /metrics, directly (not through the balancer). */
function replicaMetricsUrl(lab: LabConfig, node: string): string {
  const w = lab.swarm.workers.find((x) => x.name === node);
  if (!w) throw new Error(`the replica runs on ${node}, which lab.yaml does not list as a worker`);
  return `http://${w.address}:${lab.app.publish.port}/metrics`;
}

interface ShortfallCheck {
  /** Replicas that share the level until the manager adds one. */
  replicas: number;
  at: number;
  done: boolean;
  /** Looked once and found short: looked at again `graceMs` later before the iteration stops. */
  looked: boolean;
  graceMs: number;
}

/**
 * When each level should have crossed the scale-up rule: its ramp, then two breaches' worth of
 * polls and a few seconds for the manager to act.
 */
function shortfallChecks(lab: LabConfig, load: Scenario2Load, loadStart: number): ShortfallCheck[] {
  const pollS = lab.swarmguard.config.monitoring.poll_interval;
  const breaches = lab.swarmguard.config.scenarios.scenario2_scaling.consecutive_breaches;
  // the breaches, two polls of slack, and a few seconds for the manager to act
  const actS = 3 + (breaches + 2) * pollS;
  return levelChanges(load)
    .slice(0, load.levels.length)
    // a replica whose CPU climbs slowly can cross the rule just after: a second look one such wait later
    .map((s, i) => ({ replicas: i + 1, at: loadStart + (s + load.rampS + actS) * 1000, done: false, looked: false, graceMs: actS * 1000 }));
}

/**
 * Null when the level did what it should (the manager scaled up, or the replicas are above both
 * thresholds); else why the iteration should stop now: what the replicas reached against the
 * target, and what the generators sent against the plan.
 */
function shortfall(lab: LabConfig, check: ShortfallCheck, recorder: SeriesRecorder, gens: LoadGenerators, calibration: Calibration | undefined): string | null {
  const replicas = recorder.replicas.at(-1)?.replicas ?? 0;
  if (replicas > check.replicas) return null;
  const now = epochNow();
  const recent = recorder.containers.filter((p) => p.t > now - 3000);
  if (recent.length === 0) return null; // no metrics: not a verdict on the traffic
  const cpu = recent.reduce((n, p) => n + p.cpu, 0) / recent.length;
  const netPct = (recent.reduce((n, p) => n + p.rxMbps + p.txMbps, 0) / recent.length / lab.swarmguard.config.monitoring.link_mbps) * 100;
  const rules = lab.swarmguard.config.scenarios.scenario2_scaling;
  if (cpu > rules.cpu_threshold && netPct > rules.network_threshold_min) return null;
  const level = calibration?.plan.levels[check.replicas - 1];
  const lastFull = Math.floor(now / 1000) - 2;
  const sums = gens.summaries();
  const sent = (stream: string) => sums.filter((x) => x.stream === stream).reduce((n, x) => n + (x.summary.perSecond.find((p) => p.second === lastFull)?.sent ?? 0), 0);
  return (
    `traffic level ${check.replicas}: ${check.replicas} replica(s) reached ${cpu.toFixed(0)} % CPU and ${netPct.toFixed(0)} % network each, ` +
    `the scale-up rule needs > ${rules.cpu_threshold} % and > ${rules.network_threshold_min} %` +
    (level ? `; the calibration expected ${level.expectedCpuPct} % and ${level.expectedNetworkPct} % from ${level.rps} requests/s` : '') +
    `; the generators sent ${sent('work')} requests in the last full second`
  );
}

/**
 * Proactive scale-up and scale-down (DESIGN.md §2.3, scenario 2): the load generators send traffic
 * that makes the replica both CPU-busy and network-heavy, in levels sized for one more replica each;
 * the manager adds one replica at a time, the load spreads over them; after the traffic the manager
 * removes the extra replicas. The probe and the generators' own requests must all succeed.
 */
export async function scenario2Iteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], opts: Scenario2Options = {}): Promise<IterationResult> {
  const { lab } = ctx;
  const startedAt = epochNow();
  const tag = `scenario2 #${iteration}`;
  await restartManager(ctx); // fresh breach counters and cooldowns for every iteration
  const plan = await planScenario2(ctx, iteration, tag, opts);
  const driven = await driveScenario2(ctx, iteration, tag, plan, opts);
  const result = await scenario2Result(ctx, iteration, offsets, tag, startedAt, plan, driven);
  if (plan.cpus !== lab.app.limits.cpus) {
    // the app as lab.yaml has it, for whatever runs next
    await resetApp(lab, ctx.cluster).catch((err: Error) => ctx.log(`${tag}: restoring the CPU limit ${lab.app.limits.cpus} failed: ${err.message}`));
  }
  return result;
}

/** What the traffic will be: a fixed load, or one calibrated on the lab, and the CPU limit the app runs at. */
interface Scenario2Plan {
  task: AppTask;
  calibration?: Calibration;
  load: Scenario2Load;
  cpus: number;
}

async function planScenario2(ctx: ExperimentContext, iteration: number, tag: string, opts: Scenario2Options): Promise<Scenario2Plan> {
  const { lab, cluster } = ctx;
  const appCpus = opts.cpus ?? lab.app.limits.cpus;
  let [task] = await resetApp(lab, cluster, 90_000, appCpus);
  if (opts.load) return { task, load: opts.load, cpus: appCpus };
  const calibration = await calibrateTrafficOnce(ctx, task.node, {
    url: lab.entrypoint,
    metricsUrl: replicaMetricsUrl(lab, task.node),
    limitCpus: appCpus,
    targets: trafficTargets(lab),
    limits: limitCandidates(appCpus, lab.experiments.traffic.cpu_limit_fallbacks),
    runId: `s2c-${iteration}-${Date.now().toString(36)}`,
    log: (l) => ctx.log(`${tag}: ${l}`),
  });
  const load = loadFromPlan(calibration.plan, opts.timing);
  const cpus = calibration.plan.limitCpus;
  for (const r of calibration.plan.rejected) ctx.log(`${tag}: not at ${r.limitCpus} CPU: ${r.why}`);
  if (calibration.plan.overHostBudget) ctx.log(`${tag}: at ${cpus} CPU, closest to the host budget: ${calibration.plan.overHostBudget}`);
  if (cpus !== appCpus) [task] = await resetApp(lab, cluster, 90_000, cpus);
  ctx.log(
    `${tag}: a request of ${calibration.request.iterations} iterations and ${calibration.request.kb} KiB cost the replica ${calibration.request.cpuMs} ms of CPU ` +
      `and ${calibration.request.mbpsPerRps} Mbps per request/s${calibration.request.hostMs === null ? '' : `, the host ${calibration.request.hostMs} ms`} (at ${calibration.measuredAtCpus} CPU); at ${cpus} CPU, answers of ${load.kb} KiB: ` +
      calibration.plan.levels.map((l) => `${l.replicas} replica(s) ← ${l.rps} requests/s (≈ ${l.expectedCpuPct} % CPU, ${l.expectedNetworkPct} % network each)`).join(', '),
  );
  return { task, calibration, load, cpus };
}

/** What the traffic and the wait for the scale-down left: the probes' and the recorder's figures, the times, any error. */
interface Scenario2Driven {
  since: number;
  balancerFrom: number;
  error?: string;
  loadStart?: number;
  loadEnd?: number;
  backAt?: number;
  gens?: LoadGenerators;
  probed: ReturnType<typeof summarizeProbeSources>;
  series: Awaited<ReturnType<SeriesRecorder['stop']>>;
}

/** The probes and the series recorder on, the traffic sent, the scale-down awaited; everything started is stopped. */
async function driveScenario2(ctx: ExperimentContext, iteration: number, tag: string, plan: Scenario2Plan, opts: Scenario2Options): Promise<Scenario2Driven> {
  const { lab, cluster } = ctx;
  const scaleDownTimeoutMs = opts.scaleDownTimeoutMs ?? 180_000;
  const loadS = scenario2Schedule(plan.load).length;
  const budgetMs = (loadS + 30) * 1000 + scaleDownTimeoutMs + 20_000;
  const probes = await ProbeSet.start(lab, { durationMs: budgetMs, experiment: 'scenario2', runId: `s2p-${iteration}-${Date.now().toString(36)}`, log: ctx.log });
  const recorder = new SeriesRecorder(lab, cluster, { maxMs: budgetMs });
  const balancerFrom = (await balancerLog(lab)).size;
  const since = epochNow();
  recorder.start();
  const d: Omit<Scenario2Driven, 'probed' | 'series'> = { since, balancerFrom };
  try {
    await sleep(1000);
    d.gens = await LoadGenerators.connect(lab, { runId: `s2-${iteration}-${Date.now().toString(36)}`, log: ctx.log });
    ctx.log(`${tag}: replica ${plan.task.containerId.slice(0, 12)} on ${plan.task.node} at ${plan.cpus} CPU; ${plan.load.levels.join(' → ')} requests/s of ${plan.load.iterations} iterations and ${plan.load.kb} KiB, ${loadS} s`);
    d.loadStart = await sendTraffic(ctx, tag, plan, loadS, d.gens, recorder, opts);
    d.loadEnd = epochNow();
    await d.gens.stop();
    ctx.log(`${tag}: traffic ended; waiting for the scale-down to ${lab.app.replicas} (at most ${scaleDownTimeoutMs / 1000} s)`);
    d.backAt = await waitFor(
      `${lab.app.service} scaled back to ${lab.app.replicas} replica(s) after the traffic`,
      async () => {
        if ((await serviceReplicas(cluster, lab.app.service)) !== lab.app.replicas) return undefined;
        const tasks = await appTasks(cluster, lab.app.service);
        return tasks.length === lab.app.replicas && tasks.every((t) => t.state === 'running') ? epochNow() : undefined;
      },
      { timeoutMs: scaleDownTimeoutMs, intervalMs: 500 },
    );
    await sleep(3000); // the probe sees the last scale-down through
  } catch (err) {
    d.error = (err as Error).message;
  } finally {
    await d.gens?.stop().catch((err: Error) => {
      d.error = [d.error, err.message].filter(Boolean).join('; ');
    });
  }
  const probed = summarizeProbeSources(await probes.stop().finally(() => recorder.stop()));
  return { ...d, probed, series: await recorder.stop() };
}

/**
 * Starts the load scripts and follows them to their end (`loadS`, the schedule's seconds), stopping
 * early when a level falls short of the rule; returns the load's start.
 */
async function sendTraffic(ctx: ExperimentContext, tag: string, plan: Scenario2Plan, loadS: number, gens: LoadGenerators, recorder: SeriesRecorder, opts: Scenario2Options): Promise<number> {
  const { lab } = ctx;
  await gens.start(scenario2Streams(lab, plan.load));
  const loadStart = epochNow();
  const until = Date.now() + (loadS + 30) * 1000;
  const checks = shortfallChecks(lab, plan.load, loadStart);
  for (let tick = 0; gens.running && Date.now() < until; tick++) {
    await sleep(1000);
    if (tick % 2 === 1) await gens.poll();
    if (tick % (opts.progressEveryS ?? 5) === 0) progress(ctx, tag, loadStart, recorder, gens);
    const due = checks.find((c) => !c.done && epochNow() >= c.at);
    if (due) {
      due.done = true;
      const short = shortfall(lab, due, recorder, gens, plan.calibration);
      if (short && !due.looked) {
        Object.assign(due, { looked: true, done: false, at: epochNow() + due.graceMs });
        ctx.log(`${tag}: ${short}; looking again in ${(due.graceMs / 1000).toFixed(1)} s`);
      } else if (short) throw new Error(short);
    }
  }
  await gens.poll();
  if (gens.running) throw new Error(`load scripts still running ${loadS + 30} s after they started (schedule ${loadS} s)`);
  return loadStart;
}

/** The iteration's record from what the drive left and what the logs say of the scale actions. */
async function scenario2Result(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], tag: string, startedAt: number, plan: Scenario2Plan, d: Scenario2Driven): Promise<IterationResult> {
  const { lab, cluster } = ctx;
  const service = lab.app.service;
  const { task, calibration, load, cpus } = plan;
  const { gens, since, balancerFrom, loadStart, loadEnd, backAt, series } = d;
  const { summary, batches } = d.probed;
  let error = d.error;
  const loadLogs = (gens?.logs() ?? []).map((l) => ({ generator: l.generator, stream: l.stream, summary: parseLoadLog(l.text) }));
  const loadFailed = loadLogs.reduce((n, l) => n + l.summary.failed, 0);
  const loadSent = loadLogs.reduce((n, l) => n + l.summary.sent, 0);

  const { actions } = await scaleActions(ctx, since, offsets);
  const balancer = balancerEvents((await balancerLog(lab, balancerFrom)).text);
  const ups = actions.filter((a) => a.kind === 'scale_up');
  const downs = actions.filter((a) => a.kind === 'scale_down');
  const deltas: PhaseDeltas[] = ups.filter((a) => !a.failed).map((a) => phaseDeltas(a.chain.phases, 'scale_up'));
  const failedActions = actions.filter((a) => a.failed).map((a) => `${a.kind} ${a.actionId}: ${a.failed}`);
  if (failedActions.length > 0) error = [error, ...failedActions].filter(Boolean).join('; ');

  const spread = spreadOf(ups, plan, loadStart, series, loadLogs);
  const scaleDowns = downs.map((a) => ({
    from: a.from,
    to: a.to,
    decidedAt: a.chain.events.find((e) => e.event === 'decision_made')?.t ?? null,
    completedAt: a.completed ?? null,
    afterTrafficMs: a.completed !== undefined && loadEnd !== undefined ? Math.round(a.completed - loadEnd) : null,
  }));

  const marks: Mark[] = [
    ...ups.flatMap((a, i) => PHASES.filter((p) => a.chain.phases[p] !== undefined && p !== 'T6').map((p) => ({ label: `${p} up${i + 1}`, t: a.chain.phases[p]! }))),
    ...downs.filter((a) => a.completed !== undefined).map((a) => ({ label: `down→${a.to ?? '?'}`, t: a.completed! })),
    ...(loadStart ? [{ label: 'load start', t: loadStart }] : []),
    ...(loadEnd ? [{ label: 'load end', t: loadEnd }] : []),
  ];
  const finalReplicas = await serviceReplicas(cluster, service).catch(() => null);
  const t5t4 = deltas.map((d) => d.t5_t4_ms);
  const record = {
    experiment: 'scenario2',
    iteration,
    params: {
      from: task.node,
      cpus,
      calibration: calibration ?? 'none: a fixed load was given',
      caveats: calibration?.plan.overHostBudget ? [`host past its budget: ${calibration.plan.overHostBudget}`] : [],
      load: { ...load, generators: gens?.generators ?? [] },
      probeIntervalMs: lab.experiments.probe_interval_ms,
      probeTimeoutMs: lab.experiments.probe_timeout_ms,
      probeSources: Object.keys(summary.sources),
      rules: lab.swarmguard.config.scenarios.scenario2_scaling,
      linkMbps: lab.swarmguard.config.monitoring.link_mbps,
      loadRequests: { sent: loadSent, failed: loadFailed, perStream: loadLogs.map((l) => ({ generator: l.generator, stream: l.stream, sent: l.summary.sent, failed: l.summary.failed })) },
      scaleUps: ups.map((a, i) => ({ step: i + 1, actionId: a.actionId, from: a.from, to: a.to, ...phaseDeltas(a.chain.phases, 'scale_up') })),
      spread,
      scaleDowns,
      finalReplicas,
      balancer,
    },
    startedAt,
    endedAt: epochNow(),
    events: [...ups, ...downs].flatMap((a) => a.chain.events),
    probes: { summary },
    ...outcomeOf(error),
    measurements: scenario2Measurements(lab, plan, { ups, downs, deltas, t5t4, spread, series, summary, loadFailed, loadSent, finalReplicas, backAt, loadEnd }),
    slo: [],
    marks,
    series,
  };
  logScenario2(ctx, tag, { ups, downs, deltas, t5t4, finalReplicas, scaleDownToMinMs: record.measurements.scale_down_to_min_ms, summary, loadFailed, loadSent, balancer, spread, error });
  return { record, probes: batches };
}

type LoadLogs = { generator: string; stream: string; summary: LoadLogSummary }[];

/** How evenly each scale-up spread the load over the replicas, in the windows before and after it. */
function spreadOf(ups: ScaleAction[], plan: Scenario2Plan, loadStart: number | undefined, series: Scenario2Driven['series'], loadLogs: LoadLogs): ReturnType<typeof normalizeSpread>[] {
  const { load, calibration, cpus } = plan;
  const changes = loadStart ? levelChanges(load).map((s) => loadStart! + s * 1000) : [];
  const spread: ReturnType<typeof normalizeSpread>[] = [];
  ups.forEach((a, i) => {
    const { T4, T5 } = a.chain.phases;
    if (T4 === undefined || T5 === undefined || a.from === null || a.to === null) return;
    const next = [...changes, ...ups.slice(i + 1).map((u) => u.chain.phases.T4 ?? Infinity)].filter((t) => t > T5);
    const s = spreadAfterScaleUp(series.containers, { step: i + 1, t4: T4, t5: T5, fromReplicas: a.from, toReplicas: a.to, cutAt: Math.min(...next) }, { settleMs: 4000, afterMs: 8000 });
    // the load offered in each window: the comparison holds only if it is the same
    // the idle replica's own CPU, in % of the limit it ran at, from the calibration (none without one)
    const idlePct = calibration ? calibration.idleCpuMsPerS / (cpus * 10) : 0;
    if (s) spread.push(normalizeSpread(s, { before: offeredRps(loadLogs, s.window.before), after: offeredRps(loadLogs, s.window.after) }, idlePct));
  });
  return spread;
}

interface Scenario2Figures {
  ups: ScaleAction[];
  downs: ScaleAction[];
  deltas: PhaseDeltas[];
  /** Each successful scale-up's T5−T4, in the order of `deltas`. */
  t5t4: (number | null)[];
  spread: ReturnType<typeof normalizeSpread>[];
  series: Scenario2Driven['series'];
  summary: Scenario2Driven['probed']['summary'];
  loadFailed: number;
  loadSent: number;
  finalReplicas: number | null;
  backAt?: number;
  loadEnd?: number;
}

function scenario2Measurements(lab: LabConfig, plan: Scenario2Plan, f: Scenario2Figures) {
  const { ups, downs, deltas, t5t4, spread, series, summary, loadFailed, loadSent, finalReplicas, backAt, loadEnd } = f;
  const { load, calibration, cpus } = plan;
  return {
      scale_up_count: ups.filter((a) => !a.failed).length,
      scale_down_count: downs.filter((a) => !a.failed).length,
      max_replicas_reached: series.replicas.reduce((m, p) => Math.max(m, p.replicas), 0),
      final_replicas: finalReplicas,
      scale_up_max_ms: round(max(t5t4)),
      mttr_ms: round(deltas[0]?.mttrMs ?? null),
      failed_requests: summary.failed + loadFailed,
      probe_failed: summary.failed,
      load_failed: loadFailed,
      load_requests: loadSent,
      downtime_ms: summary.downtimeMs,
      alert_latency_max_ms: round(max(deltas.map((d) => d.t2_t1_ms))),
      decision_latency_max_ms: round(max(deltas.map((d) => d.t3_t2_ms))),
      scale_down_to_min_ms: backAt !== undefined && loadEnd !== undefined ? Math.round(backAt - loadEnd) : null,
      spread_max_deviation_pct: max(spread.map((s) => s.maxDeviation)),
      limit_cpus: cpus,
      request_cpu_ms: calibration ? calibration.request.cpuMs : null,
      request_mbps_per_rps: calibration ? calibration.request.mbpsPerRps : null,
      request_host_ms: calibration ? calibration.request.hostMs : null,
      // the CPU each replica had just before each scale-up: what the traffic reached
      cpu_reached_before_up1_pct: spread[0] ? round(spread[0].oldTotalCpu / spread[0].fromReplicas) : null,
      target_replicas_missed: Math.max(0, 1 + load.levels.length - series.replicas.reduce((m, p) => Math.max(m, p.replicas), 0)),
      scale_down_non_unit_steps: downs.filter((a) => a.from === null || a.to === null || a.from - a.to !== 1).length,
      scale_up_non_unit_steps: ups.filter((a) => a.from === null || a.to === null || a.to - a.from !== 1).length,
      // back to the count the iteration started from, by as many scale-downs as there were scale-ups
      replicas_not_restored: finalReplicas === null ? null : Math.abs(finalReplicas - lab.app.replicas),
      scale_downs_missing: Math.abs(ups.filter((a) => !a.failed).length - downs.filter((a) => !a.failed).length),
  };
}

function logScenario2(
  ctx: ExperimentContext,
  tag: string,
  f: Pick<Scenario2Figures, 'ups' | 'downs' | 'deltas' | 't5t4' | 'spread' | 'summary' | 'loadFailed' | 'loadSent' | 'finalReplicas'> & { scaleDownToMinMs: number | null; balancer: ReturnType<typeof balancerEvents>; error?: string },
): void {
  const { ups, downs, deltas, t5t4, finalReplicas, summary, loadFailed, loadSent, balancer, spread, error } = f;
  ctx.log(
    `${tag}: ${ups.length} scale-up(s) [T5−T4 ${t5t4.map((x) => (x === null ? '?' : `${Math.round(x)} ms`)).join(', ')}], ` +
      `MTTR ${deltas[0]?.mttrMs != null ? `${(deltas[0].mttrMs / 1000).toFixed(2)} s` : 'n/a'}, ${downs.length} scale-down(s), back to ${finalReplicas} replica(s) ` +
      `${f.scaleDownToMinMs !== null ? `${(f.scaleDownToMinMs / 1000).toFixed(1)} s after the traffic` : ''}; ` +
      `failed probes ${Object.entries(summary.sources).map(([k, v]) => `${k} ${v.failed}/${v.samples}`).join(', ')}, ${loadFailed} load requests of ${loadSent}` +
      (balancer.noServerAvailable > 0 ? ` (HAProxy: ${balancer.downOnCheckTimeout} server(s) DOWN on a health-check timeout, ${balancer.noServerAvailable}× no server available)` : '') +
      spread.map((s) => `; after up${s.step}: ${Object.values(s.perReplica).join('/')} % vs their mean ${s.expectedPerReplica} % (the window before predicted ${s.expectedFromBefore} %; ${s.offeredRps.before} → ${s.offeredRps.after} rps offered)`).join('') +
      `${error ? `; ERROR ${error}` : ''}`,
  );
}

/** Requests per second the generators sent in [from, to) (whole seconds inside the window). */
function offeredRps(logs: { summary: LoadLogSummary }[], [from, to]: [number, number]): number {
  const first = Math.ceil(from / 1000);
  const last = Math.floor(to / 1000) - 1;
  if (last < first) return 0;
  const sent = logs.reduce((n, l) => n + l.summary.perSecond.filter((p) => p.second >= first && p.second <= last).reduce((m, p) => m + p.sent, 0), 0);
  return Math.round((sent / (last - first + 1)) * 10) / 10;
}

function progress(ctx: ExperimentContext, tag: string, loadStart: number, recorder: SeriesRecorder, gens: LoadGenerators): void {
  const now = epochNow();
  const replicas = recorder.replicas.at(-1)?.replicas ?? '?';
  const perReplica = recorder
    .latest(now)
    .map((p) => `${p.node ?? p.container}: cpu ${p.cpu.toFixed(0)} %, ${(p.rxMbps + p.txMbps).toFixed(1)} Mbps`)
    .join(' | ');
  const sums = gens.summaries();
  const lastFull = Math.floor(now / 1000) - 2; // the last second whose requests have all been logged
  const rps = sums.reduce((n, s) => n + (s.summary.perSecond.find((p) => p.second === lastFull)?.sent ?? 0), 0);
  const failed = sums.reduce((n, s) => n + s.summary.failed, 0);
  ctx.log(`${tag} +${((now - loadStart) / 1000).toFixed(0)} s: ${replicas} replica(s) | ${perReplica || 'no metrics'} | load ${rps} rps, ${failed} failed`);
}

export const scenario2 = defineExperiment({
  name: 'scenario2',
  title: 'scenario 2: proactive scale-up under traffic, scale-down after it',
  variants: [{ label: 'load-generator traffic', run: (ctx, i, o) => scenario2Iteration(ctx, i, o) }],
  thresholds: [
    { name: 's2-scale-up-under-5s', metric: 'scale_up_max_ms', op: '<', limit: 5_000, description: 'Scenario 2: every scale-up T5 − T4 < 5 s' },
    { name: 's2-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, description: 'Scenario 2: no failed requests during scale-up and scale-down' },
    { name: 's2-reached-target-replicas', metric: 'target_replicas_missed', op: '==', limit: 0, description: 'Scenario 2: traffic alone drove the service to experiments.traffic.target_replicas, one replica at a time' },
    { name: 's2-load-split', metric: 'spread_max_deviation_pct', op: '<=', limit: 15, description: "Scenario 2: after each scale-up every replica is within ±15 CPU points of total / n (the replicas' mean)" },
    { name: 's2-scale-down-stepwise', metric: 'scale_down_non_unit_steps', op: '==', limit: 0, description: 'Scenario 2: every scale-down removed exactly one replica' },
    { name: 's2-scale-up-stepwise', metric: 'scale_up_non_unit_steps', op: '==', limit: 0, description: 'Scenario 2: every scale-up added exactly one replica' },
    { name: 's2-scaled-back', metric: 'replicas_not_restored', op: '==', limit: 0, description: 'Scenario 2: after the traffic, back to the replica count it started from' },
    { name: 's2-one-down-per-up', metric: 'scale_downs_missing', op: '==', limit: 0, description: 'Scenario 2: as many scale-downs as scale-ups' },
    { name: 's2-load-sent', metric: 'load_requests', op: '>', limit: 0, description: 'Scenario 2: the load generators sent requests' },
    { name: 's2-alert-latency', metric: 'alert_latency_max_ms', op: '<', limit: 1_000, description: 'Alert latency T2 − T1 < 1 s' },
    { name: 's2-decision-latency', metric: 'decision_latency_max_ms', op: '<', limit: 1_000, description: 'Decision latency T3 − T2 < 1 s' },
  ],
});
