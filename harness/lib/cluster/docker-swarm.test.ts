import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { applyServiceChange, DockerSwarm, type RawServiceSpec } from './docker-swarm.ts';

const spec = (): RawServiceSpec => ({
  Name: 'swarmguard-manager',
  Mode: { Replicated: { Replicas: 1 } },
  TaskTemplate: {
    ContainerSpec: { Image: 'manager:1', Env: ['A=1', 'NODE_DETECTION=off', 'B=2'] },
    Placement: { Constraints: ['node.role==manager'] },
    Resources: { Limits: { NanoCPUs: 500_000_000, MemoryBytes: 1 } },
  },
});

/** A manager's engine that answers inspect with `raw` and records every update. */
function engine(raw: { Spec: RawServiceSpec }) {
  const updates: unknown[] = [];
  const service = { inspect: async () => ({ ID: 's1', Version: { Index: 41 }, ...raw }), update: async (o: unknown) => void updates.push(o) };
  return { updates, docker: { getService: () => service } as unknown as Docker };
}

describe('applyServiceChange', () => {
  it('changes nothing, and says so, when the service already has the shape asked for', () => {
    const s = spec();
    expect(applyServiceChange(s, { replicas: 1, constraints: ['node.role==manager'], cpus: 0.5 })).toBe(false);
    expect(s).toEqual(spec());
  });

  it('sets replicas, constraints and the CPU limit, keeping the rest of the limits', () => {
    const s = spec();
    expect(applyServiceChange(s, { replicas: 0, constraints: ['node.role==worker'], cpus: 1 })).toBe(true);
    expect(s.Mode.Replicated?.Replicas).toBe(0);
    expect(s.TaskTemplate.Placement?.Constraints).toEqual(['node.role==worker']);
    expect(s.TaskTemplate.Resources?.Limits).toEqual({ NanoCPUs: 1e9, MemoryBytes: 1 });
  });

  it('replaces a variable at the end of the environment or removes it, and forces a new task', () => {
    const s = spec();
    expect(applyServiceChange(s, { env: { NODE_DETECTION: 'on' }, forceUpdate: true })).toBe(true);
    expect(s.TaskTemplate.ContainerSpec?.Env).toEqual(['A=1', 'B=2', 'NODE_DETECTION=on']);
    expect(s.TaskTemplate.ForceUpdate).toBe(1);
    applyServiceChange(s, { env: { A: undefined } });
    expect(s.TaskTemplate.ContainerSpec?.Env).toEqual(['B=2', 'NODE_DETECTION=on']);
  });
});

describe('DockerSwarm.updateService', () => {
  it('sends the whole spec back at the version it read, once, and nothing when nothing changes', async () => {
    const e = engine({ Spec: spec() });
    const swarm = new DockerSwarm(e.docker);
    expect(await swarm.updateService('swarmguard-manager', { replicas: 1 })).toBe(false);
    let seen: string[] = [];
    expect(await swarm.updateService('swarmguard-manager', (current) => ((seen = current.env), { replicas: 0 }))).toBe(true);
    expect(seen).toEqual(['A=1', 'NODE_DETECTION=off', 'B=2']);
    expect(e.updates).toEqual([{ ...spec(), Mode: { Replicated: { Replicas: 0 } }, version: 41 }]);
  });
});
