import { ProbeSet } from '../../probe/probe-set.ts';
import { summarizeProbeSources } from '../../probe/probe-summary.ts';
import { appTasks, resetApp, stopAllStress, type AppTask } from '../../cluster/app-control.ts';
import { corrections } from '../../events/clock-offset.ts';
import { runningTasks } from '../../cluster/deploy.ts';
import type { LabNodes } from '../../cluster/lab-port.ts';
import { parseEvents } from '../../events/events.ts';
import { managerEvents, managerState, waitActionEnd } from '../../cluster/manager-api.ts';
import { AGENT_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset, Mark, TimingEvent } from '../../config/types.ts';
import { waitFor } from '../../events/wait-for.ts';
import { actionTiming, type ActionTiming } from '../action-timing.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf } from '../context.ts';
import { restartManager } from '../manager-control.ts';

const ACTION_LIMIT_MS = 90_000;
const AGENT_CONTAINERS = { service: AGENT_SERVICE, running: true };
/** "Alerts resume within 3 poll intervals". */
export const ALERT_RESUME_POLLS = 3;

/** Docker's RFC 3339 times carry nanoseconds; Date.parse is only sure of milliseconds. */
export function dockerTime(s: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new Error(`not a Docker timestamp: ${s}`);
  return Date.parse(`${m[1]}${m[3]}`) + (m[2] ? Number(m[2]) * 1000 : 0);
}

async function containerEvents(nodes: LabNodes, node: string, id: string): Promise<TimingEvent[]> {
  return parseEvents(await nodes.logs(node, id));
}

/** What the lab showed once the iteration's method was over. */
interface Aftermath {
  moved: AppTask | undefined;
  timing: ActionTiming | undefined;
  agents: number;
  /** The agent's silence must not pass for a failed node: its ports stayed open. */
  nodeChecks: Record<string, number | null>;
}

/** One agent-restart iteration in progress: the killed agent, the stressed task, what was measured. */
export class AgentRestartRun {
  readonly m: Record<string, number | null> = { agent_restart_ms: null, container_start_ms: null, reports_resume_ms: null, alerts_resume_ms: null, first_alert_t1_ms: null, first_breach_ms: null };
  readonly marks: Mark[] = [];
  /** The availability probes, from where lab.yaml's experiments.probe_from says. */
  private probes?: ProbeSet;
  error: string | undefined;
  done: TimingEvent | undefined;
  /** When the method began, a second before the kill: the action's events are read from 2 s before it. */
  methodAt = 0;
  /** The kill itself, and the new agent's agent_started line, on the control host's clock. */
  private killAt = 0;
  private agentUp = 0;
  private freshId = '';
  private readonly corr: Record<string, number>;
  private readonly service: string;
  private readonly managerNode: string;
  private readonly pollMs: number;

  private constructor(
    readonly ctx: ExperimentContext,
    readonly iteration: number,
    readonly offsets: ClockOffset[],
    readonly startedAt: number,
    readonly task: AppTask,
    /** The agent container that is killed. */
    readonly oldId: string,
  ) {
    const { lab } = ctx;
    this.corr = corrections(offsets);
    this.service = lab.app.service;
    this.managerNode = lab.swarm.manager.name;
    this.pollMs = lab.swarmguard.config.monitoring.poll_interval * 1000;
  }

