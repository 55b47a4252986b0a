import { describe, expect, it } from 'vitest';
import { FakeLab } from '../../cluster/fake-lab.ts';
import type { ServiceView, SwarmTask } from '../../cluster/types.ts';
import { swarmChanges, swarmSnapshot, waitSwarmSettled } from './swarm-snapshot.ts';

const service = (id: string, name: string, version: number, updateState?: string): ServiceView => ({
  id, name, version, replicas: 1, constraints: [], forceUpdate: 0, image: '', env: [], labels: {}, ...(updateState ? { updateState } : {}),
});
const task = (id: string, serviceId: string, desiredState = 'running'): SwarmTask => ({ id, serviceId, nodeId: 'n1', desiredState, state: desiredState, createdAt: '' });

function lab(): FakeLab {
  return new FakeLab({
    nodes: [{ id: 'n1', hostname: 'worker-1', state: 'ready', availability: 'active' }],
    services: [service('s1', 'web-stress', 120), service('s2', 'swarmguard-manager', 7)],
    tasks: [task('t2', 's1'), task('t1', 's1'), task('t0', 's1', 'shutdown'), task('m1', 's2')],
  });
}

describe('swarmSnapshot and swarmChanges', () => {
  it('sees the tasks swarm wants running, by service name and sorted, and no change between two looks', async () => {
    const swarm = lab();
    const before = await swarmSnapshot(swarm);
    expect(before).toEqual({ services: { 'web-stress': 120, 'swarmguard-manager': 7 }, tasks: { 'web-stress': ['t1', 't2'], 'swarmguard-manager': ['m1'] }, nodes: { 'worker-1': 'ready/active' } });
    expect(swarmChanges(before, await swarmSnapshot(swarm))).toEqual([]);
  });

  it('names a service update, a replaced task and a node gone down, one line each', async () => {
    const swarm = lab();
    const before = await swarmSnapshot(swarm);
    await swarm.updateService('web-stress', { constraints: ['node.hostname!=worker-1'] });
    swarm.taskList = swarm.taskList.map((t) => (t.id === 'm1' ? task('m2', 's2') : t));
    await swarm.nodeFaults().stopDocker('worker-1');
    expect(swarmChanges(before, await swarmSnapshot(swarm))).toEqual([
      'service web-stress: version 120 → 121',
      'service swarmguard-manager: tasks m1 → m2',
      'node worker-1: ready/active → down/active',
    ]);
  });
});

describe('waitSwarmSettled', () => {
  it('returns at once when no service is in a rolling update, and names the ones still in one after the bound', async () => {
    await waitSwarmSettled(lab(), 0);
    const moving = lab();
    moving.serviceList[0] = service('s1', 'web-stress', 120, 'updating');
    await expect(waitSwarmSettled(moving, 0)).rejects.toThrow('services still updating after 0 ms: web-stress (updating)');
  });
});
