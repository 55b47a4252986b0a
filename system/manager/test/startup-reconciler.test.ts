import { describe, expect, it } from 'vitest';
import { TEMP_CONSTRAINTS_LABEL, withTemporaryConstraints } from '../src/placement.ts';
import { reconcileOnStart } from '../src/startup-reconciler.ts';
import { alertFor, setup } from './helpers.ts';

/** What a manager killed right after T4 leaves behind: the migration's forced update, with its constraint. */
async function crashedMigration(h: ReturnType<typeof setup>, to: string) {
  const svc = await h.swarm.inspectService('web-stress');
  const spec = withTemporaryConstraints(svc.spec, [`node.hostname==${to}`]);
  spec.TaskTemplate = { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate?.ForceUpdate ?? 0) + 1 };
  await h.swarm.updateService(svc.id, svc.version, spec);
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
    expect(relax.TaskTemplate?.ForceUpdate).toBe(1); // the crashed update's, not one more
    expect(relax.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(relax.Labels?.[TEMP_CONSTRAINTS_LABEL]).toBeUndefined();
    const live = h.swarm.liveTasks('web-stress');
    expect(live.map((t) => h.swarm.hostOf(t))).toEqual(['worker-1']);
    expect(h.named('reconcile_started')[0]).toMatchObject({ service: 'web-stress', constraints: ['node.hostname==worker-1'], updateState: 'updating' });
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

  it('a rollout that never ends: the hold is released after the migration timeout and the failure logged', async () => {
    const h = setup({ yaml: 'manager: {migration: {timeout: 5}}' });
    h.swarm.startMs = 3_600_000;
    await crashedMigration(h, 'worker-1');
    await h.manager.inventory.refresh();
    await reconcileOnStart(h.manager, h.swarm, h.clock);
    expect(h.named('action_failed')[0]!.reason).toMatch(/still updating after \d+ ms \(limit 5000 ms\)/);
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
  });
});
