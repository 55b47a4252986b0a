import { describe, expect, it } from 'vitest';
import { LeftoverSweep } from '../src/leftover-sweep.ts';
import { ACTION_LABEL, TEMP_CONSTRAINTS_LABEL, temporaryConstraints } from '../src/placement.ts';
import { alertFor, alertOn, setup } from './helpers.ts';

/** Sends one migration alert through the manager and waits for the action to finish. */
async function migrateOnce(h: ReturnType<typeof setup>) {
  const outcome = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
  await h.manager.idle();
  return outcome;
}

describe('migration', () => {
  it('moves the task off the alerting node with a start-first update adding node.hostname!=<from>, no ForceUpdate, then removes the constraint', async () => {
    const h = setup();
    const outcome = await migrateOnce(h);
    expect(outcome).toMatchObject({ accepted: true, decision: 'migrate' });

    const [first, relax] = h.swarm.updates;
    expect(h.swarm.updates).toHaveLength(2);
    expect(first!.spec.TaskTemplate?.ForceUpdate).toBe(0);
    expect(first!.spec.UpdateConfig).toMatchObject({ Parallelism: 1, Delay: 0, Order: 'start-first', FailureAction: 'rollback' });
    expect(first!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-3']);
    expect(first!.version).toBe(10);
    // the action in flight is on the service with its constraint, for a manager that dies before the clean-up
    expect(first!.spec.Labels?.[ACTION_LABEL]).toBe(outcome.actionId);
    // the relaxing update does not bump ForceUpdate either: it must not restart the new task
    expect(relax!.spec.TaskTemplate?.ForceUpdate).toBe(0);
    expect(relax!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(relax!.spec.Labels?.[TEMP_CONSTRAINTS_LABEL]).toBeUndefined();
    expect(relax!.spec.Labels?.[ACTION_LABEL]).toBeUndefined();

    const live = h.swarm.liveTasks('web-stress');
    expect(live).toHaveLength(1);
    expect(h.swarm.hostOf(live[0]!)).not.toBe('worker-3');
    expect(h.swarm.hostOf(live[0]!)).not.toBe('manager-1'); // the service's own constraint is kept

    const phases = h.events.since(0).filter((e) => e.phase).map((e) => e.phase);
    expect(phases).toEqual(['T2', 'T3', 'T4', 'T5', 'T6']);
    const done = h.named('action_completed')[0]!;
    expect(done).toMatchObject({ action: 'migrate', fromNode: 'worker-3', constraintRemoved: true });
    const t4 = h.named('action_started')[0]!.t;
    expect(h.named('replacement_ready')[0]!.t - t4).toBeGreaterThanOrEqual(h.swarm.startMs);
    expect(h.named('old_task_removed')[0]).toMatchObject({ beforeReplacement: false, taskState: 'shutdown' });
  });

  it('targets the least-loaded reporting node with ==, skipping nodes without a fresh report', async () => {
    const h = setup();
    const now = h.clock.now();
    h.manager.handleReport({ node: 'worker-1', t: now, containers: [{ service: 'other', container: 'aaaaaaaaaaaa', task: 'x', m: { cpu: 90, mem: 50, mem_mb: 1, net: 1, rx: 0, tx: 0 } }] }, now);
    h.manager.handleReport({ node: 'worker-2', t: now, containers: [{ service: 'other', container: 'bbbbbbbbbbbb', task: 'y', m: { cpu: 10, mem: 5, mem_mb: 1, net: 1, rx: 0, tx: 0 } }] }, now);
    h.manager.handleReport({ node: 'manager-1', t: now, containers: [] }, now); // idle but not a worker
    h.setConfig('manager: {migration: {placement: least_loaded}}');
    await migrateOnce(h);
    expect(h.swarm.updates[0]!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname==worker-2']);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-2');
  });

  it('two migrations in a row: exactly one temporary constraint during the second, none after', async () => {
    const h = setup({ yaml: 'scenarios: {scenario1_migration: {cooldown_period: 0}}' });
    await migrateOnce(h);
    const second = alertFor(h.swarm);
    const from = second.node;
    // a crash between the two migrations could leave the first constraint behind: simulate it
    const spec = h.swarm.spec('web-stress');
    spec.TaskTemplate!.Placement!.Constraints = ['node.role==worker', 'node.hostname!=worker-3'];
    spec.Labels = { [TEMP_CONSTRAINTS_LABEL]: JSON.stringify(['node.hostname!=worker-3']) };
    await h.manager.handleAlert(second, h.clock.now());
    await h.manager.idle();
    const during = h.swarm.updates[2]!.spec;
    expect(during.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', `node.hostname!=${from}`]);
    expect(temporaryConstraints(during)).toEqual([`node.hostname!=${from}`]);
    const after = h.swarm.spec('web-stress');
    expect(after.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(temporaryConstraints(after)).toEqual([]);
    expect(after.TaskTemplate?.ForceUpdate).toBe(0);
  });

  it("keeps a user's own node.hostname!= constraint (only the manager's are temporary)", async () => {
    const h = setup({ constraints: ['node.role==worker', 'node.hostname!=worker-1'] });
    await migrateOnce(h);
    expect(h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-1']);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-2');
  });

  it('retries on update out of sequence with a fresh inspect, applying the constraint once', async () => {
    const h = setup();
    h.swarm.outOfSequenceNext = 2;
    await migrateOnce(h);
    expect(h.named('update_retry')).toHaveLength(2);
    expect(h.named('action_started')).toHaveLength(1);
    expect(h.swarm.updates[0]!.version).toBe(12); // the version after two foreign bumps
    expect(h.swarm.updates[0]!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-3']);
    expect(h.named('action_completed')[0]).toMatchObject({ updateAttempts: 3, constraintRemoved: true });
  });

  it('gives up after update_attempts out-of-sequence answers, leaving the service untouched', async () => {
    const h = setup({ yaml: 'manager: {migration: {update_attempts: 3}}' });
    h.swarm.outOfSequenceNext = 3;
    const before = h.swarm.liveTasks('web-stress')[0]!;
    await migrateOnce(h);
    expect(h.swarm.updates).toHaveLength(0);
    expect(h.named('action_failed')[0]!.reason).toMatch(/still out of sequence after 3 attempts/);
    expect(h.swarm.liveTasks('web-stress').map((t) => t.id)).toEqual([before.id]);
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
  });

  it('reports a swarm rollback as action_failed and leaves the old task running', async () => {
    const h = setup();
    h.swarm.failNewTasks = true;
    await migrateOnce(h);
    expect(h.named('action_failed')[0]!.reason).toMatch(/swarm update rollback_completed/);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-3');
  });
});

describe('migrating one replica of many', () => {
  it('replaces only the alerting slot: the other replicas keep running, none is pinned to one node', async () => {
    const h = setup({ nodes: ['worker-1', 'worker-2', 'worker-3', 'worker-4'], on: ['worker-1', 'worker-2', 'worker-3'] });
    const before = h.swarm.liveTasks('web-stress');
    const alerting = before.find((t) => h.swarm.hostOf(t) === 'worker-2')!;
    h.manager.handleReport({ node: 'worker-4', t: h.clock.now(), containers: [] }, h.clock.now()); // an idle candidate target
    const outcome = await h.manager.handleAlert(alertOn(h.swarm, 'worker-2'), h.clock.now());
    expect(outcome).toMatchObject({ accepted: true, decision: 'migrate' });
    await h.manager.idle();

    // with several replicas the manager uses != even under least_loaded: == would move them all
    expect(h.swarm.updates[0]!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-2']);
    expect(h.swarm.updates.every((u) => (u.spec.TaskTemplate?.ForceUpdate ?? 0) === 0)).toBe(true);
    const after = h.swarm.liveTasks('web-stress');
    expect(after).toHaveLength(3);
    const others = before.filter((t) => t.id !== alerting.id).map((t) => t.id).sort();
    expect(after.filter((t) => t.id !== alerting.id && others.includes(t.id)).map((t) => t.id).sort()).toEqual(others);
    const fresh = after.find((t) => !others.includes(t.id))!;
    expect(fresh.slot).toBe(alerting.slot);
    expect(h.swarm.hostOf(fresh)).toBe('worker-4');

    expect(h.named('replacement_ready')[0]).toMatchObject({ newTaskId: fresh.id, slot: alerting.slot, toNode: 'worker-4' });
    expect(h.named('old_task_removed')[0]).toMatchObject({ taskId: alerting.id, taskState: 'shutdown' });
    expect(h.named('action_completed')[0]).toMatchObject({ fromNode: 'worker-2', toNode: 'worker-4', slot: alerting.slot, constraintRemoved: true });
    expect(h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(temporaryConstraints(h.swarm.spec('web-stress'))).toEqual([]);
  });

  it('T5 waits for the alerting slot: a replica of another slot replaced meanwhile is not the replacement', async () => {
    const h = setup({ nodes: ['worker-1', 'worker-2', 'worker-3', 'worker-4', 'worker-5'], on: ['worker-1', 'worker-2'] });
    const alert = alertOn(h.swarm, 'worker-2');
    const slot = h.swarm.liveTasks('web-stress').find((t) => t.id === alert.task)!.slot;
    // another slot's task on worker-1 was replaced (e.g. restarted by its restart policy) just before
    const svc = h.swarm.services.get('web-stress')!;
    const other = svc.tasks.find((t) => t.slot !== slot)!;
    other.state = 'failed';
    other.desiredState = 'shutdown';
    svc.tasks.push({ ...other, id: 'task9999', nodeId: 'id-worker-5', state: 'running', desiredState: 'running', containerId: 'c0ffee9999aa' });
    await h.manager.handleAlert(alert, h.clock.now());
    await h.manager.idle();
    const ready = h.named('replacement_ready')[0]!;
    expect(ready.newTaskId).not.toBe('task9999');
    expect(ready.slot).toBe(slot);
  });
});

describe('the temporary constraint never stays behind', () => {
  const clean = (h: ReturnType<typeof setup>) => {
    expect(h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(temporaryConstraints(h.swarm.spec('web-stress'))).toEqual([]);
  };

  it('failure_action pause: swarm pauses the update, the manager fails the action and removes the constraint', async () => {
    const h = setup({ yaml: 'manager: {migration: {failure_action: pause}}' });
    h.swarm.failNewTasks = true;
    await migrateOnce(h);
    const failed = h.named('action_failed')[0]!;
    expect(failed.reason).toMatch(/swarm update paused: .*; temporary constraint removed/);
    clean(h);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-3');
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
  });

  it('FailureAction rollback: swarm restored the previous spec, so nothing is left to remove', async () => {
    const h = setup();
    h.swarm.failNewTasks = true;
    await migrateOnce(h);
    expect(h.named('action_failed')[0]!.reason).toMatch(/swarm update rollback_completed: .*; temporary constraint already gone/);
    expect(h.swarm.updates).toHaveLength(1);
    clean(h);
  });

  // timeouts: migration-timeout.test.ts

  it('a clean-up that swarm refuses is logged, the action says the constraint was left behind, and the sweep removes it later', async () => {
    const h = setup({ yaml: 'manager: {migration: {failure_action: pause}}' });
    h.swarm.failNewTasks = true;
    const update = h.swarm.updateService.bind(h.swarm);
    let calls = 0;
    h.swarm.updateService = async (id, version, spec) => {
      calls += 1;
      if (calls > 1) throw new Error('(HTTP code 500) server error - rpc error: code = Unavailable desc = raft not leader');
      await update(id, version, spec);
    };
    await migrateOnce(h);
    expect(h.named('constraint_cleanup_failed')[0]!.error).toMatch(/raft not leader/);
    expect(h.named('action_failed')[0]!.reason).toMatch(/temporary constraint left behind: .*raft not leader/);
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();

    // the sweep removes it once swarm accepts updates again, without waiting for a restart
    h.swarm.updateService = update;
    await new LeftoverSweep(h.manager, h.swarm, h.clock, 30_000).tick();
    expect(h.named('reconcile_completed')[0]).toMatchObject({ removed: ['node.hostname!=worker-3'] });
    clean(h);
  });
});

describe('scale-up', () => {
  it('adds one replica per alert up to max_replicas, T5 when the new task runs', async () => {
    const h = setup({ yaml: 'scenarios: {scenario2_scaling: {scale_up_cooldown: 0, max_replicas: 3}}' });
    for (let i = 0; i < 3; i += 1) {
      await h.manager.handleAlert(alertFor(h.swarm, {}, 'scenario2_scaling'), h.clock.now());
      await h.manager.idle();
    }
    expect(h.swarm.liveTasks('web-stress')).toHaveLength(3);
    expect(h.named('replacement_ready')).toHaveLength(2);
    expect(h.named('action_completed').map((e) => e.replicas)).toEqual([2, 3]);
    expect(h.named('alert_ignored').map((e) => e.reason)).toEqual(['max_replicas']);
    expect(h.manager.scaledServices()).toEqual(['web-stress']);
    expect(h.swarm.spec('web-stress').Labels?.['swarmguard.scaled-up']).toBe('1');
  });

  it('a scale-up cooldown ignores the next alert until it ends', async () => {
    const h = setup({ yaml: 'scenarios: {scenario2_scaling: {scale_up_cooldown: 60}}' });
    await h.manager.handleAlert(alertFor(h.swarm, {}, 'scenario2_scaling'), h.clock.now());
    await h.manager.idle();
    const again = await h.manager.handleAlert(alertFor(h.swarm, {}, 'scenario2_scaling'), h.clock.now());
    expect(again).toMatchObject({ accepted: false, reason: 'cooldown' });
    h.clock.t += 60_000;
    const later = await h.manager.handleAlert(alertFor(h.swarm, {}, 'scenario2_scaling'), h.clock.now());
    expect(later).toMatchObject({ accepted: true, decision: 'scale_up' });
  });
});

describe('early stop: the hand-off of the migrated task to its agent', () => {
  /** Records, at each release, what swarm and the events said about the move at that moment. */
  function watchReleases(h: ReturnType<typeof setup>, oldTaskId: string) {
    const releases: { actionId: string; at: number; old: { state: string; desiredState: string }; ready: number; removed: number }[] = [];
    const release = h.manager.handoffs.release.bind(h.manager.handoffs);
    h.manager.handoffs.release = (actionId) => {
      const old = h.swarm.tasks('web-stress').find((t) => t.id === oldTaskId)!;
      releases.push({
        actionId,
        at: h.clock.now(),
        old: { state: old.state, desiredState: old.desiredState },
        ready: h.named('replacement_ready').length,
        removed: h.named('old_task_removed').length,
      });
      release(actionId);
    };
    return releases;
  }

  it('releases once, when the replacement is ready and swarm has ordered the still running old task to shut down', async () => {
    const h = setup();
    const old = h.swarm.liveTasks('web-stress')[0]!;
    const releases = watchReleases(h, old.id);
    const alert = alertFor(h.swarm);
    const outcome = await h.manager.handleAlert(alert, h.clock.now());
    const answer = h.manager.handoffs.wait(outcome.actionId!, 30_000);
    expect(answer).toBeDefined(); // begun before handleAlert's 202: the agent asks right after it
    await h.manager.idle();

    expect(releases).toEqual([{ actionId: outcome.actionId, at: expect.any(Number), old: { state: 'running', desiredState: 'shutdown' }, ready: 1, removed: 0 }]);
    expect(releases[0]!.at).toBe(h.named('replacement_ready')[0]!.t);
    expect(h.swarm.shutdownOrders).toEqual([{ taskId: old.id, at: releases[0]!.at, by: 'retired' }]);
    // the container as the alert named it: the agent matches it against its full id
    expect(alert.container).toBe(old.containerId!.slice(0, 12));
    expect(await answer).toEqual({ release: true, container: alert.container, task: old.id, node: 'worker-3', t: releases[0]!.at });
    expect(h.named('action_completed')).toHaveLength(1);
    // a late question still learns the release
    expect(await h.manager.handoffs.wait(outcome.actionId!, 30_000)).toMatchObject({ release: true, task: old.id });
  });

  it('never releases with early_stop false: no hand-off is begun', async () => {
    const h = setup({ yaml: 'manager: {migration: {early_stop: false}}' });
    const old = h.swarm.liveTasks('web-stress')[0]!;
    const releases = watchReleases(h, old.id);
    const outcome = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    await h.manager.idle();
    expect(h.named('action_completed')).toHaveLength(1);
    expect(releases).toEqual([]);
    expect(h.manager.handoffs.wait(outcome.actionId!, 30_000)).toBeUndefined();
    expect(h.manager.handoffs.size).toBe(0);
  });

  it('does not release an old task first seen already shut down (a poll slower than its stop): the question learns why', async () => {
    const h = setup({ yaml: 'manager: {migration: {poll_interval_ms: 500}}' });
    const old = h.swarm.liveTasks('web-stress')[0]!;
    const releases = watchReleases(h, old.id);
    const outcome = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    const answer = h.manager.handoffs.wait(outcome.actionId!, 30_000);
    await h.manager.idle();
    expect(h.named('old_task_removed')[0]).toMatchObject({ taskState: 'shutdown', beforeReplacement: false });
    expect(releases).toEqual([]);
    expect(await answer).toEqual({ release: false, reason: 'the old task is already shut down' });
  });

  it('a failed migration ends the hand-off: the waiting question gets release:false with the failure, and no release follows', async () => {
    const h = setup();
    h.swarm.failNewTasks = true;
    const old = h.swarm.liveTasks('web-stress')[0]!;
    const releases = watchReleases(h, old.id);
    const outcome = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    const answer = h.manager.handoffs.wait(outcome.actionId!, 30_000);
    await h.manager.idle();
    expect(h.named('action_failed')).toHaveLength(1);
    expect(releases).toEqual([]);
    expect(await answer).toEqual({ release: false, reason: expect.stringMatching(/^migration failed: swarm update rollback_completed: /) });
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-3');
  });

  it('a migration that fails before its update (swarm refuses it) ends the hand-off too', async () => {
    const h = setup({ yaml: 'manager: {migration: {update_attempts: 1}}' });
    h.swarm.outOfSequenceNext = 1;
    const outcome = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    const answer = h.manager.handoffs.wait(outcome.actionId!, 30_000);
    await h.manager.idle();
    expect(h.swarm.updates).toHaveLength(0);
    expect(await answer).toEqual({ release: false, reason: expect.stringMatching(/^migration failed: .*out of sequence/) });
  });
});
