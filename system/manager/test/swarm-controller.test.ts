import { describe, expect, it } from 'vitest';
import { TEMP_CONSTRAINTS_LABEL, temporaryConstraints } from '../src/placement.ts';
import { alertFor, setup } from './helpers.ts';

/** Sends one migration alert through the manager and waits for the action to finish. */
async function migrateOnce(h: ReturnType<typeof setup>) {
  const outcome = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
  await h.manager.idle();
  return outcome;
}

describe('migration', () => {
  it('moves the task off the alerting node with a start-first forced update, then removes the constraint', async () => {
    const h = setup();
    const outcome = await migrateOnce(h);
    expect(outcome).toMatchObject({ accepted: true, decision: 'migrate' });

    const [first, relax] = h.swarm.updates;
    expect(h.swarm.updates).toHaveLength(2);
    expect(first!.spec.TaskTemplate?.ForceUpdate).toBe(1);
    expect(first!.spec.UpdateConfig).toMatchObject({ Parallelism: 1, Delay: 0, Order: 'start-first', FailureAction: 'rollback' });
    expect(first!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-3']);
    expect(first!.version).toBe(10);
    // the relaxing update keeps ForceUpdate: it must not restart the new task
    expect(relax!.spec.TaskTemplate?.ForceUpdate).toBe(1);
    expect(relax!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(relax!.spec.Labels?.[TEMP_CONSTRAINTS_LABEL]).toBeUndefined();

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
    expect(after.TaskTemplate?.ForceUpdate).toBe(2);
  });

  it("keeps a user's own node.hostname!= constraint (only the manager's are temporary)", async () => {
    const h = setup({ constraints: ['node.role==worker', 'node.hostname!=worker-1'] });
    await migrateOnce(h);
    expect(h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-1']);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-2');
  });

  it('retries on update out of sequence with a fresh inspect, bumping ForceUpdate once', async () => {
    const h = setup();
    h.swarm.outOfSequenceNext = 2;
    await migrateOnce(h);
    expect(h.named('update_retry')).toHaveLength(2);
    expect(h.named('action_started')).toHaveLength(1);
    expect(h.swarm.updates[0]!.version).toBe(12); // the version after two foreign bumps
    expect(h.swarm.updates[0]!.spec.TaskTemplate?.ForceUpdate).toBe(1);
    expect(h.named('action_completed')[0]).toMatchObject({ updateAttempts: 3 });
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

  it('times out with the measured time and the limit when the replacement never runs, and rolls back', async () => {
    const h = setup({ yaml: 'manager: {migration: {timeout: 5}}' });
    h.swarm.startMs = 600_000; // e.g. an image pull that takes forever
    const outcome = await migrateOnce(h);
    expect(outcome).toMatchObject({ accepted: true });
    const failed = h.named('action_failed')[0]!;
    expect(failed.reason).toMatch(/timeout: no healthy task on another node after 5\d{3} ms \(limit 5000 ms\); rollback requested/);
    expect(h.swarm.rollbacks).toHaveLength(1);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-3'); // still serving
    expect(h.named('replacement_ready')).toHaveLength(0);
    // failure also starts the cooldown, so a failing migration is not retried in a tight loop
    expect(h.manager.ledger.cooldownUntil('web-stress').migrate).toBeGreaterThan(h.clock.now());
  });

  it('reports a swarm rollback as action_failed and leaves the old task running', async () => {
    const h = setup();
    h.swarm.failNewTasks = true;
    await migrateOnce(h);
    expect(h.named('action_failed')[0]!.reason).toMatch(/swarm update rollback_completed/);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-3');
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
    expect(h.manager.ledger.scaledServices.has('web-stress')).toBe(true);
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
