import { describe, expect, it } from 'vitest';
import { DeadlineSwarmPort } from '../src/deadline-swarm-port.ts';
import { LeftoverSweep } from '../src/leftover-sweep.ts';
import { temporaryConstraints } from '../src/placement.ts';
import type { ServiceSpec } from '../src/swarm-port.ts';
import { FakeSwarm } from './fake-swarm.ts';
import { alertOn, setup } from './helpers.ts';

/**
 * The migration timeout path. On the lab (Docker 20.10, host-mode publishing, start-first), a
 * worker's dockerd frozen while swarm started the replacement on it kept the replacement `starting`
 * past the deadline; the rollback the manager then asked for made swarm keep the replacement and
 * stop the running original (16 failed probes). The fake swarm resolves slots the same way
 * (`slotOrder` newest-first is that unlucky draw), so these tests fail if the manager rolls back or
 * relaxes the placement while such a replacement is pending.
 */

const SLOW = 600_000; // the replacement does not start within the 5 s timeout (a frozen worker dockerd)
const YAML = 'manager: {migration: {timeout: 5}}';

type Harness = ReturnType<typeof setup>;

function expectNoTemporaryConstraint(h: Harness) {
  expect(h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
  expect(temporaryConstraints(h.swarm.spec('web-stress'))).toEqual([]);
}

/** The tasks were never told to stop, and are still the ones serving once any left-over replacement would have started. */
function expectUntouched(h: Harness, ids: string[]) {
  expect(h.swarm.shutdownOrders.filter((o) => ids.includes(o.taskId))).toEqual([]);
  h.clock.t += 2 * SLOW;
  expect(h.swarm.liveTasks('web-stress').map((t) => t.id).sort()).toEqual([...ids].sort());
}

async function migrate(h: Harness, from: string) {
  await h.manager.handleAlert(alertOn(h.swarm, from), h.clock.now());
  await h.manager.idle();
  return h.named('action_failed')[0]!;
}

const constraintsOf = (spec: ServiceSpec) => spec.TaskTemplate?.Placement?.Constraints;

describe('migration timeout: a replacement still starting at the deadline', () => {
  it.each(['newest-first', 'oldest-first'] as const)(
    'is withdrawn before the placement is restored, so the original never stops (swarm meets a slot %s)',
    async (order) => {
      const h = setup({ yaml: YAML });
      h.swarm.startMs = SLOW;
      h.swarm.slotOrder = order;
      const original = h.swarm.liveTasks('web-stress')[0]!;
      const failed = await migrate(h, 'worker-3');

      const replacement = h.swarm.tasks('web-stress').find((t) => t.id !== original.id)!;
      expect(h.swarm.hostOf(replacement)).toBe('worker-1');
      expect(failed.reason).toMatch(/^timeout: no healthy task on another node after 5\d{3} ms \(limit 5000 ms\), update updating; /);
      expect(failed.reason).toContain(
        `replacement ${replacement.id} not running yet beside ${original.id}: withdrawn by excluding node.id!=id-worker-1 before the placement ` +
          `was restored, because a rollback or a plain relax could have kept the replacement and stopped the running task; ` +
          `${original.id} still running; temporary constraint removed`,
      );
      expect(failed.cleanup).toMatchObject({ withdrawn: [replacement.id], kept: [original.id], excluded: ['node.id!=id-worker-1'], keptRunning: true });
      // the migration, the exclusion that withdraws the replacement, the placement restored; nothing forced
      expect(h.swarm.updates.map((u) => constraintsOf(u.spec))).toEqual([
        ['node.role==worker', 'node.hostname!=worker-3'],
        ['node.role==worker', 'node.id!=id-worker-1'],
        ['node.role==worker'],
      ]);
      expect(h.swarm.updates.every((u) => (u.spec.TaskTemplate?.ForceUpdate ?? 0) === 0)).toBe(true);
      // the exclusion is a temporary constraint like the migration's: a manager dying here leaves it to the sweep
      expect(temporaryConstraints(h.swarm.updates[1]!.spec)).toEqual(['node.id!=id-worker-1']);
      expect(h.swarm.shutdownOrders).toEqual([{ taskId: replacement.id, at: expect.any(Number), by: 'slot_resolved' }]);
      expectNoTemporaryConstraint(h);
      expect(h.manager.ledger.current('web-stress')).toBeUndefined();
      expect(h.manager.ledger.cooldownUntil('web-stress').migrate).toBeGreaterThan(h.clock.now());
      expect(h.named('replacement_ready')).toHaveLength(0);

      // the frozen node resumes: the replacement never starts, the original keeps serving
      expectUntouched(h, [original.id]);
      expect(h.swarm.tasks('web-stress').find((t) => t.id === replacement.id)).toMatchObject({ state: 'shutdown', desiredState: 'shutdown' });
    },
  );

  it('with three replicas: only the alerting slot had a replacement, and none of the three originals is touched', async () => {
    const h = setup({ yaml: YAML, nodes: ['worker-1', 'worker-2', 'worker-3', 'worker-4'], on: ['worker-1', 'worker-2', 'worker-3'] });
    h.swarm.startMs = SLOW;
    const originals = h.swarm.liveTasks('web-stress').map((t) => t.id);
    const failed = await migrate(h, 'worker-2');
    expect(failed.reason).toMatch(/withdrawn by excluding node\.id!=id-worker-4 .*; temporary constraint removed$/);
    expect(h.swarm.updates.map((u) => constraintsOf(u.spec))[1]).toEqual(['node.role==worker', 'node.id!=id-worker-4']);
    expectNoTemporaryConstraint(h);
    expectUntouched(h, originals);
  });
});

describe('migration timeout: the update already left `updating` at the deadline', () => {
  it('status dropped (a newer spec superseded it) while the replacement still starts: withdrawn, constraint removed', async () => {
    const h = setup({ yaml: YAML });
    h.swarm.startMs = SLOW;
    const original = h.swarm.liveTasks('web-stress')[0]!;
    const update = h.swarm.updateService.bind(h.swarm);
    h.swarm.updateService = async (id, version, spec) => {
      await update(id, version, spec);
      h.swarm.services.get('web-stress')!.updateState = undefined;
    };
    const failed = await migrate(h, 'worker-3');
    expect(failed.reason).toMatch(/after 5\d{3} ms \(limit 5000 ms\), update status unknown; replacement task\d+ not running yet .*: withdrawn .*; temporary constraint removed$/);
    expectNoTemporaryConstraint(h);
    expectUntouched(h, [original.id]);
  });

  it('paused (another task of the update failed) while the replacement still starts: withdrawn, constraint removed', async () => {
    const h = setup({ yaml: 'manager: {migration: {timeout: 5, failure_action: pause}}' });
    h.swarm.startMs = SLOW;
    const original = h.swarm.liveTasks('web-stress')[0]!;
    const update = h.swarm.updateService.bind(h.swarm);
    h.swarm.updateService = async (id, version, spec) => {
      await update(id, version, spec);
      const svc = h.swarm.services.get('web-stress')!;
      if (svc.updateState === 'updating') Object.assign(svc, { updateState: 'paused', updateMessage: 'update paused due to failure or early termination of task' });
    };
    const failed = await migrate(h, 'worker-3');
    expect(failed.reason).toMatch(/^swarm update paused: update paused due to failure .*; replacement task\d+ not running yet .*: withdrawn .*; temporary constraint removed$/);
    expectNoTemporaryConstraint(h);
    expectUntouched(h, [original.id]);
  });

  it('rolled back by swarm (its FailureAction): nothing pending, the previous spec is back, no update of ours', async () => {
    const h = setup({ yaml: YAML });
    h.swarm.failNewTasks = true;
    const original = h.swarm.liveTasks('web-stress')[0]!;
    const failed = await migrate(h, 'worker-3');
    expect(failed.reason).toMatch(/^swarm update rollback_completed: .*; temporary constraint already gone/);
    expect(h.swarm.updates).toHaveLength(1);
    expectNoTemporaryConstraint(h);
    expectUntouched(h, [original.id]);
  });
});

describe('migration timeout: a Docker call hangs during the clean-up', () => {
  /** A manager whose Docker calls have a 100 ms deadline (real time; the clock is virtual). */
  const hung = () =>
    setup({ yaml: 'manager: {docker_call_timeout_ms: 100, migration: {timeout: 5}}', port: (swarm: FakeSwarm) => new DeadlineSwarmPort(swarm, () => 100) });

  it('the withdrawal update hangs: bounded by the call deadline, the constraint is left (said why), the lock released; the sweep finishes safely', async () => {
    const h = hung();
    h.swarm.startMs = SLOW;
    const original = h.swarm.liveTasks('web-stress')[0]!;
    const update = h.swarm.updateService.bind(h.swarm);
    h.swarm.updateService = async (id, version, spec) => {
      await update(id, version, spec);
      h.swarm.hang.add('updateService'); // dockerd stops answering after the migration's update
    };
    const started = Date.now();
    const failed = await migrate(h, 'worker-3');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(failed.reason).toMatch(
      /^timeout: .*; replacement task\d+ not running yet beside task\d+; temporary constraint left behind: update of web-stress failed on attempt 1: docker call updateService\(web-stress, version \d+\) got no answer after \d+ ms \(limit 100 ms\) \(the replacement could not be withdrawn, and relaxing the placement could stop the task it shares its slot with; the leftover sweep retries\)$/,
    );
    expect(failed.cleanup).toMatchObject({ call: expect.stringMatching(/^updateService/), limitMs: 100, excluded: ['node.id!=id-worker-1'] });
    expect(h.named('constraint_cleanup_failed')).toHaveLength(1);
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
    expect(temporaryConstraints(h.swarm.spec('web-stress'))).toEqual(['node.hostname!=worker-3']);
    expect(h.swarm.shutdownOrders).toEqual([]);

    // dockerd answers again: the sweep waits out the rollout, then withdraws before it relaxes
    h.swarm.hang.clear();
    h.swarm.updateService = update;
    await new LeftoverSweep(h.manager, h.swarm, h.clock, 30_000).tick();
    expect(h.named('action_failed')[1]!.reason).toMatch(/^reconcile: update of web-stress still updating after \d+ ms \(limit 5000 ms\); replacement .*: withdrawn .*; temporary constraint removed$/);
    expectNoTemporaryConstraint(h);
    expectUntouched(h, [original.id]);
  });

  it('listing the tasks hangs at the deadline: nothing is relaxed blind, the failure names the call, the lock is released', async () => {
    const h = hung();
    h.swarm.startMs = SLOW;
    const original = h.swarm.liveTasks('web-stress')[0]!;
    const list = h.swarm.listTasks.bind(h.swarm);
    const hangFrom = h.clock.now() + 4_000;
    h.swarm.listTasks = async (service) => {
      if (h.clock.now() >= hangFrom) h.swarm.hang.add('listTasks');
      return list(service);
    };
    const started = Date.now();
    const failed = await migrate(h, 'worker-3');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(failed).toMatchObject({ call: 'listTasks(web-stress)', limitMs: 100 });
    expect(failed.reason).toMatch(
      /temporary constraint left behind: docker call listTasks\(web-stress\) got no answer after \d+ ms \(limit 100 ms\) \(the tasks could not be read, and relaxing the placement blind could stop a running task; the leftover sweep retries\)$/,
    );
    expect(h.manager.ledger.current('web-stress')).toBeUndefined();
    expect(h.swarm.updates).toHaveLength(1);
    expect(h.swarm.shutdownOrders).toEqual([]);
    expect(h.swarm.liveTasks('web-stress').map((t) => t.id)).toEqual([original.id]);
  });
});
