import type { NodeFaults } from '../../cluster/node-faults.ts';
import { AvailabilityProbe } from '../../probe/probe.ts';
import { reactiveMttr, summarizeDowntime } from '../../probe/downtime.ts';
import { appTasks, resetApp, stopAllStress, type AppTask } from '../../cluster/app-control.ts';
import { applyCorrections } from '../../events/events.ts';
import { corrections } from '../../events/clock-offset.ts';
import { runningTasks } from '../../cluster/deploy.ts';
import { managerEvents, managerState, waitActionEnd } from '../../cluster/manager-api.ts';
import { AGENT_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset, Mark, TimingEvent } from '../../config/types.ts';
import { waitFor } from '../../events/wait-for.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf, probeSummary } from '../context.ts';
import { setManagerEnv } from '../manager-control.ts';
import { defineExperiment } from '../experiment.ts';

/** Which worker's dockerd is stopped: the one running the app's task, or another one. */
export type FailedNode = 'task-node' | 'other-node';

const STEADY_MS = 2000;
const RECOVERY_LIMIT_MS = 60_000;
const ACTION_LIMIT_MS = 60_000;
/** Bound on the manager's own detection: far above its default (2 missed reports + 2 probe rounds). */
const DETECTION_LIMIT_MS = 20_000;

async function nodeState(ctx: ExperimentContext, hostname: string): Promise<string | undefined> {
  return (await ctx.cluster.nodes()).find((n) => n.hostname === hostname)?.state;
}

async function agentRunningOn(ctx: ExperimentContext, hostname: string): Promise<boolean> {
  const byId = new Map((await ctx.cluster.nodes()).map((n) => [n.id, n.hostname]));
  return (await runningTasks(ctx.cluster, AGENT_SERVICE)).some((t) => byId.get(t.nodeId) === hostname);
}

async function placementOf(ctx: ExperimentContext): Promise<string[]> {
  return (await ctx.cluster.service(ctx.lab.app.service)).constraints;
}

/** One node-failure iteration in progress: the lab, the victim, the probe, what was measured. */
class NodeFailureRun {
  readonly m: Record<string, number | null> = {};
  readonly marks: Mark[] = [];
  readonly errors: string[] = [];
  readonly faults: NodeFaults;
  readonly probe: AvailabilityProbe;
  readonly startedAt = epochNow();
  stoppedAt = 0;
  stopped = false;
  private readonly corr: Record<string, number>;

