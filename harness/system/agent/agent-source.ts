// The lab benchmark's control of the deployed agent: which stats source it uses (STATS_SOURCE in the
// service's env) and where its container on one node is.
import type Docker from 'dockerode';
import { demuxDockerLog } from '../../lib/events/log-scraper.ts';
import { parseEvents } from '../../lib/events/events.ts';
import { AGENT_SERVICE } from '../../lib/config/system-specs.ts';
import { waitFor } from '../../lib/events/wait-for.ts';
import type { TimingEvent } from '../../lib/config/types.ts';

export type BenchSource = 'cgroup' | 'docker';

interface ServiceInfo {
  Version: { Index: number };
  Spec: { TaskTemplate: { ContainerSpec: { Env?: string[] } } } & Record<string, unknown>;
}

/** Sets (or, with null, removes) STATS_SOURCE in the agent service's env; the swarm replaces the tasks. */
export async function setAgentSource(manager: Docker, source: BenchSource | null): Promise<boolean> {
  const service = manager.getService(AGENT_SERVICE);
  const info = (await service.inspect()) as ServiceInfo;
  const spec = structuredClone(info.Spec);
  const before = spec.TaskTemplate.ContainerSpec.Env ?? [];
  const env = before.filter((e) => !e.startsWith('STATS_SOURCE='));
  if (source) env.push(`STATS_SOURCE=${source}`);
  if (env.join('\n') === before.join('\n')) return false;
  spec.TaskTemplate.ContainerSpec.Env = env;
  await service.update({ ...spec, version: info.Version.Index });
  return true;
}

export async function containerEvents(docker: Docker, id: string, sinceMs: number): Promise<TimingEvent[]> {
  const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false, since: Math.floor(sinceMs / 1000) - 1 })) as unknown as Buffer;
  return parseEvents(demuxDockerLog(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))));
}

export interface AgentContainer {
  id: string;
  pid: number;
  started: TimingEvent;
}

/**
 * Waits for the node's agent container that logged agent_started with this stats source, and for
 * its first cycle_stats line (so its start-up work is behind it when the measuring begins).
 */
export async function awaitAgent(node: Docker, nodeName: string, source: BenchSource, sinceMs: number): Promise<AgentContainer> {
  let seen = 'no agent container';
  return waitFor(
    `${AGENT_SERVICE} on ${nodeName} started with stats source ${source} and through its first 10 cycles`,
    async () => {
      const list = await node.listContainers({ filters: { label: [`com.docker.swarm.service.name=${AGENT_SERVICE}`] } });
      seen = `${list.length} running agent container(s)`;
      for (const c of list) {
        const events = await containerEvents(node, c.Id, sinceMs);
        const started = events.find((e) => e.event === 'agent_started');
        if (!started) continue;
        seen = `agent ${c.Id.slice(0, 12)} started with ${String(started.statsSource)} (${String(started.statsSourceReason)})`;
        if (started.statsSource !== source || !events.some((e) => e.event === 'cycle_stats')) continue;
        const pid = ((await node.getContainer(c.Id).inspect()) as { State: { Pid: number } }).State.Pid;
        return { id: c.Id, pid, started };
      }
      return undefined;
    },
    { timeoutMs: 90_000, intervalMs: 2000, lastSeen: () => seen },
  );
}
