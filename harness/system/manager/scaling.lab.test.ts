/**
 * On the real local lab, with the manager managing every service (MANAGED_SERVICES unset, so
 * nothing but its own state tells it which services it scaled up): scale-up 1 → 2 → 3 on
 * scenario-2 alerts, each new replica serving traffic through the HAProxy entrypoint. At 2
 * replicas, and at 3 on a lab with a fourth worker, a migration alert for one of them moves that
 * replica only. After the scale-up to 3
 * the manager is SIGKILLed; with no load, the restarted manager's background loop still scales
 * back to 1 from the agents' real reports (scale_down_cooldown per step). A probe every 100 ms
 * through the entrypoint must see no failure during any of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../lib/config/lab-config.ts';
import { deploySystem, resolveToken } from '../../lib/cluster/deploy.ts';
import { appTasks, resetApp, type AppTask } from '../../lib/cluster/app-control.ts';
import { AvailabilityProbe } from '../../lib/probe/probe.ts';
import { samplesBetween, summarizeDowntime } from '../../lib/probe/downtime.ts';
import { managerDocker } from '../../lib/cluster/docker-clients.ts';
import { makeContext } from '../../lib/experiments/context.ts';
import { killManager, setManagerEnv } from '../../lib/experiments/manager-control.ts';
import { managerEvents } from '../../lib/cluster/manager-api.ts';
import type { TimingEvent } from '../../lib/config/types.ts';
import { waitFor } from '../../lib/events/wait-for.ts';
import { epochNow, eventOf, forgeAlert, managerStateView, postAlert, serviceView, waitActionEvents } from './lab-alerts.ts';

const lab = await loadLab();
const ctx = makeContext(lab);
const docker = managerDocker(lab);
const service = lab.app.service;
const rules = lab.swarmguard.config.scenarios.scenario2_scaling!;
const scaleDownCooldownMs = (rules.scale_down_cooldown ?? 180) * 1000;
let token = '';
let probe: AvailabilityProbe;
let testStart = 0;
let lastScaleUpEnd = 0;
/** The replica the last scale-up added: within the manager's startup grace, no migration alert for it is acted on. */
let newestTask = '';
const figures: Record<string, unknown>[] = [];
const BASE_CONSTRAINTS = ['node.role==worker'];
let managedBefore: string | undefined;
let managedChanged = false;

const running = async (): Promise<AppTask[]> => (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running');

beforeAll(async () => {
  await deploySystem(lab);
  token = await resolveToken(lab);
  await resetApp(lab, ctx.cluster);
  // also a fresh manager: no cooldowns, nothing scaled yet
  managedBefore = await setManagerEnv(ctx, 'MANAGED_SERVICES', undefined);
  managedChanged = true;
  testStart = epochNow();
  probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: 100, durationMs: 400_000 });
  probe.start();
});

afterAll(async () => {
  await probe?.stop();
  if (managedChanged) await setManagerEnv(ctx, 'MANAGED_SERVICES', managedBefore);
  await resetApp(lab, ctx.cluster);
  console.table(figures);
});

