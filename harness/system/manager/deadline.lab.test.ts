/**
 * On the real local lab: the manager node's dockerd is frozen (SIGSTOP) just after a migration
 * started, for longer than the manager's deadline on Docker calls, then resumed. The action must
 * end in action_failed naming the call that got no answer, its lock must be released, no temporary
 * constraint may stay on the service, and the next alert must be acted on. The deadline is lowered
 * to 2 s for the test (DOCKER_CALL_TIMEOUT_MS), so the freeze stays well inside swarm's own
 * heartbeat grace (about 15 s): a longer one would make the manager mark the workers down when it
 * resumes, which is another experiment (node failure). A probe through the entrypoint runs
 * throughout: the workers' tasks keep serving while their manager is frozen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab, stateDir } from '../../lib/config/lab-config.ts';
import { deploySystem, resolveToken } from '../../lib/cluster/deploy.ts';
import { appTasks, pastStartupGrace, resetApp } from '../../lib/cluster/app-control.ts';
import { AvailabilityProbe } from '../../lib/probe/probe.ts';
import { summarizeDowntime } from '../../lib/probe/downtime.ts';
import { managerDocker } from '../../lib/cluster/docker-clients.ts';
import { makeContext } from '../../lib/experiments/context.ts';
import { setManagerEnv } from '../../lib/experiments/manager-control.ts';
import { managerEvents } from '../../lib/cluster/manager-api.ts';
import { waitFor } from '../../lib/events/wait-for.ts';
import { LabPaths } from '../../lab/lab-paths.ts';
import { readPid } from '../../lab/processes.ts';
import { epochNow, eventOf, forgeAlert, managerStateView, postAlert, serviceView, sleep, waitActionEvents, waitReportsFromWorkers } from './lab-alerts.ts';

const lab = await loadLab();
const ctx = makeContext(lab);
const docker = managerDocker(lab);
const service = lab.app.service;
const DEADLINE_MS = 2000;
const BASE_CONSTRAINTS = ['node.role==worker'];
const cooldownMs = (lab.swarmguard.config.scenarios.scenario1_migration.cooldown_period ?? 30) * 1000;
let token = '';
let probe: AvailabilityProbe | undefined;
let frozenPid: number | undefined;
let envBefore: string | undefined;
let envChanged = false;
const figures: Record<string, unknown>[] = [];

const running = async () => (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running');

function resume(): void {
  if (frozenPid === undefined) return;
  process.kill(frozenPid, 'SIGCONT');
  frozenPid = undefined;
}

beforeAll(async () => {
  await deploySystem(lab);
  token = await resolveToken(lab);
  await resetApp(lab, ctx.cluster);
  envBefore = await setManagerEnv(ctx, 'DOCKER_CALL_TIMEOUT_MS', String(DEADLINE_MS)); // also a fresh manager: no cooldown
  envChanged = true;
  probe = new AvailabilityProbe({ url: `${lab.entrypoint}${lab.experiments.probe_path}`, intervalMs: 100, durationMs: 240_000 });
  probe.start();
});

afterAll(async () => {
  resume(); // whatever failed, dockerd runs again
  await probe?.stop();
  if (envChanged) await setManagerEnv(ctx, 'DOCKER_CALL_TIMEOUT_MS', envBefore);
  await resetApp(lab, ctx.cluster);
  console.table(figures);
});

describe.sequential('manager on the lab: a frozen dockerd', () => {
  it(`a migration whose dockerd freezes past the ${DEADLINE_MS} ms deadline fails with the call named, releases its lock and leaves no constraint`, async () => {
    await waitReportsFromWorkers(lab);
    const [task] = await running();
    expect(task).toBeDefined();
    const since = epochNow() - 1;
    const answer = await postAlert(lab, token, forgeAlert(service, { node: task!.node, containerId: task!.containerId, taskId: task!.id }, 'scenario1_migration'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body).toMatchObject({ accepted: true, decision: 'migrate' });
    const actionId = String(answer.body.actionId);
    await waitFor('action_started', async () => (await managerEvents(lab, since)).some((e) => e.actionId === actionId && e.event === 'action_started'), { timeoutMs: 10_000, intervalMs: 20 });

    const pid = readPid(new LabPaths(stateDir(lab)).node(lab.swarm.manager.name).pidFile);
    expect(pid, 'dockerd pid of the manager node').toBeDefined();
    process.kill(pid!, 'SIGSTOP');
    frozenPid = pid;
    const frozenAt = epochNow();
    await sleep(DEADLINE_MS + 1000);
    resume();
    const frozenMs = epochNow() - frozenAt;

    const events = await waitActionEvents(lab, since, actionId, 60_000);
    const failed = events.find((e) => e.event === 'action_failed');
    expect(failed, `the action ended ${events.map((e) => e.event).join(', ')}`).toBeDefined();
    // the call that hits the freeze depends on timing: listTasks(web-stress) or
    // updateService(web-stress, version 32923), its arguments named with spaces
    expect(String(failed!.reason)).toMatch(new RegExp(`docker call \\w+(\\([^)]*\\))? got no answer after \\d+ ms \\(limit ${DEADLINE_MS} ms\\)`));
    expect(failed!.limitMs).toBe(DEADLINE_MS);

    // the action's own cleanup, or the leftover sweep after it, takes the constraint off
    let view = await serviceView(docker, service);
    await waitFor(
      'no temporary constraint on the service',
      async () => {
        view = await serviceView(docker, service);
        return view.constraints.length === BASE_CONSTRAINTS.length && view.labels['swarmguard.temporary-constraints'] === undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, lastSeen: () => `constraints ${JSON.stringify(view.constraints)}` },
    );
    expect(view.constraints).toEqual(BASE_CONSTRAINTS);
    const state = await managerStateView(lab);
    expect(state.inFlight.filter((a) => a.service === service)).toEqual([]);
    await waitFor('one running task', async () => (await running()).length === 1, { timeoutMs: 60_000, intervalMs: 500 });
    const down = summarizeDowntime(probe!.snapshot());
    figures.push({ step: 'frozen migration', frozenMs, call: failed!.call, waitedMs: failed!.waitedMs, failedAfterT4Ms: Math.round(failed!.t - eventOf(events, 'action_started').t), probes: down.samples, failedProbes: down.failed });
    expect(down.failed).toBe(0);
  });

  it('the next alert, once the cooldown is over, is acted on and completes', async () => {
    await waitFor('no migrate cooldown', async () => !(await managerStateView(lab)).cooldowns.some((c) => c.service === service && c.action === 'migrate'), {
      timeoutMs: cooldownMs + 15_000,
      intervalMs: 500,
    });
    await waitReportsFromWorkers(lab);
    const [task] = await pastStartupGrace(lab, await running());
    const since = epochNow() - 1;
    const answer = await postAlert(lab, token, forgeAlert(service, { node: task!.node, containerId: task!.containerId, taskId: task!.id }, 'scenario1_migration'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body).toMatchObject({ accepted: true, decision: 'migrate' });
    const events = await waitActionEvents(lab, since, String(answer.body.actionId), 90_000);
    expect(events.find((e) => e.event === 'action_failed')).toBeUndefined();
    const done = eventOf(events, 'action_completed');
    expect(done.toNode).not.toBe(task!.node);
    expect((await serviceView(docker, service)).constraints).toEqual(BASE_CONSTRAINTS);
    const down = summarizeDowntime(probe!.snapshot());
    figures.push({ step: 'next migration', from: task!.node, to: done.toNode, probes: down.samples, failedProbes: down.failed });
    expect(down.failed).toBe(0);
  });
});
