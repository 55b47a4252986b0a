import type Docker from 'dockerode';
import { swarmNodes, type LabConfig } from '../config/lab-config.ts';
import { AGENT_SERVICE } from '../config/system-specs.ts';
import { waitFor } from '../events/wait-for.ts';
import { HostCounters } from '../../system/host-counters.ts';
import { LocalLab } from '../../lab/local-lab.ts';
import { baseImageRef } from '../../lab/base-image.ts';
import { Progress } from '../../lab/progress.ts';
import { managerDocker, nodeDockers } from './docker-clients.ts';
import { DockerLab } from './docker-lab.ts';
import { appTasks, setServiceShape } from './app-control.ts';
import { pullImage, removeIdleContainers, setIdleCount } from './idle-containers.ts';

/**
 * The local lab at another size, for the scale experiment: nodes added and removed again, filled
 * with idle containers, and the cgroup counters of SwarmGuard's own containers on each. Local only:
 * the counters are read from the host, and only the local lab's nodes can be made.
 */
const FILLER_PREFIX = 'scale-filler';

function nodeDocker(lab: LabConfig, node: string): Docker {
  const d = nodeDockers(lab).get(node);
  if (!d) throw new Error(`lab ${lab.name} has no node ${node}`);
  return d;
}

/** Every node's engine runs `count` idle containers of the lab's base image; returns how many containers each node runs then. */
export async function fillNodes(lab: LabConfig, count: number): Promise<number[]> {
  const image = baseImageRef(lab.registry);
  const dockers = [...nodeDockers(lab).values()];
  await Promise.all(
    dockers.map(async (d) => {
      await pullImage(d, image);
      await setIdleCount(d, { image, prefix: FILLER_PREFIX, count });
    }),
  );
  return Promise.all(dockers.map(async (d) => (await d.listContainers()).length));
}

/** Removes the idle containers from every node that answers. */
export async function removeFillers(lab: LabConfig): Promise<void> {
  await Promise.all([...nodeDockers(lab).values()].map((d) => removeIdleContainers(d, FILLER_PREFIX).catch(() => 0)));
}

/** The host's counters of a service's running container on one node (cgroup v1, read from the host). */
export async function serviceCounters(lab: LabConfig, service: string, node: string): Promise<HostCounters> {
  const docker = nodeDocker(lab, node);
  const [c] = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`], status: ['running'] } });
  if (!c) throw new Error(`no running ${service} container on ${node}`);
  return new HostCounters(((await docker.getContainer(c.Id).inspect()) as { State: { Pid: number } }).State.Pid);
}

/** Every node runs its agent (a new node pulls it first), within `timeoutMs`. */
export async function agentsRunning(lab: LabConfig, timeoutMs = 180_000): Promise<void> {
  const nodes = swarmNodes(lab);
  await waitFor(
    `the agent running on all ${nodes.length} nodes`,
    async () => {
      const up = await Promise.all(nodes.map((n) => serviceCounters(lab, AGENT_SERVICE, n.name).then(() => true, () => false)));
      return up.every(Boolean) || undefined;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

/**
 * The lab grown to `grown` (grownLab in grown-lab.ts): the new workers up and in the swarm, the balancer
 * sending to them too, and the app's image, as its service names it, pulled on them, so that a
 * migration there waits for no pull that the lab's own nodes never make.
 */
export async function growLocalLab(lab: LabConfig, grown: LabConfig, log: (line: string) => void): Promise<void> {
  const own = new Set(swarmNodes(lab).map((n) => n.name));
  await new LocalLab(grown).up(new Progress(`lab to ${swarmNodes(grown).length} nodes`, log));
  const spec = (await managerDocker(lab).getService(lab.app.service).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } };
  const added = swarmNodes(grown).filter((n) => !own.has(n.name));
  await Promise.all(added.map((n) => pullImage(nodeDocker(grown, n.name), spec.Spec.TaskTemplate.ContainerSpec.Image)));
}

/**
 * Back to the lab's own size: idle containers removed, the app moved off the added nodes (a
 * constraint, which resetApp drops again), then LocalLab.up of the lab's own configuration, which
 * removes the nodes it no longer lists.
 */
export async function shrinkLocalLab(lab: LabConfig, grown: LabConfig, log: (line: string) => void): Promise<void> {
  await removeFillers(grown);
  const own = new Set(swarmNodes(lab).map((n) => n.name));
  const added = swarmNodes(grown).filter((n) => !own.has(n.name));
  if (added.length === 0) return;
  const swarm = new DockerLab(grown);
  const service = lab.app.service;
  await setServiceShape(swarm, service, { constraints: ['node.role==worker', ...added.map((n) => `node.hostname!=${n.name}`)] });
  await waitFor(
    `${service} off ${added.map((n) => n.name).join(', ')}`,
    async () => {
      const tasks = await appTasks(swarm, service);
      return tasks.length > 0 && tasks.every((t) => t.state === 'running' && own.has(t.node)) ? true : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  await new LocalLab(lab).up(new Progress(`lab back to ${own.size} nodes`, log));
}
