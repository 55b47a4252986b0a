import { describe, expect, it } from 'vitest';
import { ACTION_LABEL, TEMP_CONSTRAINTS_LABEL, withTemporaryConstraints } from '../src/placement.ts';
import { EventLogger } from '../../shared/event-logger.ts';
import { RecoveryManager } from '../src/recovery-manager.ts';
import { ScaleDownLoop } from '../src/scale-down-loop.ts';
import { reconcileOnStart } from '../src/startup-reconciler.ts';
import { SCALED_UP_LABEL } from '../src/swarm-labels.ts';
import { alertFor, setup, silent, testConfig } from './helpers.ts';

/** What a manager killed right after T4 leaves behind: the migration's update, with its temporary constraint. */
async function crashedMigration(h: ReturnType<typeof setup>, to: string) {
  const svc = await h.swarm.inspectService('web-stress');
  await h.swarm.updateService(svc.id, svc.version, withTemporaryConstraints(svc.spec, [`node.hostname==${to}`], 'migrate-killed-1'));
}

describe('start-up reconciliation after a manager died mid-migration', () => {
  it('holds the service while the rollout runs, then removes the temporary constraint without a forced update', async () => {
    const h = setup(); // web-stress on worker-3
    const stale = alertFor(h.swarm); // the alert of the interrupted migration, re-sent by the agent
    await crashedMigration(h, 'worker-1');
    expect((await h.swarm.inspectService('web-stress')).updateState).toBe('updating');

    await h.manager.inventory.refresh(); // what the fresh manager does first
    const done = reconcileOnStart(h.manager, h.swarm, h.clock);
    const during = await h.manager.handleAlert({ ...stale, id: `${stale.id}-again`, t1: h.clock.now() }, h.clock.now());
    expect(during).toMatchObject({ accepted: false, reason: 'locked' });
    await done;

    expect(h.swarm.updates).toHaveLength(2);
    const relax = h.swarm.updates[1]!.spec;
    expect(relax.TaskTemplate?.ForceUpdate).toBe(0); // relaxing forces nothing
    expect(relax.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(relax.Labels?.[TEMP_CONSTRAINTS_LABEL]).toBeUndefined();
    expect(relax.Labels?.[ACTION_LABEL]).toBeUndefined();
    const live = h.swarm.liveTasks('web-stress');
    expect(live.map((t) => h.swarm.hostOf(t))).toEqual(['worker-1']);
    // the interrupted migration is named by its own id, read back from the service
    expect(h.named('reconcile_started')[0]).toMatchObject({ service: 'web-stress', interruptedActionId: 'migrate-killed-1', constraints: ['node.hostname==worker-1'], updateState: 'updating' });
    expect(h.named('reconcile_completed')[0]).toMatchObject({ service: 'web-stress', removed: ['node.hostname==worker-1'], updateState: 'completed' });
    expect(h.named('reconcile_completed')[0]!.waitedMs).toBeGreaterThanOrEqual(h.swarm.startMs);
    expect(h.named('action_failed')).toHaveLength(0);

    // the same stress alerting again after the clean-up does not start a second move
    const after = await h.manager.handleAlert({ ...stale, id: `${stale.id}-late`, t1: h.clock.now() }, h.clock.now());
    expect(after.accepted).toBe(false);
    expect(h.named('action_started')).toHaveLength(0);
    expect(h.swarm.updates).toHaveLength(2);
  });

  it('a rollout already completed: the constraint goes at once; migration cooldown applies afterwards', async () => {
    const h = setup();
    await crashedMigration(h, 'worker-2');
    h.clock.t += 10_000;
    await h.manager.inventory.refresh();
    await reconcileOnStart(h.manager, h.swarm, h.clock);
    expect(h.named('reconcile_completed')[0]).toMatchObject({ updateState: 'completed', waitedMs: 0, removed: ['node.hostname==worker-2'] });
    expect(h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    // a fresh alert on the moved task (a new stress) within the cooldown is not acted on either
    const fresh = await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    expect(fresh).toMatchObject({ accepted: false, reason: expect.stringMatching(/cooldown|waiting_breach/) });
  });

  it('nothing left behind: no update, no event, no hold', async () => {
    const h = setup();
    await h.manager.inventory.refresh();
    await reconcileOnStart(h.manager, h.swarm, h.clock);
    expect(h.swarm.updates).toHaveLength(0);
    expect(h.named('reconcile_started')).toHaveLength(0);
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
  });

  it('a rollout that never ends: after the migration timeout the replacement is withdrawn, the constraint removed, the hold released and the failure logged', async () => {
    const h = setup({ yaml: 'manager: {migration: {timeout: 5}}' });
    h.swarm.startMs = 3_600_000;
    const original = h.swarm.liveTasks('web-stress')[0]!;
    await crashedMigration(h, 'worker-1');
    await h.manager.inventory.refresh();
    await reconcileOnStart(h.manager, h.swarm, h.clock);
    // removing the constraint while the replacement on worker-1 still starts could keep it and stop the original
    expect(h.named('action_failed')[0]!.reason).toMatch(
      /still updating after \d+ ms \(limit 5000 ms\); replacement task\d+ not running yet beside task\d+: withdrawn by excluding node\.id!=id-worker-1 .*; temporary constraint removed$/,
    );
    expect(h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(h.swarm.spec('web-stress').Labels?.[TEMP_CONSTRAINTS_LABEL]).toBeUndefined();
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
    expect(h.swarm.shutdownOrders.map((o) => o.taskId)).not.toContain(original.id);
    h.clock.t += 7_200_000;
    expect(h.swarm.liveTasks('web-stress').map((t) => t.id)).toEqual([original.id]);
  });

  it('a Docker call failing during the wait: the constraint is still removed', async () => {
    const h = setup();
    h.swarm.startMs = 3_600_000;
    await crashedMigration(h, 'worker-1');
    await h.manager.inventory.refresh();
    const inspect = h.swarm.inspectService.bind(h.swarm);
    let calls = 0;
    h.swarm.inspectService = async (name) => {
      calls += 1;
      if (calls === 2) throw new Error('docker call inspectService(web-stress) got no answer after 10001 ms (limit 10000 ms)');
      return inspect(name);
    };
    await reconcileOnStart(h.manager, h.swarm, h.clock);
    expect(h.named('action_failed')[0]!.reason).toMatch(/got no answer after 10001 ms .*; temporary constraint removed/);
    expect(h.swarm.spec('web-stress').Labels?.[TEMP_CONSTRAINTS_LABEL]).toBeUndefined();
  });
});

describe('start-up after a manager died with replicas scaled up', () => {
  it('the scale-up is recorded on the service, so a new manager (manager.services unset) scales it back down', async () => {
    const yaml = 'scenarios: {scenario2_scaling: {scale_up_cooldown: 0, scale_down_cooldown: 5}}';
    const first = setup({ yaml });
    for (let i = 0; i < 2; i += 1) {
      await first.manager.handleAlert(alertFor(first.swarm, {}, 'scenario2_scaling'), first.clock.now());
      await first.manager.idle();
    }
    expect(first.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(3);
    expect(first.swarm.spec('web-stress').Labels?.[SCALED_UP_LABEL]).toBe('1'); // the count before the first scale-up

    // the manager dies; a new one starts over the same swarm, with an empty memory
    const events = new EventLogger('manager', 'manager-1', silent, 100_000);
    const config = testConfig(yaml);
    const manager = new RecoveryManager({ port: first.swarm, clock: first.clock, events, config: () => config });
    const loop = new ScaleDownLoop(manager, first.clock);
    await manager.inventory.refresh();
    await reconcileOnStart(manager, first.swarm, first.clock);
    expect(events.since(0).filter((e) => e.event === 'scale_down_resumed')).toEqual([expect.objectContaining({ service: 'web-stress', originalReplicas: 1, replicas: 3 })]);
    expect(manager.state().scaledServices).toEqual(['web-stress']);

    for (let s = 0; s < 30; s += 1) {
      for (const task of first.swarm.liveTasks('web-stress')) {
        const entry = { service: 'web-stress', container: task.containerId!.slice(0, 12), task: task.id, m: { cpu: 5, mem: 5, mem_mb: 10, net: 0, rx: 0, tx: 0 } };
        manager.handleReport({ node: first.swarm.hostOf(task)!, t: first.clock.now(), containers: [entry] }, first.clock.now());
      }
      await loop.tick();
      first.clock.t += 1000;
    }
    expect(first.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(1);
    // back at the original count: the label goes, and the service is no longer watched
    expect(first.swarm.spec('web-stress').Labels?.[SCALED_UP_LABEL]).toBeUndefined();
    expect(manager.scaledServices()).toEqual([]);
  });
});
