import { AvailabilityProbe } from '../../probe/probe.ts';
import { summarizeDowntime } from '../../probe/downtime.ts';
import { appTasks, resetApp, stopAllStress } from '../../cluster/app-control.ts';
import { corrections } from '../../events/clock-offset.ts';
import { resolveToken } from '../../cluster/deploy.ts';
import { scrapeEvents } from '../../events/log-scraper.ts';
import { managerEvents } from '../../cluster/manager-api.ts';
import { MANAGER_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset, TimingEvent } from '../../config/types.ts';
import { waitFor } from '../../events/wait-for.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult, outcomeOf, probeSummary } from '../context.ts';
import { restartManager } from '../manager-control.ts';
import { alertBody } from './manager-payloads.ts';

const TEMP_LABEL = 'swarmguard.temporary-constraints';
/** After the clean-up, alerts are watched this long for a second move. */
const WATCH_MS = 5000;

interface RawService {
  Spec: { Labels?: Record<string, string>; TaskTemplate: { ForceUpdate?: number; Placement?: { Constraints?: string[] } } };
  UpdateStatus?: { State?: string };
}

const inspect = (ctx: ExperimentContext) => ctx.docker.getService(ctx.lab.app.service).inspect() as Promise<RawService>;

/**
 * Manager restart: CPU stress on the app's task; once the manager has logged T4 and swarm took its
 * temporary node.hostname constraint, the manager's container is killed (SIGKILL) while the rollout runs
 * (before T6). Swarm restarts it; its start-up reconciliation must hold the service, wait for the
 * rollout and remove the temporary constraint. The alert of the interrupted migration is replayed at
 * the new manager while it reconciles: it must not start a second move. Measured: manager back,
 * reconciliation done, and the service's end state (one task on a Ready node other than the
 * stressed one, no `node.hostname` constraint, no forced update: a migration moves one task only).
 */
