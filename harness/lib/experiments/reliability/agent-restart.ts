import { AvailabilityProbe } from '../../probe/probe.ts';
import { summarizeDowntime } from '../../probe/downtime.ts';
import { appTasks, resetApp, stopAllStress, type AppTask } from '../../cluster/app-control.ts';
import { corrections } from '../../events/clock-offset.ts';
import { runningTasks } from '../../cluster/deploy.ts';
import { parseEvents } from '../../events/events.ts';
import { demuxDockerLog } from '../../events/log-scraper.ts';
import { managerEvents, managerState, waitActionEnd } from '../../cluster/manager-api.ts';
import { AGENT_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset, TimingEvent } from '../../config/types.ts';
import { waitFor } from '../../events/wait-for.ts';
import { actionTiming, type ActionTiming } from '../action-timing.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf, probeSummary } from '../context.ts';
import { restartManager } from '../manager-control.ts';

const ACTION_LIMIT_MS = 90_000;
/** "Alerts resume within 3 poll intervals". */
export const ALERT_RESUME_POLLS = 3;

/** Docker's RFC 3339 times carry nanoseconds; Date.parse is only sure of milliseconds. */
export function dockerTime(s: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new Error(`not a Docker timestamp: ${s}`);
  return Date.parse(`${m[1]}${m[3]}`) + (m[2] ? Number(m[2]) * 1000 : 0);
}

async function containerEvents(docker: import('dockerode'), id: string): Promise<TimingEvent[]> {
  const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return parseEvents(demuxDockerLog(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))));
}

/**
 * Agent restart: the agent container on the app task's node is killed with SIGKILL and
 * the task is CPU-stressed at once. Swarm restarts the agent; measured from the kill to the new
 * agent's `agent_started` line, and from that line to the manager's first report and first alert
 * (T2) from the node. The alert must arrive within 3 poll intervals and lead to a migration.
 */