  constructor(
    readonly ctx: ExperimentContext,
    readonly offsets: ClockOffset[],
    readonly task: AppTask,
    readonly victim: string,
  ) {
    const { lab } = ctx;
    this.corr = corrections(offsets);
    this.faults = ctx.cluster.nodeFaults();
    // the control host's probe alone, whatever experiments.probe_from says: the run reads its samples
    // as they come (served again: the first answer from a rescheduled container), and its figures stay
    // comparable with swarm alone's; the generators' probes arrive only when polled
    this.probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: lab.experiments.probe_interval_ms, timeoutMs: lab.experiments.probe_timeout_ms, durationMs: 3 * 60_000 });
  }

  /** A control-host time as the manager's clock reads it. */
  onManager(t: number): number {
    return t - (this.corr[this.ctx.lab.swarm.manager.name] ?? 0);
  }

  onControl(host: string, t: number): number {
    return t + (this.corr[host] ?? 0);
  }

  mark(label: string, t = epochNow()): number {
    this.marks.push({ label, t });
    return t;
  }

  /** The manager's events since `at` (control clock), first one named `event` that `match`es. */
  async managerEvent(at: number, event: string, match: (e: TimingEvent) => boolean = () => true): Promise<TimingEvent | undefined> {
    return (await managerEvents(this.ctx.lab, this.onManager(at))).find((e) => e.event === event && match(e));
  }

  waitManagerEvent(what: string, at: number, event: string, match: (e: TimingEvent) => boolean, timeoutMs: number): Promise<TimingEvent> {
    return waitFor(what, () => this.managerEvent(at, event, match), { timeoutMs, intervalMs: 200 });
  }

  async stopNode(which: string): Promise<void> {
    await sleep(STEADY_MS);
    this.stoppedAt = this.mark(`dockerd of ${this.victim} stopped`);
    this.ctx.log(`${which}: stopping dockerd of ${this.victim} (task ${this.task.containerId.slice(0, 12)} on ${this.task.node})`);
    this.stopped = true;
    await this.faults.stopDocker(this.victim);
    this.m.stop_ms = epochNow() - this.stoppedAt;
  }

  /** Swarm's own detection, and the manager's log of it. */
  async swarmDown(): Promise<void> {
    const down = await waitFor(`swarm to see ${this.victim} not Ready`, async () => ((await nodeState(this.ctx, this.victim)) !== 'ready' ? epochNow() : undefined), { timeoutMs: 60_000, intervalMs: 200 });
    this.m.swarm_down_ms = down - this.stoppedAt;
    this.mark(`${this.victim} Down (swarm)`, down);
    const victim = (e: TimingEvent) => e.hostname === this.victim;
    const logged = await this.waitManagerEvent(`the manager to log ${this.victim} unreachable`, this.stoppedAt, 'node_state_changed', (e) => victim(e) && e.unreachable === true, 15_000);
    this.m.manager_down_ms = this.onControl(logged.node, logged.t) - this.stoppedAt;
    const silent = await this.managerEvent(this.stoppedAt, 'agent_reports_stopped', victim);
    if (silent) this.m.agent_silent_ms = this.onControl(silent.node, silent.t) - this.stoppedAt;
    else this.errors.push(`the manager did not log agent_reports_stopped for ${this.victim}`);
  }

  /** The first probe answered by another container than the one on the stopped node. */
  async servedAgain(): Promise<void> {
    const oldId = this.task.containerId.slice(0, 12);
    const rec = await waitFor('a probe answered by a rescheduled container', async () => reactiveMttr(this.probe.snapshot(), this.stoppedAt, oldId) ?? undefined, { timeoutMs: RECOVERY_LIMIT_MS, intervalMs: 100 });
    this.m.recovery_ms = rec.mttrMs;
    this.mark('served again', rec.recoveredBy.sentAt);
  }

  /** dockerd started again; the node Ready, its agent running and reporting, the manager's log of it. */
  async restartNode(name: string): Promise<number> {
    const restartAt = this.mark(`dockerd of ${this.victim} started`);
    const since = this.onManager(restartAt);
    const back = await this.faults.startDocker(this.victim);
    this.ctx.log(`${name}: dockerd of ${this.victim} started again (${back.split('\n').at(-1)})`);
    this.m.rejoin_ms = (await waitFor(`${this.victim} Ready again`, async () => ((await nodeState(this.ctx, this.victim)) === 'ready' ? epochNow() : undefined), { timeoutMs: 60_000, intervalMs: 200 })) - restartAt;
    this.m.agent_back_ms = (await waitFor(`${AGENT_SERVICE} running on ${this.victim}`, async () => ((await agentRunningOn(this.ctx, this.victim)) ? epochNow() : undefined), { timeoutMs: 60_000, intervalMs: 250 })) - restartAt;
    // a fresh report makes the node a migration candidate again (chooseTarget needs one)
    const managerNode = this.ctx.lab.swarm.manager.name;
    this.m.reporting_again_ms = (await waitFor(`reports from ${this.victim} at the manager`, async () => {
      const seen = ((await managerState(this.ctx.lab)) as { reportingNodes?: Record<string, number> }).reportingNodes?.[this.victim];
      return seen !== undefined && seen > since ? this.onControl(managerNode, seen) : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 })) - restartAt;
    return restartAt;
  }

  /** Once the node is back: docker-proxy leftovers of the local lab repaired, and the manager's log of it Ready. */
  async settle(name: string, restartAt: number): Promise<void> {
    await this.waitManagerEvent(`the manager to log ${this.victim} Ready again`, restartAt, 'node_state_changed', (e) => e.hostname === this.victim && e.to === 'ready', 15_000).catch(async (err: Error) => {
      // a node back before swarm ever saw it Down has no state change to log
      if (this.m.swarm_down_ms !== null && this.m.swarm_down_ms !== undefined) throw err;
    });
    const leaked = await this.faults.settle(this.victim);
    if (leaked.length) this.ctx.log(`${name}: ${this.victim}: docker-proxy left without its container (${leaked.join(', ')}): dockerd restarted`);
  }

  /** The manager's events of the iteration, on the control host's clock, for the journal. */
  async journalEvents(): Promise<TimingEvent[]> {
    try {
      return applyCorrections(await managerEvents(this.ctx.lab, this.onManager(this.startedAt)), this.corr);
    } catch (err) {
      this.errors.push(`the manager's events could not be read: ${(err as Error).message}`);
      return [];
    }
  }

  async finish(experiment: string, iteration: number, params: Record<string, unknown>, extra: Record<string, number | null>): Promise<IterationResult> {
    this.faults.close();
    const events = await this.journalEvents();
    const result = await this.probe.stop();
    const down = summarizeDowntime(result.samples);
    await resetApp(this.ctx.lab, this.ctx.cluster);
    const error = this.errors.join('; ');
    const record = {
      experiment,
      iteration,
      params: { fault: this.faults.how, victim: this.victim, taskNode: this.task.node, killedContainer: this.task.containerId.slice(0, 12), ...params },
      startedAt: this.startedAt,
      endedAt: epochNow(),
      events,
      probes: probeSummary(result, down),
      ...outcomeOf(error),
      measurements: { ...this.m, ...extra, failed_requests: down.failed, downtime_ms: down.downtimeMs },
      slo: [],
      marks: this.marks,
    };
    return { record, probes: [{ source: 'control', samples: result.samples }] };
  }
}

