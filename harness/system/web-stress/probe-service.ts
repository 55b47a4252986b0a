import type Docker from 'dockerode';
import type { LabConfig } from '../../lib/config/lab-config.ts';
import { imageRef } from '../../lib/config/lab-config.ts';
import { managerDocker, nodeDockers } from '../../lib/cluster/docker-clients.ts';
import { appTasks } from '../../lib/cluster/app-control.ts';
import { DockerSwarm } from '../../lib/cluster/docker-swarm.ts';
import { appHealthCheck } from '../../lib/config/system-specs.ts';
import { waitFor } from '../../lib/events/wait-for.ts';
import { HostCounters, MiB } from '../host-counters.ts';

/** Label on the services the web-stress lab test and bench create, so leftovers can be found. */
export const PROBE_LABEL = 'swarmguard.test';

export interface ProbeOptions {
  name: string;
  node: string;
  port: number;
  cpus?: number;
  memoryMb?: number;
}

export interface Probe {
  name: string;
  node: string;
  base: string;
  cpus: number;
  memoryMb: number;
  containerId: string;
  pid: number;
  counters: HostCounters;
  /** service create → its task's container started (Docker's State.StartedAt), ms. */
  createToStartMs: number;
  /** service create → first 200 on /health from the host, ms. */
  createToHealthyMs: number;
  /** container start (State.StartedAt, the node's clock = this host's) → first 200 on /health, ms. */
  startToHealthyMs: number;
}

/** The web-stress image deploySystem pinned in the `web-stress` service, else the registry tag. */
export async function webStressImage(lab: LabConfig): Promise<string> {
  try {
    const s = (await managerDocker(lab).getService(lab.app.service).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } };
    return s.Spec.TaskTemplate.ContainerSpec.Image;
  } catch {
    return imageRef(lab, 'web-stress');
  }
}

/** The worker that runs no task of the lab's app (less noise from it), else the last worker. */
export async function quietWorker(lab: LabConfig): Promise<{ name: string; address: string }> {
  const busy = new Set((await appTasks(new DockerSwarm(managerDocker(lab)), lab.app.service).catch(() => [])).map((t) => t.node));
  const w = [...lab.swarm.workers].reverse().find((x) => !busy.has(x.name)) ?? lab.swarm.workers[lab.swarm.workers.length - 1];
  return { name: w.name, address: w.address };
}

/**
 * Removes the service, waits for its tasks to go and, given its base URL, until nothing answers
 * there any more: a removed task's container can go on serving for a moment while it stops.
 */
export async function removeProbe(lab: LabConfig, name: string, base?: string): Promise<void> {
  const docker = managerDocker(lab);
  await docker.getService(name).remove().catch((err: { statusCode?: number }) => {
    if (err.statusCode !== 404) throw err;
  });
  await waitFor(`${name} removed`, async () => ((await docker.listTasks({ filters: { service: [name] } }).catch(() => [])) as unknown[]).length === 0, {
    timeoutMs: 30_000,
    intervalMs: 250,
  }).catch(() => undefined);
  if (base) {
    await waitFor(`nothing answering on ${base} after removing ${name}`, async () => {
      try {
        await fetch(`${base}/health`, { signal: AbortSignal.timeout(500) });
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }
}

/**
 * Creates a one-replica web-stress service pinned to `node` (host-mode publish on `port`, its own
 * healthcheck on that port, the lab's UDP sink), waits for its first 200 on /health from this host,
 * and finds its container's host pid and cgroup counters.
 */
export async function deployProbe(lab: LabConfig, opts: ProbeOptions, image?: string): Promise<Probe> {
  const docker = managerDocker(lab);
  const cpus = opts.cpus ?? 0.5;
  const memoryMb = opts.memoryMb ?? 512;
  const worker = lab.swarm.workers.find((w) => w.name === opts.node);
  if (!worker) throw new Error(`no worker ${opts.node} in the lab`);
  const sink = lab.app.network_sink;
  if (!sink) throw new Error('lab.yaml has no app.network_sink');
  const base = `http://${worker.address}:${opts.port}`;
  await removeProbe(lab, opts.name, base);
  const spec = {
    Name: opts.name,
    Labels: { [PROBE_LABEL]: 'web-stress' },
    TaskTemplate: {
      ContainerSpec: {
        Image: image ?? (await webStressImage(lab)),
        Env: ['NODE_NAME={{.Node.Hostname}}', `PORT=${opts.port}`, `NETWORK_SINK=${sink}`, 'LOG_LEVEL=warn'],
        Labels: { [PROBE_LABEL]: 'web-stress' },
        StopGracePeriod: 10e9,
        HealthCheck: appHealthCheck(lab, opts.port), // as the experiments deploy the app
      },
      Placement: { Constraints: [`node.hostname==${opts.node}`] },
      Resources: { Limits: { NanoCPUs: Math.round(cpus * 1e9), MemoryBytes: memoryMb * MiB } },
      RestartPolicy: { Condition: 'none' },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp' as const, TargetPort: opts.port, PublishedPort: opts.port, PublishMode: 'host' as const }] },
  };
  const created = Date.now();
  await docker.createService(spec);
  // poll /health from this host as fast as is reasonable: this is the start-to-healthy measurement
  let healthyAt = 0;
  let servedBy = '';
  const deadline = created + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(500) });
      if (res.status === 200) {
        healthyAt = Date.now();
        servedBy = res.headers.get('x-served-by') ?? '';
        break;
      }
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!healthyAt) throw new Error(`${opts.name} did not answer 200 on ${base}/health within 120 s`);
  // the task is still `starting` until Docker's healthcheck passes; its container already runs
  const tasks = await appTasks(new DockerSwarm(docker), opts.name);
  const task = tasks.find((t) => (t.state === 'running' || t.state === 'starting') && t.containerId);
  if (!task) throw new Error(`${opts.name}: no started task with a container (tasks: ${JSON.stringify(tasks)})`);
  if (!servedBy || !task.containerId.startsWith(servedBy)) {
    throw new Error(`${base}/health was answered by ${servedBy || 'nobody we know'}, not by ${opts.name}'s container ${task.containerId.slice(0, 12)}`);
  }
  const nodeDocker = nodeDockers(lab).get(opts.node) as Docker;
  const info = (await nodeDocker.getContainer(task.containerId).inspect()) as { State: { Pid: number; StartedAt: string } };
  const startedAt = Date.parse(info.State.StartedAt);
  return {
    name: opts.name,
    node: opts.node,
    base,
    cpus,
    memoryMb,
    containerId: task.containerId,
    pid: info.State.Pid,
    counters: new HostCounters(info.State.Pid),
    createToStartMs: startedAt - created,
    createToHealthyMs: healthyAt - created,
    startToHealthyMs: healthyAt - startedAt,
  };
}

export async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${body}`);
  return JSON.parse(body) as Record<string, unknown>;
}
