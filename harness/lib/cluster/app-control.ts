import type { LabConfig } from '../config/lab-config.ts';
import { waitFor } from '../events/wait-for.ts';
import type { LabSwarm } from './lab-port.ts';
import type { ServiceChange } from './types.ts';

export interface AppTask {
  id: string;
  nodeId: string;
  node: string;
  containerId: string;
  state: string;
  desired: string;
  /** The CPU limit the task was created with (NanoCPUs / 1e9); null when it has none. */
  cpus: number | null;
  /** When the task reached its current state (running: when it started), epoch ms by swarm's clock; null if unknown. */
  since: number | null;
}

/** Node id → hostname. */
export async function nodeNames(swarm: LabSwarm): Promise<Map<string, string>> {
  return new Map((await swarm.nodes()).map((n) => [n.id, n.hostname]));
}

/** The service's tasks that the swarm wants running, with the node each is on. */
export async function appTasks(swarm: LabSwarm, service: string): Promise<AppTask[]> {
  const [tasks, names] = await Promise.all([swarm.tasks({ service, desiredState: 'running' }), nodeNames(swarm)]);
  return tasks.map((t) => ({
    id: t.id,
    nodeId: t.nodeId,
    node: names.get(t.nodeId) ?? t.nodeId,
    containerId: t.containerId ?? '',
    state: t.state,
    desired: t.desiredState,
    cpus: t.nanoCpus ? t.nanoCpus / 1e9 : null,
    since: t.timestamp && Number.isFinite(Date.parse(t.timestamp)) ? Date.parse(t.timestamp) : null,
  }));
}

/** A task that swarm ended on its own: where, its state, swarm's error, when (epoch ms). */
export interface FailedTask {
  node: string;
  state: string;
  err: string;
  at: number;
}

/**
 * Tasks of `service` that ended on their own since `since` (epoch ms): state failed or rejected,
 * with swarm's error, e.g. "task: non-zero exit (143): dockerexec: unhealthy container" when swarm
 * killed a container whose healthcheck failed. A task the manager or the harness shut down is not one.
 */
export async function failedTasks(swarm: LabSwarm, service: string, since: number): Promise<FailedTask[]> {
  const [tasks, names] = await Promise.all([swarm.tasks({ service }), nodeNames(swarm)]);
  return tasks
    .filter((t) => t.state === 'failed' || t.state === 'rejected')
    .map((t) => ({ node: names.get(t.nodeId) ?? t.nodeId, state: t.state, err: t.err ?? '', at: Date.parse(t.timestamp ?? '') }))
    .filter((t) => t.at >= since) // a missing timestamp parses to NaN: not counted
    .sort((a, b) => a.at - b.at);
}

export async function serviceReplicas(swarm: LabSwarm, service: string): Promise<number> {
  return (await swarm.service(service)).replicas ?? 0;
}

/** Sets replicas, placement constraints and CPU limit in one service update (no forced restart); none when all are as given. */
export async function setServiceShape(swarm: LabSwarm, service: string, shape: Pick<ServiceChange, 'replicas' | 'constraints' | 'cpus'>): Promise<boolean> {
  return swarm.updateService(service, shape);
}

/** The app's own memory figures, in MB, from its /metrics. */
export interface AppMemory {
  memory_mb: number;
  memory_limit_mb: number;
}

/**
 * The memory of the web-stress that answers at `url` (the entrypoint, or one copy directly): its
 * /metrics, within 2 s. A refusal or an answer without the two figures is an error naming the URL.
 */
export async function appMemory(url: string): Promise<AppMemory> {
  const metricsUrl = `${url}/metrics`;
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${metricsUrl} answered ${res.status}`);
  const text = await res.text();
  let body: Partial<AppMemory> | undefined;
  try {
    body = JSON.parse(text) as Partial<AppMemory>;
  } catch {
    body = undefined;
  }
  if (typeof body?.memory_mb !== 'number' || typeof body.memory_limit_mb !== 'number') {
    throw new Error(`${metricsUrl}: expected memory_mb and memory_limit_mb as numbers, got ${text.slice(0, 200)}`);
  }
  return { memory_mb: body.memory_mb, memory_limit_mb: body.memory_limit_mb };
}

/** Asks every worker's web-stress (directly, not through the balancer) to stop all stress. */
export async function stopAllStress(lab: LabConfig): Promise<void> {
  const port = lab.app.publish.port;
  await Promise.all(
    lab.swarm.workers.map((w) =>
      fetch(`http://${w.address}:${port}/stress/stop`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined),
    ),
  );
}

/**
 * Brings the application back to its starting shape between iterations: the configured replicas,
 * only its base placement constraint, stress stopped, every task running and the entrypoint serving,
 * and every task past the manager's startup grace (scenario1_migration.startup_grace_s), so that an
 * experiment's fault is never ignored as a task still starting.
 */
export async function resetApp(lab: LabConfig, swarm: LabSwarm, timeoutMs = 90_000, cpus = lab.app.limits.cpus): Promise<AppTask[]> {
  const service = lab.app.service;
  await stopAllStress(lab);
  // the CPU limit too: an experiment may have run the app at a smaller one that fits the lab
  await setServiceShape(swarm, service, { replicas: lab.app.replicas, constraints: ['node.role==worker'], cpus });
  return waitFor(
    `${service} back to ${lab.app.replicas} running task(s) at ${cpus} CPU, served only by them`,
    async () => {
      const tasks = await appTasks(swarm, service);
      const running = tasks.filter((t) => t.state === 'running');
      if (running.length !== lab.app.replicas || tasks.length !== lab.app.replicas) return undefined;
      // a new CPU limit replaces the tasks: until then the old ones run (and serve) as if nothing changed
      if (running.some((t) => t.cpus !== null && Math.abs(t.cpus - cpus) > 1e-6)) return undefined;
      return (await servedOnlyBy(lab, running.map((t) => t.containerId))) ? running : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  ).then((running) => pastStartupGrace(lab, running));
}

/** Waits until each task has been running for startup_grace_s (by swarm's clock, the lab's own here). */
export async function pastStartupGrace(lab: LabConfig, tasks: AppTask[]): Promise<AppTask[]> {
  const graceMs = lab.swarmguard.config.scenarios.scenario1_migration.startup_grace_s * 1000;
  const youngest = Math.max(...tasks.map((t) => t.since ?? 0));
  const wait = youngest + graceMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, graceMs) + 100));
  return tasks;
}

/**
 * True when a few requests through the entrypoint all succeed and all come from these containers:
 * a task that swarm already replaced can go on answering while it drains.
 */
export async function servedOnlyBy(lab: LabConfig, containerIds: string[], requests = 6): Promise<boolean> {
  for (let i = 0; i < requests; i++) {
    const res = await fetch(`${lab.entrypoint}${lab.app.healthcheck.path}`, { signal: AbortSignal.timeout(1000) });
    const by = res.headers.get('x-served-by') ?? '';
    if (!res.ok || !by || !containerIds.some((id) => id.startsWith(by))) return false;
  }
  return true;
}