export async function agentRestartIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const { lab, docker } = ctx;
  const service = lab.app.service;
  const pollMs = lab.swarmguard.config.monitoring.poll_interval * 1000;
  const corr = corrections(offsets);
  const onControl = (host: string, t: number) => t + (corr[host] ?? 0);
  const managerNode = lab.swarm.manager.name;
  const startedAt = epochNow();
  await restartManager(ctx); // fresh breach counters and cooldowns
  const [task] = await resetApp(lab, docker);
  const node = task.node;
  const nodeDocker = ctx.nodes.get(node);
  if (!nodeDocker) throw new Error(`no Docker client for node ${node}`);
  const agentFilter = { label: [`com.docker.swarm.service.name=${AGENT_SERVICE}`], status: ['running'] };
  const [old] = (await nodeDocker.listContainers({ filters: agentFilter })) as Array<{ Id: string }>;
  if (!old) throw new Error(`no running ${AGENT_SERVICE} container on ${node}`);
  const probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: lab.experiments.probe_interval_ms, timeoutMs: lab.experiments.probe_timeout_ms, durationMs: ACTION_LIMIT_MS + 60_000 });
  probe.start();
  let error: string | undefined;
  let done: TimingEvent | undefined;
  const m: Record<string, number | null> = { agent_restart_ms: null, container_start_ms: null, reports_resume_ms: null, alerts_resume_ms: null, first_alert_t1_ms: null, first_breach_ms: null };
  const marks: Array<{ label: string; t: number }> = [];
  const killedAt = epochNow();
  try {
    await sleep(1000);
    const kill = epochNow();
    marks.push({ label: 'agent SIGKILL', t: kill });
    ctx.log(`agent-restart #${iteration}: SIGKILL of agent ${old.Id.slice(0, 12)} on ${node}, CPU stress on ${task.containerId.slice(0, 12)}`);
    await nodeDocker.getContainer(old.Id).kill({ signal: 'SIGKILL' });
    const stress = `${lab.entrypoint}/stress/cpu?target=90&duration=40&ramp=2`;
    const res = await fetch(stress, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${stress} answered ${res.status}: ${await res.text()}`);

    const fresh = await waitFor(`a new ${AGENT_SERVICE} container running on ${node}`, async () =>
      ((await nodeDocker.listContainers({ filters: agentFilter })) as Array<{ Id: string }>).find((c) => c.Id !== old.Id), { timeoutMs: 60_000, intervalMs: 100 });
    const info = (await nodeDocker.getContainer(fresh.Id).inspect()) as { State: { StartedAt: string } };
    m.container_start_ms = onControl(node, dockerTime(info.State.StartedAt)) - kill;
    const started = await waitFor(`agent_started in the log of ${fresh.Id.slice(0, 12)}`, async () =>
      (await containerEvents(nodeDocker, fresh.Id)).find((e) => e.event === 'agent_started'), { timeoutMs: 30_000, intervalMs: 100 });
    const agentUp = onControl(node, started.t);
    m.agent_restart_ms = agentUp - kill;
    marks.push({ label: 'agent started', t: agentUp });

    const reportAt = await waitFor(`a report from ${node}'s new agent at the manager`, async () => {
      const seen = ((await managerState(lab)) as { reportingNodes?: Record<string, number> }).reportingNodes?.[node];
      return seen !== undefined && onControl(managerNode, seen) > agentUp ? onControl(managerNode, seen) : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    m.reports_resume_ms = reportAt - agentUp;

    const since = kill - 1000 - (corr[managerNode] ?? 0);
    const alert = await waitFor(`an alert from ${node}'s new agent at the manager`, async () =>
      (await managerEvents(lab, since)).find((e) => e.event === 'alert_received' && e.alertNode === node && onControl(managerNode, e.t) > agentUp), { timeoutMs: 60_000, intervalMs: 100 });
    m.alerts_resume_ms = onControl(managerNode, alert.t) - agentUp;
    marks.push({ label: 'first alert (T2)', t: onControl(managerNode, alert.t) });
    const own = await containerEvents(nodeDocker, fresh.Id);
    const sent = own.find((e) => e.event === 'alert_sent' && e.alertId === alert.alertId);
    if (sent) m.first_alert_t1_ms = onControl(node, sent.t) - agentUp;
    // T0: the first of the breaching samples; later than 1 poll after the start means early samples did not breach
    const breach = own.find((e) => e.event === 'breach_detected' && e.alertId === alert.alertId);
    if (breach) m.first_breach_ms = onControl(node, breach.t) - agentUp;

    done = await waitActionEnd(lab, since, service, ACTION_LIMIT_MS);
    if (done.event === 'action_failed') error = `migration failed: ${String(done.reason ?? 'no reason given')}`;
    const limit = ALERT_RESUME_POLLS * pollMs;
    if (!error && m.alerts_resume_ms > limit) error = `first alert ${m.alerts_resume_ms.toFixed(0)} ms after the new agent started, limit ${limit} ms (${ALERT_RESUME_POLLS} poll intervals)`;
    await sleep(2000);
  } catch (err) {
    error = (err as Error).message;
  } finally {
    await stopAllStress(lab);
  }
  const result = await probe.stop();
  const down = summarizeDowntime(result.samples);
  let moved: AppTask | undefined;
  let timing: ActionTiming | undefined;
  let agents: number;
  // the agent's silence must not pass for a failed node: its ports stayed open
  const nodeChecks: Record<string, number | null> = { node_failures_detected: null, evacuations: null, silence_ruled_out: null };
  try {
    moved = (await appTasks(docker, service)).find((t) => t.state === 'running');
    timing = done?.actionId ? await actionTiming(ctx, killedAt - 2000, done.actionId, 'migration', offsets) : undefined;
    // swarm restarts the agent by itself; the lab is left only once every node has one again
    const nodes = 1 + lab.swarm.workers.length;
    agents = await waitFor(`${AGENT_SERVICE} running on all ${nodes} nodes`, async () => {
      const n = (await runningTasks(docker, AGENT_SERVICE)).length;
      return n === nodes ? n : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const seen = await managerEvents(lab, startedAt - (corr[managerNode] ?? 0));
    nodeChecks.node_failures_detected = seen.filter((e) => e.event === 'node_failure_detected').length;
    nodeChecks.evacuations = seen.filter((e) => e.event === 'action_started' && e.action === 'evacuate').length;
    nodeChecks.silence_ruled_out = seen.filter((e) => e.event === 'node_failure_ruled_out' && e.hostname === node).length;
  } finally {
    await resetApp(lab, docker);
  }
  const record = {
    experiment: 'agent-restart',
    iteration,
    params: { node, killedAgent: old.Id.slice(0, 12), pollIntervalMs: pollMs, alertResumeLimitMs: ALERT_RESUME_POLLS * pollMs, from: node, to: moved?.node ?? null, agentsRunningAfter: agents },
    startedAt,
    endedAt: epochNow(),
    events: timing?.events ?? [],
    probes: probeSummary(result, down),
    ...outcomeOf(error),
    measurements: {
      ...m,
      migrations: done?.event === 'action_completed' ? 1 : 0,
      ...nodeChecks,
      mttr_ms: timing?.deltas.mttrMs ?? null,
      failed_requests: down.failed,
      downtime_ms: down.downtimeMs,
    },
    slo: [],
    marks: [...marks, ...(timing?.marks ?? [])],
  };
  const f = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} ms`);
  ctx.log(`agent-restart #${iteration}: agent back after ${f(m.agent_restart_ms)} (container ${f(m.container_start_ms)}), reports +${f(m.reports_resume_ms)}, alert +${f(m.alerts_resume_ms)}; ${node} → ${moved?.node ?? '?'}, ${down.failed} failed probes${error ? `; ERROR ${error}` : ''}`);
  return { record, probes: [{ source: 'control', samples: result.samples }] };
}