describe.sequential('manager on the lab: scale-up on alerts, scale-down when idle', () => {
  const scaleUp = (to: number) => {
    it(`scales ${to - 1} → ${to} on a scenario-2 alert; the new replica serves traffic; 0 failed probes`, async () => {
      // the previous scale-up's cooldown (scale_up_cooldown) must be over, or the alert is rightly ignored
      await waitFor('no scale_up cooldown on the manager', async () => !(await managerStateView(lab)).cooldowns.some((c) => c.service === service && c.action === 'scale_up'), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const before = await running();
      expect(before).toHaveLength(to - 1);
      const subject = before[0]!;
      const since = epochNow() - 1;
      const answer = await postAlert(lab, token, forgeAlert(service, { node: subject.node, containerId: subject.containerId, taskId: subject.id }, 'scenario2_scaling'));
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      expect(answer.body).toMatchObject({ accepted: true, decision: 'scale_up' });
      const events = await waitActionEvents(lab, since, String(answer.body.actionId), 90_000);
      expect(events.find((e) => e.event === 'action_failed')).toBeUndefined();
      const t4 = eventOf(events, 'action_started').t;
      const ready = eventOf(events, 'replacement_ready');
      expect((await serviceView(docker, service)).replicas).toBe(to);

      const now = await running();
      expect(now).toHaveLength(to);
      const fresh = now.find((t) => t.id === ready.newTaskId);
      expect(fresh, `new task ${String(ready.newTaskId)} running`).toBeDefined();
      expect(before.map((t) => t.node)).not.toContain(fresh!.node);
      // the probe (a new connection each time, balanced by HAProxy) sees the new container answer
      const served = await waitFor(
        `probe answered by the new replica ${fresh!.containerId.slice(0, 12)} on ${fresh!.node}`,
        async () => probe.snapshot().find((s) => s.ok && s.sentAt >= ready.t && s.servedBy !== null && fresh!.containerId.startsWith(s.servedBy)),
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      lastScaleUpEnd = eventOf(events, 'action_completed').t;
      newestTask = fresh!.id;
      const failed = summarizeDowntime(probe.snapshot()).failed;
      figures.push({ step: `up ${to - 1}→${to}`, t5_t4_ms: Math.round(ready.t - t4), firstServed_after_T5_ms: Math.round(served.sentAt - ready.t), node: fresh!.node, failedSoFar: failed });
      expect(failed).toBe(0);
    });
  };

  scaleUp(2);

  const migrateOne = (n: number) => {
    // with host-mode publishing one replica fits a node, so moving one of n needs a worker without one
    const fits = lab.swarm.workers.length > n;
    it.skipIf(!fits)(`at ${n} replicas, a migration alert for one moves that replica only: the others keep their containers, no constraint is left, 0 failed probes${fits ? '' : ` (skipped: needs ${n + 1} workers, the lab has ${lab.swarm.workers.length})`}`, async () => {
      // the previous migration's cooldown must be over, or the alert is rightly ignored
      await waitFor('no migrate cooldown on the manager', async () => !(await managerStateView(lab)).cooldowns.some((c) => c.service === service && c.action === 'migrate'), {
        timeoutMs: 120_000,
        intervalMs: 250,
      });
      const before = await running();
      expect(before).toHaveLength(n);
      // not the replica the last scale-up added: it is within the startup grace
      const subject = before.find((t) => t.id !== newestTask)!;
      const others = before.filter((t) => t.id !== subject.id);
      expect(others.map((t) => t.id), `the scale-up's replica ${newestTask} among ${before.map((t) => t.id).join(', ')}`).toContain(newestTask);
      const since = epochNow() - 1;
      const answer = await postAlert(lab, token, forgeAlert(service, { node: subject.node, containerId: subject.containerId, taskId: subject.id }, 'scenario1_migration'));
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      expect(answer.body).toMatchObject({ accepted: true, decision: 'migrate' });
      const events = await waitActionEvents(lab, since, String(answer.body.actionId), 90_000);
      const done = events.find((e) => e.event === 'action_completed');
      expect(done, `action failed: ${JSON.stringify(events.find((e) => e.event === 'action_failed'))}`).toBeDefined();
      const ready = eventOf(events, 'replacement_ready');
      await waitFor('the update no longer in progress', async () => (await serviceView(docker, service)).updateState !== 'updating', { timeoutMs: 30_000, intervalMs: 250 });
      const after = await running();
      const moved = after.find((t) => t.id === ready.newTaskId);
      expect(moved, `replacement ${String(ready.newTaskId)} running`).toBeDefined();
      expect(after.map((t) => t.containerId).sort()).toEqual([...others.map((t) => t.containerId), moved!.containerId].sort());
      expect(before.map((t) => t.node)).not.toContain(moved!.node);
      const view = await serviceView(docker, service);
      expect(view.replicas).toBe(n);
      expect(view.constraints).toEqual(BASE_CONSTRAINTS);
      expect(view.labels['swarmguard.temporary-constraints']).toBeUndefined();
      const failed = summarizeDowntime(probe.snapshot()).failed;
      figures.push({
        step: `migrate 1 of ${n}`,
        from: subject.node,
        to: moved!.node,
        untouched: others.map((t) => `${t.node} ${t.containerId.slice(0, 12)}`).join(', '),
        t5_t4_ms: Math.round(ready.t - eventOf(events, 'action_started').t),
        failedSoFar: failed,
      });
      expect(failed).toBe(0);
    });
  };

  migrateOne(2);

  scaleUp(3);
  migrateOne(3);

  it('the manager SIGKILLed after the scale-up to 3 comes back knowing what it scaled up', async () => {
    const killedAt = await killManager(ctx);
    const started = await waitFor('manager_started after the kill', async () => (await managerEvents(lab, killedAt)).find((e) => e.event === 'manager_started'), { timeoutMs: 30_000, intervalMs: 250 });
    figures.push({ step: 'manager SIGKILL', back_after_ms: Math.round(started.t - killedAt) });
    expect((await serviceView(docker, service)).replicas).toBe(3);
  });

  it('scales back 3 → 2 → 1 by itself when idle (real agent reports), one step per scale_down_cooldown, 0 failed probes', async () => {
    const start = lastScaleUpEnd || epochNow() - 1;
    const steps: TimingEvent[][] = [];
    let lastEnd = start;
    for (const to of [2, 1]) {
      const decision = await waitFor(
        `scale-down decision to ${to}`,
        async () => (await managerEvents(lab, lastEnd)).find((e) => e.event === 'decision_made' && e.decision === 'scale_down' && e.service === service),
        { timeoutMs: scaleDownCooldownMs + 60_000, intervalMs: 500 },
      );
      // each step waits a full scale_down_cooldown after the previous change of the replica count
      expect(decision.t - lastEnd).toBeGreaterThanOrEqual(scaleDownCooldownMs);
      const events = await waitActionEvents(lab, lastEnd, String(decision.actionId), 90_000);
      expect(events.find((e) => e.event === 'action_failed')).toBeUndefined();
      const done = eventOf(events, 'action_completed');
      expect(done.replicas).toBe(to);
      await waitFor(`${to} running task(s)`, async () => (await appTasks(ctx.cluster, service)).length === to, { timeoutMs: 30_000, intervalMs: 250 });
      steps.push(events);
      const t4 = eventOf(events, 'action_started').t;
      figures.push({
        step: `down ${to + 1}→${to}`,
        since_previous_action_end_ms: Math.round(decision.t - lastEnd),
        idle_reason: decision.reason,
        t4_completed_ms: Math.round(done.t - t4),
      });
      lastEnd = done.t;
    }
    expect((await serviceView(docker, service)).replicas).toBe(1);
    // a removed replica can drain for a few seconds; watch the entrypoint a while longer
    await new Promise((r) => setTimeout(r, 5000));
    const all = probe.snapshot();
    const during = samplesBetween(all, start, epochNow());
    const down = summarizeDowntime(during);
    figures.push({ step: 'scale-down window', probes: during.length, failed: down.failed, downtimeMs: Math.round(down.downtimeMs) });
    const whole = summarizeDowntime(samplesBetween(all, testStart, epochNow()));
    figures.push({ step: 'whole test', probes: whole.samples, failed: whole.failed });
    expect(down.failed, JSON.stringify(down.intervals)).toBe(0);
    expect(whole.failed).toBe(0);
    expect(steps).toHaveLength(2);
  });
});
