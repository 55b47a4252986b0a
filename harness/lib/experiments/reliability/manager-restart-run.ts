import { ProbeSet } from '../../probe/probe-set.ts';
import { summarizeProbeSources } from '../../probe/probe-summary.ts';
import { appTasks, resetApp, stopAllStress, type AppTask } from '../../cluster/app-control.ts';
import { corrections } from '../../events/clock-offset.ts';
import { resolveToken } from '../../cluster/deploy.ts';
import type { ServiceView } from '../../cluster/types.ts';
import { managerEvents } from '../../cluster/manager-api.ts';
import { MANAGER_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset, Mark, TimingEvent } from '../../config/types.ts';
import { waitFor } from '../../events/wait-for.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf } from '../context.ts';
import { restartManager } from '../manager-control.ts';
import { alertBody } from './manager-payloads.ts';

const TEMP_LABEL = 'swarmguard.temporary-constraints';
/** After the clean-up, alerts are watched this long for a second move. */
const WATCH_MS = 5000;

const inspect = (ctx: ExperimentContext) => ctx.cluster.service(ctx.lab.app.service);

/** One manager-restart iteration in progress: the stressed task, the probe, what was measured. */
export class ManagerRestartRun {
  readonly m: Record<string, number | null> = { kill_after_t4_ms: null, manager_back_ms: null, reconcile_ms: null, reconcile_wait_ms: null, replay_alerts: 0, alerts_after_restart: 0, second_migrations: 0, forced_updates: null };
  readonly marks: Mark[] = [];
  readonly errors: string[] = [];
  readonly params: Record<string, unknown>;
  /** The availability probes, from where lab.yaml's experiments.probe_from says. */
  private probes?: ProbeSet;
  killedAt = 0;
  private readonly corr: Record<string, number>;
  private readonly service: string;
  private readonly managerNode: string;

  private constructor(
    readonly ctx: ExperimentContext,
    readonly iteration: number,
    offsets: ClockOffset[],
    readonly startedAt: number,
    readonly task: AppTask,
    /** The service's ForceUpdate counter before the iteration. */
    readonly force0: number,
  ) {
    const { lab } = ctx;
    this.corr = corrections(offsets);
    this.service = lab.app.service;
    this.managerNode = lab.swarm.manager.name;
    this.params = { from: task.node, task: task.id };
  }

