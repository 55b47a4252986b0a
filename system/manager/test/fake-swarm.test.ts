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

  it('a rollback restores the previous spec; FailureAction pause keeps the new spec; FailureAction rollback restores the old one', async () => {
    const { swarm, clock, update } = swarmOf3();
    swarm.startMs = 600_000;
    swarm.slotOrder = 'oldest-first';
    await update((spec) => spec.TaskTemplate!.Placement!.Constraints!.push('node.hostname!=worker-2'));
    expect((await swarm.inspectService('web-stress')).updateState).toBe('updating');
    swarm.rollback('web-stress');
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
    expect(rolled.placed()).toEqual(['1@worker-1', '2@worker-2', '3@worker-3']);
  });
});

describe('FakeSwarm: an update while a start-first replacement has not started (the race seen on the lab)', () => {
  /** Slot 2 moves off worker-2 (its replacement on worker-4 stays `starting`); returns the slot's two tasks. */
  async function replacementStarting(order: 'newest-first' | 'oldest-first') {
    const s = swarmOf3();
    s.swarm.slotOrder = order;
    s.swarm.startMs = 600_000;
    const original = s.swarm.liveTasks('web-stress').find((t) => s.swarm.hostOf(t) === 'worker-2')!;
    await s.update((spec) => spec.TaskTemplate!.Placement!.Constraints!.push('node.hostname!=worker-2'));
    const replacement = s.swarm.tasks('web-stress').find((t) => t.slot === original.slot && t.id !== original.id)!;
    expect(replacement).toMatchObject({ state: 'starting', desiredState: 'running' });
    return { ...s, original, replacement };
  }

  it.each(['rollback', 'relax'] as const)('a %s can keep the replacement and stop the running original at once (both fit the old placement)', async (how) => {
    const { swarm, clock, update, original, replacement } = await replacementStarting('newest-first');
    if (how === 'rollback') swarm.rollback('web-stress');
    else await update((spec) => (spec.TaskTemplate!.Placement!.Constraints = ['node.role==worker']));
    expect(swarm.shutdownOrders).toEqual([{ taskId: original.id, at: expect.any(Number), by: 'slot_resolved' }]);
    clock.t += 1_000_000; // the replacement's node comes back, and it starts
    expect(swarm.liveTasks('web-stress').find((t) => t.slot === original.slot)!.id).toBe(replacement.id);
  });

  it('excluding the replacement\'s node makes it the dirty one: swarm keeps the original, whatever the order', async () => {
    for (const order of ['newest-first', 'oldest-first'] as const) {
      const { swarm, clock, update, original, replacement } = await replacementStarting(order);
      await update((spec) => (spec.TaskTemplate!.Placement!.Constraints = ['node.role==worker', 'node.id!=id-worker-4']));
      await update((spec) => (spec.TaskTemplate!.Placement!.Constraints = ['node.role==worker']));
      clock.t += 1_000_000;
      expect(swarm.shutdownOrders).toEqual([{ taskId: replacement.id, at: expect.any(Number), by: 'slot_resolved' }]);
      expect(swarm.liveTasks('web-stress').find((t) => t.slot === original.slot)!.id).toBe(original.id);
    }
  });

  it('a replacement without a node is dirty under any changed placement: the original stays', async () => {
    const s = swarmOf3();
    const original = s.swarm.liveTasks('web-stress').find((t) => s.swarm.hostOf(t) === 'worker-2')!;
    s.swarm.nodes = s.swarm.nodes.filter((n) => n.hostname !== 'worker-4'); // no node left for it
    await s.update((spec) => spec.TaskTemplate!.Placement!.Constraints!.push('node.hostname!=worker-2'));
    expect(s.swarm.tasks('web-stress').find((t) => t.slot === original.slot && t.id !== original.id)).toMatchObject({ state: 'pending', nodeId: '' });
    await s.update((spec) => (spec.TaskTemplate!.Placement!.Constraints = ['node.role==worker']));
    expect(s.swarm.shutdownOrders.map((o) => o.taskId)).not.toContain(original.id);
    expect(s.placed()).toEqual(['1@worker-1', '2@worker-2', '3@worker-3']);
  });
});
