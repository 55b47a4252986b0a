import { describe, expect, it } from 'vitest';
import { failedTasks } from './app-control.ts';
import { FakeLab } from './fake-lab.ts';
import type { SwarmTask } from './types.ts';

/** A swarm of two workers whose web-stress-b had these tasks. */
function swarmWith(tasks: Pick<SwarmTask, 'id' | 'nodeId' | 'desiredState' | 'state' | 'err' | 'timestamp'>[]): FakeLab {
  const node = (id: string, hostname: string) => ({ id, hostname, state: 'ready', availability: 'active' });
  return new FakeLab({ nodes: [node('n1', 'worker-1'), node('n2', 'worker-2')], tasks: tasks.map((t) => ({ ...t, serviceId: 'web-stress-b', createdAt: '' })) });
}

describe('failedTasks', () => {
  it('lists the tasks swarm ended on its own since the given instant, oldest first, with node name and error', async () => {
    const swarm = swarmWith([
      { id: 't1', nodeId: 'n2', desiredState: 'shutdown', state: 'failed', err: 'task: non-zero exit (143): dockerexec: unhealthy container', timestamp: '2026-11-23T05:58:08Z' },
      { id: 't2', nodeId: 'n1', desiredState: 'shutdown', state: 'failed', err: 'task: non-zero exit (137)', timestamp: '2026-11-23T05:58:04Z' },
      { id: 't3', nodeId: 'n1', desiredState: 'shutdown', state: 'shutdown', timestamp: '2026-11-23T05:58:05Z' }, // the manager's migration
      { id: 't4', nodeId: 'n1', desiredState: 'running', state: 'running', timestamp: '2026-11-23T05:58:06Z' },
      { id: 't5', nodeId: 'n9', desiredState: 'shutdown', state: 'rejected', err: 'no suitable node', timestamp: '2026-11-23T05:58:07Z' },
      { id: 't6', nodeId: 'n1', desiredState: 'shutdown', state: 'failed', err: 'before the iteration', timestamp: '2026-11-23T05:50:00Z' },
    ]);
    const got = await failedTasks(swarm, 'web-stress-b', Date.parse('2026-11-23T05:58:00Z'));
    expect(got.map((t) => [t.node, t.state, t.err])).toEqual([
      ['worker-1', 'failed', 'task: non-zero exit (137)'],
      ['n9', 'rejected', 'no suitable node'],
      ['worker-2', 'failed', 'task: non-zero exit (143): dockerexec: unhealthy container'],
    ]);
  });

  it('skips a task without a timestamp rather than counting it', async () => {
    const swarm = swarmWith([{ id: 't1', nodeId: 'n1', desiredState: 'shutdown', state: 'failed', err: 'x' }]);
    expect(await failedTasks(swarm, 'web-stress-b', 0)).toEqual([]);
  });
});
