import { nodeFaults } from '../../node-faults.ts';
import { AvailabilityProbe } from '../../probe.ts';
import { reactiveMttr, summarizeDowntime } from '../../downtime.ts';
import { appTasks, resetApp, stopAllStress } from '../../app-control.ts';
import { corrections } from '../../clock-offset.ts';
import { runningTasks } from '../../deploy.ts';
import { managerEvents, managerState, waitActionEnd } from '../../manager-api.ts';
import { AGENT_SERVICE } from '../../system-specs.ts';
import type { ClockOffset, TimingEvent } from '../../types.ts';
import { waitFor } from '../../wait-for.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf, probeSummary } from '../context.ts';
import { restartManager } from '../manager-control.ts';

/** Which worker's dockerd is stopped: the one running the app's task, or another one. */
export type FailedNode = 'task-node' | 'other-node';

const STEADY_MS = 2000;
const RECOVERY_LIMIT_MS = 60_000;
const ACTION_LIMIT_MS = 60_000;

async function nodeState(ctx: ExperimentContext, hostname: string): Promise<string | undefined> {
  const nodes = (await ctx.docker.listNodes()) as Array<{ Description: { Hostname: string }; Status: { State: string } }>;
  return nodes.find((n) => n.Description.Hostname === hostname)?.Status.State;
}

async function agentRunningOn(ctx: ExperimentContext, hostname: string): Promise<boolean> {
  const byId = new Map(((await ctx.docker.listNodes()) as Array<{ ID: string; Description: { Hostname: string } }>).map((n) => [n.ID, n.Description.Hostname]));
  return (await runningTasks(ctx.docker, AGENT_SERVICE)).some((t) => byId.get(t.NodeID) === hostname);
}

/**
 * Node failure: under steady probing, one worker's dockerd is stopped as the local lab
 * stops it (its containers with it): the app task's node, or another worker. Measured: swarm's Down
 * detection, the manager's `node_state_changed`/`agent_reports_stopped` lines, the service's
 * recovery when swarm reschedules (stop → first probe answered by a new container) and failed probes.
 * Then CPU stress on the live task: the manager must still migrate it, never onto the dead node.
 * The dockerd is always started again; the node must be Ready with its agent running and reporting.
 */