/**
 * The manager restarted with its node-failure detection on or off (fresh cooldowns too: the previous
 * iteration migrated), the app reset to one task; the victim is the task's node or, in turn, another.
 */
async function prepare(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], which: FailedNode, detection: boolean): Promise<NodeFailureRun> {
  await setManagerEnv(ctx, 'NODE_DETECTION', detection ? 'on' : 'off');
  const [task] = await resetApp(ctx.lab, ctx.cluster);
  const victim = victimOf(ctx.lab.swarm.workers.map((w) => w.name), task.node, iteration, which);
  return new NodeFailureRun(ctx, offsets, task, victim);
}

/** The task's node, or the worker whose turn it is (iteration 1 the first), the next one when that holds the task. */
export function victimOf(workers: readonly string[], taskNode: string, iteration: number, which: FailedNode): string {
  const turn = workers[(iteration - 1) % workers.length];
  return which === 'task-node' ? taskNode : turn !== taskNode ? turn : workers[iteration % workers.length];
}

const seconds = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(v / 1000).toFixed(1)} s`);

/**
 * Node failure, left to swarm: under steady probing, one worker's dockerd is stopped as the local
 * lab stops it (its containers with it): the app task's node, or another worker. The manager's
 * node-failure detection is off for the task's node (swarm alone) and on for another node (which
 * holds no managed task, so it has nothing to move). Measured: swarm's Down detection, the
 * manager's `node_state_changed`/`agent_reports_stopped` lines, the service's recovery when swarm
 * reschedules (stop → first probe answered by a new container) and failed probes. Then CPU stress on
 * the live task: the manager must still migrate it, never onto the dead node. The dockerd is always
 * started again; the node must be Ready with its agent running and reporting.
 */
export async function nodeFailureIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], which: FailedNode): Promise<IterationResult> {
  const run = await prepare(ctx, iteration, offsets, which, which !== 'task-node');
  const { lab } = ctx;
  const service = lab.app.service;
  run.probe.start();
  let done: TimingEvent | undefined;
  let started: TimingEvent | undefined;
  let migratedFrom: string | undefined;
  let migratedTo: string | undefined;
  try {
    await run.stopNode(`node-failure #${iteration} (${which})`);
    await run.swarmDown();
    if (which === 'task-node') await run.servedAgain();
    const live = await waitFor(`${service} running on a live node`, async () =>
      (await appTasks(ctx.cluster, service)).find((t) => t.state === 'running' && t.node !== run.victim), { timeoutMs: RECOVERY_LIMIT_MS, intervalMs: 250 });
    migratedFrom = live.node;

    // the alert path on the live nodes: CPU stress → alert → migration, never onto the dead node
    const stress = `${lab.entrypoint}/stress/cpu?target=90&duration=30&ramp=2`;
    const res = await fetch(stress, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${stress} answered ${res.status}: ${await res.text()}`);
    const stressAt = run.onManager(epochNow());
    done = await waitActionEnd(lab, stressAt, service, ACTION_LIMIT_MS);
    started = (await managerEvents(lab, stressAt)).find((e) => e.event === 'action_started' && e.actionId === done?.actionId);
    if (done.event === 'action_failed') run.errors.push(`migration failed: ${String(done.reason ?? 'no reason given')}`);
    migratedTo = typeof done.toNode === 'string' ? done.toNode : undefined;
    const constraints = (started?.constraints as string[] | undefined) ?? [];
    if (migratedTo === run.victim || constraints.includes(`node.hostname==${run.victim}`)) run.errors.push(`the manager targeted the dead node ${run.victim} (${constraints.join(', ')}, to ${migratedTo})`);
    const after = (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running');
    if (after.length !== 1 || after[0].node === run.victim || after[0].node === migratedFrom) run.errors.push(`after the migration: ${after.map((t) => t.node).join(', ') || 'no running task'} (from ${migratedFrom}, dead ${run.victim})`);
  } catch (err) {
    run.errors.push((err as Error).message);
  } finally {
    await stopAllStress(lab);
    if (run.stopped) {
      try {
        const name = `node-failure #${iteration}`;
        await run.settle(name, await run.restartNode(name));
      } catch (err) {
        run.errors.push((err as Error).message);
      }
    }
  }
  const r = await run.finish('node-failure', iteration, { failed: which, detection: which !== 'task-node', from: migratedFrom ?? null, to: migratedTo ?? null, constraints: (started?.constraints as string[] | undefined) ?? [] }, {
    migrations: done?.event === 'action_completed' ? 1 : 0,
  });
  const m = r.record.measurements;
  // another node failing must cost the app nothing: its task was elsewhere
  m.bystander_failed_requests = which === 'other-node' ? m.failed_requests : null;
  ctx.log(`node-failure #${iteration} (${which}, ${run.victim}): Down after ${seconds(m.swarm_down_ms)} (manager ${seconds(m.manager_down_ms)}), served again ${seconds(m.recovery_ms)}, ${m.failed_requests} failed probes; migration ${migratedFrom} → ${migratedTo ?? '?'}; rejoined ${seconds(m.rejoin_ms)}, agent ${seconds(m.agent_back_ms)}${r.record.error ? `; ERROR ${r.record.error}` : ''}`);
  return r;
}