export async function managerRestartIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const { lab, docker } = ctx;
  const service = lab.app.service;
  const managerNode = lab.swarm.manager.name;
  const corr = corrections(offsets);
  const onControl = (host: string, t: number) => t + (corr[host] ?? 0);
  const toManager = (t: number) => t - (corr[managerNode] ?? 0);
  const startedAt = epochNow();
  await restartManager(ctx);
  const [task] = await resetApp(lab, docker);
  const force0 = (await inspect(ctx)).Spec.TaskTemplate.ForceUpdate ?? 0;
  const managerDocker = ctx.nodes.get(managerNode);
  if (!managerDocker) throw new Error(`no Docker client for node ${managerNode}`);
  const probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: lab.experiments.probe_interval_ms, timeoutMs: lab.experiments.probe_timeout_ms, durationMs: 3 * 60_000 });
  probe.start();
  const m: Record<string, number | null> = { kill_after_t4_ms: null, manager_back_ms: null, reconcile_ms: null, reconcile_wait_ms: null, replay_alerts: 0, alerts_after_restart: 0, second_migrations: 0, forced_updates: null };
  const marks: Array<{ label: string; t: number }> = [];
  const errors: string[] = [];
  const params: Record<string, unknown> = { from: task.node, task: task.id };
  try {
    await sleep(1000);
    const stressAt = epochNow();
    const stress = `${lab.entrypoint}/stress/cpu?target=90&duration=30&ramp=2`;
    const res = await fetch(stress, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${stress} answered ${res.status}: ${await res.text()}`);
    const t4 = await waitFor('the manager to log T4 (action_started)', async () =>
      (await managerEvents(lab, toManager(stressAt))).find((e) => e.event === 'action_started' && e.service === service), { timeoutMs: 40_000, intervalMs: 50 });
    // T4 is logged just before the update call: kill once swarm has the migration's temporary
    // constraint (node.hostname!=<from>, or ==<target> when the manager picks the node)
    await waitFor('swarm to take the migration\'s node.hostname constraint', async () => ((await inspect(ctx)).Spec.TaskTemplate.Placement?.Constraints ?? []).some((c) => c.includes('node.hostname')), { timeoutMs: 5000, intervalMs: 20 });
    const [mgr] = (await managerDocker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${MANAGER_SERVICE}`], status: ['running'] } })) as Array<{ Id: string }>;
    if (!mgr) throw new Error(`no running ${MANAGER_SERVICE} container on ${managerNode}`);
    await managerDocker.getContainer(mgr.Id).kill({ signal: 'SIGKILL' });
    const killedAt = epochNow();
    m.kill_after_t4_ms = killedAt - onControl(managerNode, t4.t);
    marks.push({ label: 'T4', t: onControl(managerNode, t4.t) }, { label: 'manager SIGKILL', t: killedAt });
    const atKill = await inspect(ctx);
    const old = (await docker.listTasks({ filters: { service: [service] } })) as Array<{ ID: string; DesiredState: string; Status: { State: string } }>;
    const oldTask = old.find((t) => t.ID === task.id);
    params.updateStateAtKill = atKill.UpdateStatus?.State ?? null;
    params.oldTaskAtKill = oldTask ? `${oldTask.Status.State} (desired ${oldTask.DesiredState})` : 'gone';
    params.constraintsAtKill = atKill.Spec.TaskTemplate.Placement?.Constraints ?? [];
    ctx.log(`manager-restart #${iteration}: SIGKILL of the manager ${m.kill_after_t4_ms.toFixed(0)} ms after T4; update ${String(params.updateStateAtKill)}, old task ${String(params.oldTaskAtKill)}`);
    if (oldTask?.Status.State !== 'running') errors.push(`the kill came after T6: old task ${String(params.oldTaskAtKill)}`);

    const back = await waitFor('the manager restarted by swarm', async () => {
      const ok = await fetch(`${lab.manager_api}/health`, { signal: AbortSignal.timeout(500) }).then((r) => r.ok, () => false);
      if (!ok) return undefined;
      const started = (await managerEvents(lab, toManager(killedAt))).find((e) => e.event === 'manager_started');
      return started ? onControl(managerNode, started.t) : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    m.manager_back_ms = back - killedAt;
    marks.push({ label: 'manager started', t: back });

    // the interrupted migration's alert, as the agent would send it again while the stress lasts
    const token = await resolveToken(lab);
    const replay = alertBody(`manager-restart:${iteration}:replay`, { node: task.node, service, container: task.containerId.slice(0, 12), task: task.id });
    const answer = await fetch(`${lab.manager_api}/alert`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(replay), signal: AbortSignal.timeout(3000) });
    const body = (await answer.json()) as { accepted?: boolean; reason?: string };
    m.replay_alerts = 1;
    params.replayAnswer = `${answer.status} ${JSON.stringify(body)}`;
    if (body.accepted !== false) errors.push(`the replayed alert was accepted: ${String(params.replayAnswer)}`);

    const reconciled = await waitFor('the restarted manager to reconcile', async () =>
      (await managerEvents(lab, toManager(killedAt))).find((e) => (e.event === 'reconcile_completed' || e.event === 'action_failed') && e.service === service), { timeoutMs: 60_000, intervalMs: 100 });
    if (reconciled.event === 'action_failed') errors.push(`reconciliation failed: ${String(reconciled.reason)}`);
    m.reconcile_ms = onControl(managerNode, reconciled.t) - killedAt;
    m.reconcile_wait_ms = typeof reconciled.waitedMs === 'number' ? reconciled.waitedMs : null;
    // the restarted manager names the migration it cut short, read back from the service's label
    const started = (await managerEvents(lab, toManager(killedAt))).find((e) => e.event === 'reconcile_started' && e.service === service);
    params.reconciled = { removed: reconciled.removed, updateState: reconciled.updateState, interruptedActionId: started?.interruptedActionId ?? null };
    if (started?.interruptedActionId !== t4.actionId) errors.push(`reconciliation named ${String(started?.interruptedActionId)} as the interrupted action, not ${String(t4.actionId)}`);
    marks.push({ label: 'reconciled', t: onControl(managerNode, reconciled.t) });
    await sleep(WATCH_MS);

    const after: TimingEvent[] = await managerEvents(lab, toManager(killedAt));
    m.alerts_after_restart = after.filter((e) => e.event === 'alert_received' && e.service === service).length;
    m.second_migrations = after.filter((e) => e.event === 'action_started' && e.service === service).length;
    params.ignoredAfterRestart = after.filter((e) => e.event === 'alert_ignored' && e.service === service).map((e) => String(e.reason));
  } catch (err) {
    errors.push((err as Error).message);
  } finally {
    await stopAllStress(lab);
    await waitFor('the manager answering', async () => fetch(`${lab.manager_api}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false), { timeoutMs: 60_000, intervalMs: 250 }).catch((err: Error) => errors.push(err.message));
  }
  const result = await probe.stop();
  const down = summarizeDowntime(result.samples);
  // the end state, before resetApp (which would hide a left-over constraint)
  const svc = await inspect(ctx);
  const running = (await appTasks(docker, service)).filter((t) => t.state === 'running');
  const all = await appTasks(docker, service);
  const nodes = (await docker.listNodes()) as Array<{ Description: { Hostname: string }; Status: { State: string } }>;
  const constraints = svc.Spec.TaskTemplate.Placement?.Constraints ?? [];
  m.forced_updates = (svc.Spec.TaskTemplate.ForceUpdate ?? 0) - force0;
  const to = running[0]?.node ?? null;
  const toReady = nodes.some((n) => n.Description.Hostname === to && n.Status.State === 'ready');
  if (running.length !== lab.app.replicas || all.length !== lab.app.replicas) errors.push(`${running.length} running of ${all.length} wanted task(s), desired ${lab.app.replicas}`);
  if (!to || to === task.node || !toReady) errors.push(`task ended on ${to ?? 'no node'} (from ${task.node}, Ready: ${toReady})`);
  if (constraints.some((c) => c.includes('node.hostname')) || svc.Spec.Labels?.[TEMP_LABEL]) errors.push(`temporary constraint left: ${constraints.join(', ')} ${svc.Spec.Labels?.[TEMP_LABEL] ?? ''}`);
  // the clean-up is a newer spec: swarm may drop the finished update's status instead of keeping `completed`
  if (svc.UpdateStatus?.State && svc.UpdateStatus.State !== 'completed') errors.push(`update status ${svc.UpdateStatus.State} at the end`);
  // ForceUpdate would roll every replica; a migration only adds and removes its constraint
  if (m.forced_updates !== 0) errors.push(`${m.forced_updates} forced updates in the iteration, none expected`);
  if (m.second_migrations) errors.push(`${m.second_migrations} migration(s) started by the restarted manager`);
  // the dead manager's own log: it must not have reached T6 before the kill
  const dead = await scrapeEvents(docker, startedAt - 1000, [MANAGER_SERVICE], ctx.nodes).catch(() => [] as TimingEvent[]);
  const t6 = dead.find((e) => e.event === 'old_task_removed' && e.service === service && onControl(managerNode, e.t) > startedAt);
  params.deadManagerT6 = t6 ? 'logged' : 'not logged';
  await resetApp(lab, docker);
  const error = errors.join('; ');
  const record = {
    experiment: 'manager-restart',
    iteration,
    params: { ...params, to, constraintsAfter: constraints, updateStateAfter: svc.UpdateStatus?.State ?? null },
    startedAt,
    endedAt: epochNow(),
    events: [],
    probes: probeSummary(result, down),
    ...outcomeOf(error),
    measurements: { ...m, failed_requests: down.failed, downtime_ms: down.downtimeMs },
    slo: [],
    marks,
  };
  const f = (v: number | null) => (v === null ? 'n/a' : `${(v / 1000).toFixed(1)} s`);
  ctx.log(`manager-restart #${iteration}: killed ${f(m.kill_after_t4_ms)} after T4, back after ${f(m.manager_back_ms)}, reconciled after ${f(m.reconcile_ms)}; ${task.node} → ${to}, ${m.forced_updates} forced update(s), ${m.second_migrations} second migrations, ${down.failed} failed probes${error ? `; ERROR ${error}` : ''}`);
  return { record, probes: [{ source: 'control', samples: result.samples }] };
}