  /** A fresh manager (breach counters, cooldowns), the app reset to one task, its node's agent found. */
  static async prepare(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<AgentRestartRun> {
    const startedAt = epochNow();
    await restartManager(ctx);
    const [task] = await resetApp(ctx.lab, ctx.cluster);
    if (!ctx.cluster.hasNode(task.node)) throw new Error(`no Docker client for node ${task.node}`);
    const [old] = await ctx.cluster.containers(task.node, AGENT_CONTAINERS);
    if (!old) throw new Error(`no running ${AGENT_SERVICE} container on ${task.node}`);
    return new AgentRestartRun(ctx, iteration, offsets, startedAt, task, old.id);
  }

  get node(): string {
    return this.task.node;
  }

  onControl(host: string, t: number): number {
    return t + (this.corr[host] ?? 0);
  }

  /** SIGKILL of the node's agent, and CPU stress on the task at once. */
  async killAgent(): Promise<void> {
    const { lab } = this.ctx;
    this.methodAt = epochNow();
    await sleep(1000);
    this.killAt = epochNow();
    this.marks.push({ label: 'agent SIGKILL', t: this.killAt });
    this.ctx.log(`agent-restart #${this.iteration}: SIGKILL of agent ${this.oldId.slice(0, 12)} on ${this.node}, CPU stress on ${this.task.containerId.slice(0, 12)}`);
    await this.ctx.cluster.kill(this.node, this.oldId, 'SIGKILL');
    const stress = `${lab.entrypoint}/stress/cpu?target=90&duration=40&ramp=2`;
    const res = await fetch(stress, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${stress} answered ${res.status}: ${await res.text()}`);
  }

  /** Swarm's new agent container, and its agent_started line. */
  async awaitNewAgent(): Promise<void> {
    const { node } = this;
    const { cluster } = this.ctx;
    const fresh = await waitFor(`a new ${AGENT_SERVICE} container running on ${node}`, async () =>
      (await cluster.containers(node, AGENT_CONTAINERS)).find((c) => c.id !== this.oldId), { timeoutMs: 60_000, intervalMs: 100 });
    this.freshId = fresh.id;
    const startedAt = await cluster.containerStartedAt(node, fresh.id);
    this.m.container_start_ms = this.onControl(node, dockerTime(startedAt)) - this.killAt;
    const started = await waitFor(`agent_started in the log of ${fresh.id.slice(0, 12)}`, async () =>
      (await containerEvents(cluster, node, fresh.id)).find((e) => e.event === 'agent_started'), { timeoutMs: 30_000, intervalMs: 100 });
    this.agentUp = this.onControl(node, started.t);
    this.m.agent_restart_ms = this.agentUp - this.killAt;
    this.marks.push({ label: 'agent started', t: this.agentUp });
  }

  async awaitReports(): Promise<void> {
    const { node, agentUp, managerNode } = this;
    const reportAt = await waitFor(`a report from ${node}'s new agent at the manager`, async () => {
      const seen = ((await managerState(this.ctx.lab)) as { reportingNodes?: Record<string, number> }).reportingNodes?.[node];
      return seen !== undefined && this.onControl(managerNode, seen) > agentUp ? this.onControl(managerNode, seen) : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    this.m.reports_resume_ms = reportAt - agentUp;
  }

  /** The manager's clock a second before the kill: its events of the iteration are read from there. */
  private get since(): number {
    return this.killAt - 1000 - (this.corr[this.managerNode] ?? 0);
  }

  /** The new agent's first alert (T2) at the manager, and the agent's own T1 and T0 for it. */
  async awaitAlert(): Promise<void> {
    const { node, agentUp, managerNode } = this;
    const alert = await waitFor(`an alert from ${node}'s new agent at the manager`, async () =>
      (await managerEvents(this.ctx.lab, this.since)).find((e) => e.event === 'alert_received' && e.alertNode === node && this.onControl(managerNode, e.t) > agentUp), { timeoutMs: 60_000, intervalMs: 100 });
    this.m.alerts_resume_ms = this.onControl(managerNode, alert.t) - agentUp;
    this.marks.push({ label: 'first alert (T2)', t: this.onControl(managerNode, alert.t) });
    const own = await containerEvents(this.ctx.cluster, node, this.freshId);
    const sent = own.find((e) => e.event === 'alert_sent' && e.alertId === alert.alertId);
    if (sent) this.m.first_alert_t1_ms = this.onControl(node, sent.t) - agentUp;
    // T0: the first of the breaching samples; later than 1 poll after the start means early samples did not breach
    const breach = own.find((e) => e.event === 'breach_detected' && e.alertId === alert.alertId);
    if (breach) this.m.first_breach_ms = this.onControl(node, breach.t) - agentUp;
  }

  /** The migration the alert leads to; the alert itself within ALERT_RESUME_POLLS poll intervals. */
  async awaitMigration(): Promise<void> {
    const done = await waitActionEnd(this.ctx.lab, this.since, this.service, ACTION_LIMIT_MS);
    this.done = done;
    if (done.event === 'action_failed') this.error = `migration failed: ${String(done.reason ?? 'no reason given')}`;
    const limit = ALERT_RESUME_POLLS * this.pollMs;
    const resumeMs = this.m.alerts_resume_ms;
    if (!this.error && resumeMs !== null && resumeMs > limit) this.error = `first alert ${resumeMs.toFixed(0)} ms after the new agent started, limit ${limit} ms (${ALERT_RESUME_POLLS} poll intervals)`;
    await sleep(2000);
  }

  async rollback(): Promise<void> {
    await stopAllStress(this.ctx.lab);
  }

  /** Where the task went, the migration's timing, every node's agent back; the app reset whatever happens. */
  private async aftermath(): Promise<Aftermath> {
    const { lab, cluster } = this.ctx;
    try {
      const moved = (await appTasks(cluster, this.service)).find((t) => t.state === 'running');
      const timing = this.done?.actionId ? await actionTiming(this.ctx, this.methodAt - 2000, this.done.actionId, 'migration', this.offsets) : undefined;
      // swarm restarts the agent by itself; the lab is left only once every node has one again
      const nodes = 1 + lab.swarm.workers.length;
      const agents = await waitFor(`${AGENT_SERVICE} running on all ${nodes} nodes`, async () => {
        const n = (await runningTasks(cluster, AGENT_SERVICE)).length;
        return n === nodes ? n : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500 });
      const seen = await managerEvents(lab, this.startedAt - (this.corr[this.managerNode] ?? 0));
      const nodeChecks = {
        node_failures_detected: seen.filter((e) => e.event === 'node_failure_detected').length,
        evacuations: seen.filter((e) => e.event === 'action_started' && e.action === 'evacuate').length,
        silence_ruled_out: seen.filter((e) => e.event === 'node_failure_ruled_out' && e.hostname === this.node).length,
      };
      return { moved, timing, agents, nodeChecks };
    } finally {
      await resetApp(lab, cluster);
    }
  }

  async startProbes(): Promise<void> {
    const { lab } = this.ctx;
    this.probes = await ProbeSet.start(lab, { durationMs: ACTION_LIMIT_MS + 60_000, experiment: 'agent-restart', runId: `agent-restart-${this.iteration}-${Date.now().toString(36)}`, log: this.ctx.log });
  }

  async finish(): Promise<IterationResult> {
    const { summary, batches } = summarizeProbeSources(this.probes ? await this.probes.stop() : []);
    const { moved, timing, agents, nodeChecks } = await this.aftermath();
    const { m, node, pollMs, done, error } = this;
    const record = {
      experiment: 'agent-restart',
      iteration: this.iteration,
      params: { node, killedAgent: this.oldId.slice(0, 12), pollIntervalMs: pollMs, alertResumeLimitMs: ALERT_RESUME_POLLS * pollMs, from: node, to: moved?.node ?? null, agentsRunningAfter: agents },
      startedAt: this.startedAt,
      endedAt: epochNow(),
      events: timing?.events ?? [],
      probes: { summary },
      ...outcomeOf(error),
      measurements: {
        ...m,
        migrations: done?.event === 'action_completed' ? 1 : 0,
        ...nodeChecks,
        mttr_ms: timing?.deltas.mttrMs ?? null,
        failed_requests: summary.failed,
        downtime_ms: summary.downtimeMs,
      },
      slo: [],
      marks: [...this.marks, ...(timing?.marks ?? [])],
    };
    const f = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} ms`);
    this.ctx.log(`agent-restart #${this.iteration}: agent back after ${f(m.agent_restart_ms)} (container ${f(m.container_start_ms)}), reports +${f(m.reports_resume_ms)}, alert +${f(m.alerts_resume_ms)}; ${node} → ${moved?.node ?? '?'}, ${summary.failed} failed probes${error ? `; ERROR ${error}` : ''}`);
    return { record, probes: batches };
  }
}
