import type { CgroupStatsAdapter } from './cgroup-stats-adapter.ts';
import { ConfigError, type StatsSource } from './config.ts';
import type { ContainerStatsPort } from './types.ts';

export interface ChosenStatsSource {
  port: ContainerStatsPort;
  source: 'cgroup' | 'docker';
  /** Why this one: logged at start. */
  reason: string;
}

/**
 * Picks the stats port at start. `auto` takes the cgroup files when they can be read for a running
 * container of this node (or, with none running, when the host mounts are there), else the Docker
 * API; `cgroup` insists and fails the start with the reason when the files cannot be read.
 */
export async function chooseStatsSource(
  wanted: StatsSource,
  docker: ContainerStatsPort,
  cgroup: Pick<CgroupStatsAdapter, 'probe'> & ContainerStatsPort,
): Promise<ChosenStatsSource> {
  if (wanted === 'docker') return { port: docker, source: 'docker', reason: 'stats_source docker' };
  const running = await docker.listContainers();
  const probe = await cgroup.probe(running.map((c) => c.id));
  if (probe.ok) {
    const how = probe.checked ? `counters of container ${probe.checked.slice(0, 12)} read` : 'host mounts present, no running container to try';
    return { port: cgroup, source: 'cgroup', reason: `stats_source ${wanted}: ${how}` };
  }
  if (wanted === 'cgroup') throw new ConfigError(`STATS_SOURCE cgroup: cannot read the host's cgroup files: ${probe.reason}`);
  return { port: docker, source: 'docker', reason: `stats_source auto: cgroup files not usable (${probe.reason})` };
}