  /** A fresh manager and the app reset to one task; the manager's node must have a Docker client. */
  static async prepare(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<ManagerRestartRun> {
    const startedAt = epochNow();
    await restartManager(ctx);
    const [task] = await resetApp(ctx.lab, ctx.cluster);
    const force0 = (await inspect(ctx)).forceUpdate;
    const managerNode = ctx.lab.swarm.manager.name;
    if (!ctx.cluster.hasNode(managerNode)) throw new Error(`no Docker client for node ${managerNode}`);
    return new ManagerRestartRun(ctx, iteration, offsets, startedAt, task, force0);
  }

  onControl(host: string, t: number): number {
    return t + (this.corr[host] ?? 0);
  }

  /** A control-host time as the manager's clock reads it. */
  toManager(t: number): number {
    return t - (this.corr[this.managerNode] ?? 0);
  }

  /** CPU stress on the task until the manager has logged T4 and swarm took the temporary constraint. */
  async stressUntilT4(): Promise<TimingEvent> {
    const { lab } = this.ctx;
    await sleep(1000);
    const stressAt = epochNow();
    const stress = `${lab.entrypoint}/stress/cpu?target=90&duration=30&ramp=2`;
    const res = await fetch(stress, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${stress} answered ${res.status}: ${await res.text()}`);
    const t4 = await waitFor('the manager to log T4 (action_started)', async () =>
      (await managerEvents(lab, this.toManager(stressAt))).find((e) => e.event === 'action_started' && e.service === this.service), { timeoutMs: 40_000, intervalMs: 50 });
    // T4 is logged just before the update call: kill once swarm has the migration's temporary
    // constraint (node.hostname!=<from>, or ==<target> when the manager picks the node)
    await waitFor('swarm to take the migration\'s node.hostname constraint', async () => (await inspect(this.ctx)).constraints.some((c) => c.includes('node.hostname')), { timeoutMs: 5000, intervalMs: 20 });
    return t4;
  }

  /** SIGKILL of the manager's container, and the rollout's state at that instant: it must be before T6. */
  async killManager(t4: TimingEvent): Promise<void> {
    const { task } = this;
    const { cluster } = this.ctx;
    const [mgr] = await cluster.containers(this.managerNode, { service: MANAGER_SERVICE, running: true });
    if (!mgr) throw new Error(`no running ${MANAGER_SERVICE} container on ${this.managerNode}`);
    await cluster.kill(this.managerNode, mgr.id, 'SIGKILL');
    this.killedAt = epochNow();
    const killAfterT4 = this.killedAt - this.onControl(this.managerNode, t4.t);
    this.m.kill_after_t4_ms = killAfterT4;
    this.marks.push({ label: 'T4', t: this.onControl(this.managerNode, t4.t) }, { label: 'manager SIGKILL', t: this.killedAt });
    const atKill = await inspect(this.ctx);
    const old = await cluster.tasks({ service: this.service });
    const oldTask = old.find((t) => t.id === task.id);
    this.params.updateStateAtKill = atKill.updateState ?? null;
    this.params.oldTaskAtKill = oldTask ? `${oldTask.state} (desired ${oldTask.desiredState})` : 'gone';
    this.params.constraintsAtKill = atKill.constraints;
    this.ctx.log(`manager-restart #${this.iteration}: SIGKILL of the manager ${killAfterT4.toFixed(0)} ms after T4; update ${String(this.params.updateStateAtKill)}, old task ${String(this.params.oldTaskAtKill)}`);
    if (oldTask?.state !== 'running') this.errors.push(`the kill came after T6: old task ${String(this.params.oldTaskAtKill)}`);
  }

  /** Swarm's restart of the manager: healthy, and its manager_started line logged. */
  async awaitManagerBack(): Promise<void> {
    const { lab } = this.ctx;
    const back = await waitFor('the manager restarted by swarm', async () => {
      const ok = await fetch(`${lab.manager_api}/health`, { signal: AbortSignal.timeout(500) }).then((r) => r.ok, () => false);
      if (!ok) return undefined;
      const started = (await managerEvents(lab, this.toManager(this.killedAt))).find((e) => e.event === 'manager_started');
      return started ? this.onControl(this.managerNode, started.t) : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    this.m.manager_back_ms = back - this.killedAt;
    this.marks.push({ label: 'manager started', t: back });
  }

  /** The interrupted migration's alert, as the agent would send it again while the stress lasts. */
  async replayAlert(): Promise<void> {
    const { lab } = this.ctx;
    const { task } = this;
    const token = await resolveToken(lab);
    const replay = alertBody(`manager-restart:${this.iteration}:replay`, { node: task.node, service: this.service, container: task.containerId.slice(0, 12), task: task.id });
    const answer = await fetch(`${lab.manager_api}/alert`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(replay), signal: AbortSignal.timeout(3000) });
    const body = (await answer.json()) as { accepted?: boolean; reason?: string };
    this.m.replay_alerts = 1;
    this.params.replayAnswer = `${answer.status} ${JSON.stringify(body)}`;
    if (body.accepted !== false) this.errors.push(`the replayed alert was accepted: ${String(this.params.replayAnswer)}`);
  }

  async awaitReconciliation(t4: TimingEvent): Promise<void> {
    const { lab } = this.ctx;
    const service = this.service;
    const reconciled = await waitFor('the restarted manager to reconcile', async () =>
      (await managerEvents(lab, this.toManager(this.killedAt))).find((e) => (e.event === 'reconcile_completed' || e.event === 'action_failed') && e.service === service), { timeoutMs: 60_000, intervalMs: 100 });
    if (reconciled.event === 'action_failed') this.errors.push(`reconciliation failed: ${String(reconciled.reason)}`);
    this.m.reconcile_ms = this.onControl(this.managerNode, reconciled.t) - this.killedAt;
    this.m.reconcile_wait_ms = typeof reconciled.waitedMs === 'number' ? reconciled.waitedMs : null;
    // the restarted manager names the migration it cut short, read back from the service's label
    const started = (await managerEvents(lab, this.toManager(this.killedAt))).find((e) => e.event === 'reconcile_started' && e.service === service);
    this.params.reconciled = { removed: reconciled.removed, updateState: reconciled.updateState, interruptedActionId: started?.interruptedActionId ?? null };
    if (started?.interruptedActionId !== t4.actionId) this.errors.push(`reconciliation named ${String(started?.interruptedActionId)} as the interrupted action, not ${String(t4.actionId)}`);
    this.marks.push({ label: 'reconciled', t: this.onControl(this.managerNode, reconciled.t) });
  }

  /** Alerts keep coming while the stress lasts: none may start a second move. */
  async watchForSecondMove(): Promise<void> {
    const service = this.service;
    await sleep(WATCH_MS);
    const after: TimingEvent[] = await managerEvents(this.ctx.lab, this.toManager(this.killedAt));
    this.m.alerts_after_restart = after.filter((e) => e.event === 'alert_received' && e.service === service).length;
    this.m.second_migrations = after.filter((e) => e.event === 'action_started' && e.service === service).length;
    this.params.ignoredAfterRestart = after.filter((e) => e.event === 'alert_ignored' && e.service === service).map((e) => String(e.reason));
  }

  /** The stress stopped and the manager answering again, whatever step failed. */
  async rollback(): Promise<void> {
    const { lab } = this.ctx;
    await stopAllStress(lab);
    await waitFor('the manager answering', async () => fetch(`${lab.manager_api}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false), { timeoutMs: 60_000, intervalMs: 250 }).catch((err: Error) => this.errors.push(err.message));
  }

  /** The service's end state: one task on a Ready node other than the stressed one, no constraint or forced update left. */
  private async checkEndState(): Promise<{ svc: ServiceView; to: string | null; constraints: string[] }> {
    const { lab, cluster } = this.ctx;
    const { task } = this;
    const svc = await inspect(this.ctx);
    const running = (await appTasks(cluster, this.service)).filter((t) => t.state === 'running');
    const all = await appTasks(cluster, this.service);
    const nodes = await cluster.nodes();
    const constraints = svc.constraints;
    this.m.forced_updates = svc.forceUpdate - this.force0;
    const to = running[0]?.node ?? null;
    const toReady = nodes.some((n) => n.hostname === to && n.state === 'ready');
    if (running.length !== lab.app.replicas || all.length !== lab.app.replicas) this.errors.push(`${running.length} running of ${all.length} wanted task(s), desired ${lab.app.replicas}`);
    if (!to || to === task.node || !toReady) this.errors.push(`task ended on ${to ?? 'no node'} (from ${task.node}, Ready: ${toReady})`);
    if (constraints.some((c) => c.includes('node.hostname')) || svc.labels[TEMP_LABEL]) this.errors.push(`temporary constraint left: ${constraints.join(', ')} ${svc.labels[TEMP_LABEL] ?? ''}`);
    // the clean-up is a newer spec: swarm may drop the finished update's status instead of keeping `completed`
    if (svc.updateState && svc.updateState !== 'completed') this.errors.push(`update status ${svc.updateState} at the end`);
    // ForceUpdate would roll every replica; a migration only adds and removes its constraint
    if (this.m.forced_updates !== 0) this.errors.push(`${this.m.forced_updates} forced updates in the iteration, none expected`);
    if (this.m.second_migrations) this.errors.push(`${this.m.second_migrations} migration(s) started by the restarted manager`);
    return { svc, to, constraints };
  }

  /** The dead manager's own log: it must not have reached T6 before the kill. */
  private async readDeadManagerT6(): Promise<void> {
    const { startedAt } = this;
    const dead = await this.ctx.cluster.timingEvents(startedAt - 1000, [MANAGER_SERVICE]).catch(() => [] as TimingEvent[]);
    const t6 = dead.find((e) => e.event === 'old_task_removed' && e.service === this.service && this.onControl(this.managerNode, e.t) > startedAt);
    this.params.deadManagerT6 = t6 ? 'logged' : 'not logged';
  }

  async startProbes(): Promise<void> {
    const { lab } = this.ctx;
    this.probes = await ProbeSet.start(lab, { durationMs: 3 * 60_000, experiment: 'manager-restart', runId: `manager-restart-${this.iteration}-${Date.now().toString(36)}`, log: this.ctx.log });
  }

  async finish(): Promise<IterationResult> {
    const { summary, batches } = summarizeProbeSources(this.probes ? await this.probes.stop() : []);
    // the end state, before resetApp (which would hide a left-over constraint)
    const end = await this.checkEndState();
    await this.readDeadManagerT6();
    await resetApp(this.ctx.lab, this.ctx.cluster);
    const { m, startedAt, task } = this;
    const error = this.errors.join('; ');
    const record = {
      experiment: 'manager-restart',
      iteration: this.iteration,
      params: { ...this.params, to: end.to, constraintsAfter: end.constraints, updateStateAfter: end.svc.updateState ?? null },
      startedAt,
      endedAt: epochNow(),
      events: [],
      probes: { summary },
      ...outcomeOf(error),
      measurements: { ...m, failed_requests: summary.failed, downtime_ms: summary.downtimeMs },
      slo: [],
      marks: this.marks,
    };
    const f = (v: number | null) => (v === null ? 'n/a' : `${(v / 1000).toFixed(1)} s`);
    this.ctx.log(`manager-restart #${this.iteration}: killed ${f(m.kill_after_t4_ms)} after T4, back after ${f(m.manager_back_ms)}, reconciled after ${f(m.reconcile_ms)}; ${task.node} → ${end.to}, ${m.forced_updates} forced update(s), ${m.second_migrations} second migrations, ${summary.failed} failed probes${error ? `; ERROR ${error}` : ''}`);
    return { record, probes: batches };
  }
}
