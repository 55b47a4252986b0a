import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { failedTasks } from './app-control.ts';

/** The two calls failedTasks makes, answered from fixed lists (the Engine API's task and node shapes). */
function fakeDocker(tasks: object[]): Docker {
  return {
    listTasks: async () => tasks,
    listNodes: async () => [{ ID: 'n1', Description: { Hostname: 'worker-1' } }, { ID: 'n2', Description: { Hostname: 'worker-2' } }],
  } as unknown as Docker;
}

const at = (iso: string) => ({ Timestamp: iso });

describe('failedTasks', () => {
  it('lists the tasks swarm ended on its own since the given instant, oldest first, with node name and error', async () => {
    const docker = fakeDocker([
      { ID: 't1', NodeID: 'n2', DesiredState: 'shutdown', Status: { State: 'failed', Err: 'task: non-zero exit (143): dockerexec: unhealthy container', ...at('2026-11-23T05:58:08Z') } },
      { ID: 't2', NodeID: 'n1', DesiredState: 'shutdown', Status: { State: 'failed', Err: 'task: non-zero exit (137)', ...at('2026-11-23T05:58:04Z') } },
      { ID: 't3', NodeID: 'n1', DesiredState: 'shutdown', Status: { State: 'shutdown', ...at('2026-11-23T05:58:05Z') } }, // the manager's migration
      { ID: 't4', NodeID: 'n1', DesiredState: 'running', Status: { State: 'running', ...at('2026-11-23T05:58:06Z') } },
      { ID: 't5', NodeID: 'n9', DesiredState: 'shutdown', Status: { State: 'rejected', Err: 'no suitable node', ...at('2026-11-23T05:58:07Z') } },
      { ID: 't6', NodeID: 'n1', DesiredState: 'shutdown', Status: { State: 'failed', Err: 'before the iteration', ...at('2026-11-23T05:50:00Z') } },
    ]);
    const got = await failedTasks(docker, 'web-stress-b', Date.parse('2026-11-23T05:58:00Z'));
    expect(got.map((t) => [t.node, t.state, t.err])).toEqual([
      ['worker-1', 'failed', 'task: non-zero exit (137)'],
      ['n9', 'rejected', 'no suitable node'],
      ['worker-2', 'failed', 'task: non-zero exit (143): dockerexec: unhealthy container'],
    ]);
  });

  it('skips a task without a timestamp rather than counting it', async () => {
    const docker = fakeDocker([{ ID: 't1', NodeID: 'n1', DesiredState: 'shutdown', Status: { State: 'failed', Err: 'x' } }]);
    expect(await failedTasks(docker, 'web-stress-b', 0)).toEqual([]);
  });
});