/**
 * Node failure with the manager's own detection on: the app task's node's dockerd is stopped under
 * steady probing. Measured against swarm's Down in the same iteration: the manager's detection
 * (stop → node_failure_detected; and its T0, the first missed report), the evacuation (T4 → T5, the
 * task running on another node), the service served again (stop → first probe answered by another
 * container) and failed probes. Once swarm has seen the node Down, its dockerd is started again: the
 * manager must lift the node's exclusion (node_restored) without moving the task a second time.
 */
export async function nodeDetectionIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const run = await prepare(ctx, iteration, offsets, 'task-node', true);
  const service = ctx.lab.app.service;
  const exclusion = `node.hostname!=${run.victim}`;
  const x: Record<string, number | null> = { detected_ms: null, detection_t0_ms: null, evacuated_ms: null, evacuations: 0, tasks_moved_by_restore: null, exclusion_left: null, restored_ms: null };
  run.probe.start();
  let evacuatedTo: string | undefined;
  try {
    await run.stopNode(`node-detection #${iteration}`);
    const detected = await run.waitManagerEvent(`the manager to find ${run.victim} failed`, run.stoppedAt, 'node_failure_detected', (e) => e.hostname === run.victim, DETECTION_LIMIT_MS);
    x.detected_ms = run.onControl(detected.node, detected.t) - run.stoppedAt;
    if (typeof detected.t0 === 'number') x.detection_t0_ms = run.onControl(detected.node, detected.t0) - run.stoppedAt;
    run.mark(`${run.victim} failed (manager)`, run.stoppedAt + x.detected_ms);
    const evacuated = await run.waitManagerEvent(`the evacuation of ${run.victim} to end`, run.stoppedAt, 'action_completed', (e) => e.action === 'evacuate' && e.fromNode === run.victim, ACTION_LIMIT_MS)
      .catch(async (err: Error) => {
        const failed = await run.managerEvent(run.stoppedAt, 'action_failed', (e) => e.action === 'evacuate');
        throw failed ? new Error(`evacuation failed: ${String(failed.reason)}`) : err;
      });
    x.evacuated_ms = run.onControl(evacuated.node, evacuated.t) - run.stoppedAt;
    evacuatedTo = typeof evacuated.toNode === 'string' ? evacuated.toNode : undefined;
    await run.servedAgain();
    await run.swarmDown();
    const events = await managerEvents(ctx.lab, run.onManager(run.stoppedAt));
    x.evacuations = events.filter((e) => e.event === 'action_started' && e.action === 'evacuate').length;
    if (!(await placementOf(ctx)).includes(exclusion)) run.errors.push(`${service}'s placement lacks ${exclusion} while ${run.victim} is down`);
  } catch (err) {
    run.errors.push((err as Error).message);
  } finally {
    if (run.stopped) {
      try {
        const before = (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running').map((t) => t.id).sort();
        const name = `node-detection #${iteration}`;
        const restartAt = await run.restartNode(name);
        const restored = await run.waitManagerEvent(`the manager to restore ${run.victim}`, restartAt, 'node_restored', (e) => e.hostname === run.victim, 30_000);
        x.restored_ms = run.onControl(restored.node, restored.t) - restartAt;
        await run.settle(name, restartAt);
        await sleep(STEADY_MS); // what a relaxed placement would move, it moves at once
        const after = (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running').map((t) => t.id).sort();
        x.tasks_moved_by_restore = after.filter((id) => !before.includes(id)).length;
        x.exclusion_left = (await placementOf(ctx)).includes(exclusion) ? 1 : 0;
      } catch (err) {
        run.errors.push((err as Error).message);
      }
    }
  }
  const r = await run.finish('node-detection', iteration, { failed: 'task-node', detection: true, to: evacuatedTo ?? null }, x);
  const m = r.record.measurements;
  m.detected_before_swarm_ms = m.detected_ms !== null && m.swarm_down_ms !== null && m.detected_ms !== undefined && m.swarm_down_ms !== undefined ? m.swarm_down_ms - m.detected_ms : null;
  ctx.log(`node-detection #${iteration} (${run.victim}): failed (manager) after ${seconds(m.detected_ms)}, evacuated ${seconds(m.evacuated_ms)} to ${evacuatedTo ?? '?'}, served again ${seconds(m.recovery_ms)}, ${m.failed_requests} failed probes; swarm Down after ${seconds(m.swarm_down_ms)}; restored ${seconds(m.restored_ms)} after the restart, ${m.tasks_moved_by_restore ?? '?'} tasks moved by it${r.record.error ? `; ERROR ${r.record.error}` : ''}`);
  return r;
}

// a node's dockerd stopped: the local lab's own way, or lab.yaml's faults commands over SSH
export const nodeFailure = defineExperiment({
  name: 'node-failure',
  title: 'node failure: swarm reschedules, the manager logs the dead node, keeps migrating, never onto it',
  variants: [
    { label: "task's node down, Swarm alone", run: (ctx, i, o) => nodeFailureIteration(ctx, i, o, 'task-node') },
    { label: 'other node down', run: (ctx, i, o) => nodeFailureIteration(ctx, i, o, 'other-node') },
  ],
  thresholds: [
    { name: 'node-failure-one-migration', metric: 'migrations', op: '==', limit: 1, description: 'Node failure: exactly one migration, off the failed node' },
    { name: 'node-failure-bystander-unharmed', metric: 'bystander_failed_requests', op: '==', limit: 0, optional: true, description: 'Node failure: a failed node that held no task of the app costs it no request' },
  ],
});

// the same fault with the manager's own node-failure detection, judged against node-failure's Swarm alone
export const nodeDetection = defineExperiment({
  name: 'node-detection',
  title: "node detection: the manager finds the task's node failed before swarm, moves the task off, and lifts the exclusion when it is back",
  variants: [{ label: "task's node down, SwarmGuard's detection", run: (ctx, i, o) => nodeDetectionIteration(ctx, i, o) }],
  thresholds: [
    { name: 'node-detection-served-in-4s', metric: 'recovery_ms', op: '<=', limit: 4_000, description: "Node detection: the service served again ≤ 4 s after its node's dockerd stopped" },
    {
      name: 'node-detection-faster-than-swarm', metric: 'recovery_ms', op: '<',
      limit: { ref: { experiment: 'node-failure', metric: 'recovery_ms', stat: 'median' } },
      description: "Node detection: served again sooner than the same run's median with swarm alone (node-failure, the task's node down)",
    },
    { name: 'node-detection-before-swarm', metric: 'detected_before_swarm_ms', op: '>', limit: 0, description: 'Node detection: the manager found the node failed before swarm marked it Down' },
    { name: 'node-detection-one-evacuation', metric: 'evacuations', op: '==', limit: 1, description: 'Node detection: exactly one evacuation, off the failed node' },
    { name: 'node-detection-restore-moves-nothing', metric: 'tasks_moved_by_restore', op: '==', limit: 0, description: 'Node detection: lifting the exclusion of the node back moves no task' },
    { name: 'node-detection-exclusion-lifted', metric: 'exclusion_left', op: '==', limit: 0, description: 'Node detection: the node back, its exclusion is gone' },
  ],
});
