import { describe, expect, it } from 'vitest';
import { FakeClock, FakeSwarm, node } from './fake-swarm.ts';

/** Three replicas of web-stress on worker-1..3, worker-4 free; tasks settled after each update. */
function swarmOf3() {
  const clock = new FakeClock();
  const swarm = new FakeSwarm(clock, ['worker-1', 'worker-2', 'worker-3', 'worker-4'].map((w) => node(w)));
  swarm.addService('web-stress', { replicas: 3, on: ['worker-1', 'worker-2', 'worker-3'], constraints: ['node.role==worker'] });
  const update = async (change: (spec: ReturnType<FakeSwarm['spec']>) => void) => {
    const svc = await swarm.inspectService('web-stress');
    change(svc.spec);
    await swarm.updateService(svc.id, svc.version, svc.spec);
    clock.t += 10_000;
  };
  const placed = () => swarm.liveTasks('web-stress').map((t) => `${t.slot}@${swarm.hostOf(t)}`).sort();
  return { clock, swarm, update, placed };
}

describe('FakeSwarm models which tasks an update replaces (Docker 20.10)', () => {
  it('a placement-only change replaces only the task whose node violates it, in the same slot', async () => {
    const { swarm, update, placed } = swarmOf3();
    const before = swarm.liveTasks('web-stress').map((t) => t.id);
    await update((spec) => spec.TaskTemplate!.Placement!.Constraints!.push('node.hostname!=worker-2'));
    expect(placed()).toEqual(['1@worker-1', '2@worker-4', '3@worker-3']);
    const after = swarm.liveTasks('web-stress').map((t) => t.id);
    expect(after.filter((id) => before.includes(id))).toHaveLength(2);
    // relaxing it again restarts nothing
    await update((spec) => (spec.TaskTemplate!.Placement!.Constraints = ['node.role==worker']));
    expect(swarm.liveTasks('web-stress').map((t) => t.id)).toEqual(after);
  });

  it('a ForceUpdate bump replaces every replica', async () => {
    const { swarm, update } = swarmOf3();
    swarm.nodes.push(node('worker-5'), node('worker-6'));
    const before = swarm.liveTasks('web-stress').map((t) => t.id);
    await update((spec) => (spec.TaskTemplate!.ForceUpdate = 1));
    expect(swarm.liveTasks('web-stress').filter((t) => before.includes(t.id))).toEqual([]);
    expect(swarm.liveTasks('web-stress')).toHaveLength(3);
  });

  it('rollback=previous restores the previous spec and keeps the old tasks; FailureAction pause keeps the new spec', async () => {
    const { swarm, clock, update } = swarmOf3();
    swarm.startMs = 600_000;
    await update((spec) => spec.TaskTemplate!.Placement!.Constraints!.push('node.hostname!=worker-2'));
    const svc = await swarm.inspectService('web-stress');
    expect(svc.updateState).toBe('updating');
    await swarm.rollbackService(svc.id, svc.version, svc.spec);
    expect(swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
    clock.t += 1_000_000;
    expect(swarm.liveTasks('web-stress').map((t) => swarm.hostOf(t)).sort()).toEqual(['worker-1', 'worker-2', 'worker-3']);

    const paused = swarmOf3();
    paused.swarm.failNewTasks = true;
    await paused.update((spec) => {
      spec.UpdateConfig = { FailureAction: 'pause' };
      spec.TaskTemplate!.Placement!.Constraints!.push('node.hostname!=worker-2');
    });
    expect((await paused.swarm.inspectService('web-stress')).updateState).toBe('paused');
    expect(paused.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toContain('node.hostname!=worker-2');
    expect(paused.placed()).toEqual(['1@worker-1', '2@worker-2', '3@worker-3']);

    const rolled = swarmOf3();
    rolled.swarm.failNewTasks = true;
    await rolled.update((spec) => {
      spec.UpdateConfig = { FailureAction: 'rollback' };
      spec.TaskTemplate!.Placement!.Constraints!.push('node.hostname!=worker-2');
    });
    expect((await rolled.swarm.inspectService('web-stress')).updateState).toBe('rollback_completed');
    expect(rolled.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker']);
  });
});
