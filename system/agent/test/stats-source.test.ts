import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.ts';
import { chooseStatsSource } from '../src/stats-source.ts';
import type { ContainerStatsPort } from '../src/types.ts';
import { container, FakePort } from './fakes.ts';

type Probe = { ok: true; checked?: string } | { ok: false; reason: string };

/** A cgroup port whose probe answers as told and records what it was asked. */
function cgroupPort(answer: Probe): ContainerStatsPort & { probe(ids?: readonly string[]): Promise<Probe>; asked: string[][] } {
  const asked: string[][] = [];
  return Object.assign(new FakePort(), {
    asked,
    probe: async (ids: readonly string[] = []) => {
      asked.push([...ids]);
      return answer;
    },
  });
}

describe('chooseStatsSource', () => {
  const docker = new FakePort();
  docker.containers.push(container(1), container(2));

  it('docker: the Docker API, without probing the files', async () => {
    const cgroup = cgroupPort({ ok: true });
    const chosen = await chooseStatsSource('docker', docker, cgroup);
    expect(chosen).toMatchObject({ port: docker, source: 'docker' });
    expect(cgroup.asked).toEqual([]);
  });

  it('auto: the cgroup files when a running container’s counters can be read', async () => {
    const cgroup = cgroupPort({ ok: true, checked: container(1).ref.id });
    const chosen = await chooseStatsSource('auto', docker, cgroup);
    expect(chosen).toMatchObject({ port: cgroup, source: 'cgroup' });
    expect(chosen.reason).toContain(`counters of container ${container(1).ref.id.slice(0, 12)} read`);
    expect(cgroup.asked).toEqual([[container(1).ref.id, container(2).ref.id]]);
  });

  it('auto: falls back to the Docker API with the reason when the files cannot be read', async () => {
    const chosen = await chooseStatsSource('auto', docker, cgroupPort({ ok: false, reason: '/host/proc/meminfo not readable' }));
    expect(chosen).toMatchObject({ port: docker, source: 'docker', reason: 'stats_source auto: cgroup files not usable (/host/proc/meminfo not readable)' });
  });

  it('cgroup: refuses to start when the files cannot be read', async () => {
    const attempt = chooseStatsSource('cgroup', docker, cgroupPort({ ok: false, reason: '/host/sys/fs/cgroup does not exist' }));
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow('STATS_SOURCE cgroup: cannot read the host\u2019s cgroup files: /host/sys/fs/cgroup does not exist'.replace('\u2019', "'"));
  });
});