export async function nodeFailureIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], which: FailedNode): Promise<IterationResult> {
  const { lab, docker } = ctx;
  const service = lab.app.service;
  const managerNode = lab.swarm.manager.name;
  const corr = corrections(offsets);
  const onControl = (host: string, t: number) => t + (corr[host] ?? 0);
  const faults = nodeFaults(lab);
  const experiment = `node-failure`;
  const startedAt = epochNow();
  await restartManager(ctx); // fresh cooldowns: the previous iteration migrated
  const [task] = await resetApp(lab, docker);
  const workers = lab.swarm.workers.map((w) => w.name);
  // another node: each worker in turn, skipping the task's
  const turn = workers[(iteration - 1) % workers.length];
  const victim = which === 'task-node' ? task.node : turn !== task.node ? turn : workers[iteration % workers.length];
  const oldId = task.containerId.slice(0, 12);

  const probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: lab.experiments.probe_interval_ms, timeoutMs: lab.experiments.probe_timeout_ms, durationMs: 3 * 60_000 });
  probe.start();
  const m: Record<string, number | null> = { stop_ms: null, swarm_down_ms: null, manager_down_ms: null, agent_silent_ms: null, recovery_ms: null, rejoin_ms: null, agent_back_ms: null, reporting_again_ms: null };
  const marks: Array<{ label: string; t: number }> = [];
  const errors: string[] = [];
  let done: TimingEvent | undefined;
  let started: TimingEvent | undefined;
  let stopped = false;
  let stoppedAt = 0;
  let migratedFrom: string | undefined;
  let migratedTo: string | undefined;
  try {
    await sleep(STEADY_MS);
    stoppedAt = epochNow();
    const since = stoppedAt - (corr[managerNode] ?? 0);
    marks.push({ label: `dockerd of ${victim} stopped`, t: stoppedAt });
    ctx.log(`node-failure #${iteration} (${which}): stopping dockerd of ${victim} (task ${oldId} on ${task.node})`);
    stopped = true;
    await faults.stopDocker(victim);
    m.stop_ms = epochNow() - stoppedAt;

    const down = await waitFor(`swarm to see ${victim} not Ready`, async () => ((await nodeState(ctx, victim)) !== 'ready' ? epochNow() : undefined), { timeoutMs: 60_000, intervalMs: 200 });
    m.swarm_down_ms = down - stoppedAt;
    marks.push({ label: `${victim} Down (swarm)`, t: down });
    const logged = await waitFor(`the manager to log ${victim} unreachable`, async () =>
      (await managerEvents(lab, since)).find((e) => e.event === 'node_state_changed' && e.hostname === victim && e.unreachable === true), { timeoutMs: 15_000, intervalMs: 200 });
    m.manager_down_ms = onControl(managerNode, logged.t) - stoppedAt;
    const silent = (await managerEvents(lab, since)).find((e) => e.event === 'agent_reports_stopped' && e.hostname === victim);
    if (silent) m.agent_silent_ms = onControl(managerNode, silent.t) - stoppedAt;
    else errors.push(`the manager did not log agent_reports_stopped for ${victim}`);

    if (which === 'task-node') {
      const rec = await waitFor('a probe answered by a rescheduled container', async () => reactiveMttr(probe.snapshot(), stoppedAt, oldId) ?? undefined, { timeoutMs: RECOVERY_LIMIT_MS, intervalMs: 100 });
      m.recovery_ms = rec.mttrMs;
      marks.push({ label: 'served again', t: rec.recoveredBy.sentAt });
    }
    const live = await waitFor(`${service} running on a live node`, async () =>
      (await appTasks(docker, service)).find((t) => t.state === 'running' && t.node !== victim), { timeoutMs: RECOVERY_LIMIT_MS, intervalMs: 250 });
    migratedFrom = live.node;

    // the alert path on the live nodes: CPU stress → alert → migration, never onto the dead node
    const stress = `${lab.entrypoint}/stress/cpu?target=90&duration=30&ramp=2`;
    const res = await fetch(stress, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${stress} answered ${res.status}: ${await res.text()}`);
    const stressAt = epochNow() - (corr[managerNode] ?? 0);
    done = await waitActionEnd(lab, stressAt, service, ACTION_LIMIT_MS);
    started = (await managerEvents(lab, stressAt)).find((e) => e.event === 'action_started' && e.actionId === done?.actionId);
    if (done.event === 'action_failed') errors.push(`migration failed: ${String(done.reason ?? 'no reason given')}`);
    migratedTo = typeof done.toNode === 'string' ? done.toNode : undefined;
    const constraints = (started?.constraints as string[] | undefined) ?? [];
    if (migratedTo === victim || constraints.includes(`node.hostname==${victim}`)) errors.push(`the manager targeted the dead node ${victim} (${constraints.join(', ')}, to ${migratedTo})`);
    const after = (await appTasks(docker, service)).filter((t) => t.state === 'running');
    if (after.length !== 1 || after[0].node === victim || after[0].node === migratedFrom) errors.push(`after the migration: ${after.map((t) => t.node).join(', ') || 'no running task'} (from ${migratedFrom}, dead ${victim})`);
  } catch (err) {
    errors.push((err as Error).message);
  } finally {
    await stopAllStress(lab);
    if (stopped) {
      const restartAt = epochNow();
      const since = restartAt - (corr[managerNode] ?? 0);
      marks.push({ label: `dockerd of ${victim} started`, t: restartAt });
      try {
        const back = await faults.startDocker(victim);
        ctx.log(`node-failure #${iteration}: dockerd of ${victim} started again (${back.split('\n').at(-1)})`);
        m.rejoin_ms = (await waitFor(`${victim} Ready again`, async () => ((await nodeState(ctx, victim)) === 'ready' ? epochNow() : undefined), { timeoutMs: 60_000, intervalMs: 200 })) - restartAt;
        m.agent_back_ms = (await waitFor(`${AGENT_SERVICE} running on ${victim}`, async () => ((await agentRunningOn(ctx, victim)) ? epochNow() : undefined), { timeoutMs: 60_000, intervalMs: 250 })) - restartAt;
        // a fresh report makes the node a migration candidate again (chooseTarget needs one)
        m.reporting_again_ms = (await waitFor(`reports from ${victim} at the manager`, async () => {
          const seen = ((await managerState(lab)) as { reportingNodes?: Record<string, number> }).reportingNodes?.[victim];
          return seen !== undefined && seen > since ? onControl(managerNode, seen) : undefined;
        }, { timeoutMs: 30_000, intervalMs: 250 })) - restartAt;
        await waitFor(`the manager to log ${victim} Ready again`, async () =>
          (await managerEvents(lab, since)).some((e) => e.event === 'node_state_changed' && e.hostname === victim && e.to === 'ready'), { timeoutMs: 15_000, intervalMs: 250 });
        const leaked = await faults.settle(victim);
        if (leaked.length) ctx.log(`node-failure #${iteration}: ${victim}: docker-proxy left without its container (${leaked.join(', ')}): dockerd restarted`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  }
  faults.close();
  const result = await probe.stop();
  const down = summarizeDowntime(result.samples);
  await resetApp(lab, docker);
  const error = errors.join('; ');
  const record = {
    experiment,
    iteration,
    params: { failed: which, fault: faults.how, victim, taskNode: task.node, killedContainer: oldId, from: migratedFrom ?? null, to: migratedTo ?? null, constraints: (started?.constraints as string[] | undefined) ?? [] },
    startedAt,
    endedAt: epochNow(),
    events: [],
    probes: probeSummary(result, down),
    ...outcomeOf(error),
    measurements: { ...m, migrations: done?.event === 'action_completed' ? 1 : 0, failed_requests: down.failed, downtime_ms: down.downtimeMs },
    slo: [],
    marks,
  };
  const f = (v: number | null) => (v === null ? 'n/a' : `${(v / 1000).toFixed(1)} s`);
  ctx.log(`node-failure #${iteration} (${which}, ${victim}): Down after ${f(m.swarm_down_ms)} (manager ${f(m.manager_down_ms)}), served again ${f(m.recovery_ms)}, ${down.failed} failed probes; migration ${migratedFrom} → ${migratedTo ?? '?'}; rejoined ${f(m.rejoin_ms)}, agent ${f(m.agent_back_ms)}${error ? `; ERROR ${error}` : ''}`);
  return { record, probes: [{ source: 'control', samples: result.samples }] };
}
