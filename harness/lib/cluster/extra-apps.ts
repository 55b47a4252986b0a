import { swarmNodes, type LabConfig } from '../config/lab-config.ts';
import { appTasks, setServiceShape, type AppTask } from './app-control.ts';
import { webStressSpec } from '../config/system-specs.ts';
import { waitFor } from '../events/wait-for.ts';
import type { LabNodes, LabSwarm } from './lab-port.ts';

export interface ExtraApp {
  name: string;
  port: number;
}

/**
 * Copies of web-stress for experiments that need several managed services at once
 * (experiments/concurrent), as lab.yaml declares them (experiments.concurrent_apps). Each is
 * published on its own port, reached at the entrypoint's host on that port: the local lab's HAProxy
 * has a frontend there for each (whether the copy runs or not: its backend is then simply down); a
 * remote lab's routing mesh or balancer must publish them the same way.
 */
export function extraApps(lab: LabConfig): readonly ExtraApp[] {
  return lab.experiments.concurrent_apps;
}

/** The label cleanup.mjs removes test services by. */
const TEST_LABEL = 'swarmguard.test';

/** The copy's own entrypoint: the lab's entrypoint host, the copy's port. */
export function extraAppUrl(lab: LabConfig, app: ExtraApp): string {
  const u = new URL(lab.entrypoint);
  u.port = String(app.port);
  return u.origin;
}

/**
 * lab.yaml's app renamed and on its own port (same image, memory limit, health check), pinned to
 * `node` if given; its CPU limit is `cpus` when given, else lab.yaml's.
 */
export function extraAppSpec(lab: LabConfig, app: ExtraApp, image: string, node?: string, cpus?: number): Record<string, unknown> {
  const limits = { ...lab.app.limits, cpus: cpus ?? lab.app.limits.cpus };
  const copy = { ...lab, app: { ...lab.app, service: app.name, limits, publish: { ...lab.app.publish, port: app.port } } };
  const spec = webStressSpec(copy, { images: { 'web-stress': image } }, 1) as {
    Labels: Record<string, string>;
    TaskTemplate: { Placement: { Constraints: string[] } };
  };
  spec.Labels = { ...spec.Labels, [TEST_LABEL]: 'extra-app' };
  if (node) spec.TaskTemplate.Placement.Constraints = [...spec.TaskTemplate.Placement.Constraints, `node.hostname==${node}`];
  return spec as unknown as Record<string, unknown>;
}

/** True when a few requests through the copy's frontend all succeed and come from this container. */
async function servedBy(url: string, containerId: string, requests = 4): Promise<boolean> {
  for (let i = 0; i < requests; i++) {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    const by = res.headers.get('x-served-by') ?? '';
    if (!res.ok || !by || !containerId.startsWith(by)) return false;
  }
  return true;
}

/**
 * Creates the copies, each on its node (placements[i] for each copy), waits until each is served
 * through its frontend, then drops the node constraint: a placement-only change that keeps each task
 * where it runs (swarm restarts no task whose node still satisfies the constraints), so the manager
 * may move them anywhere. Returns each copy's task.
 */
export async function createExtraApps(
  lab: LabConfig,
  swarm: LabSwarm,
  placements: readonly { app: ExtraApp; node: string }[],
  options: { cpus?: number; timeoutMs?: number } = {},
): Promise<Map<string, AppTask>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const image = (await swarm.service(lab.app.service)).image;
  for (const p of placements) await swarm.createService(extraAppSpec(lab, p.app, image, p.node, options.cpus));
  const tasks = new Map<string, AppTask>();
  await Promise.all(
    placements.map(async ({ app, node }) => {
      const url = `${extraAppUrl(lab, app)}${lab.app.healthcheck.path}`;
      const task = await waitFor(
        `${app.name} running on ${node} and served through ${url}`,
        async () => {
          const ts = await appTasks(swarm, app.name);
          const t = ts.length === 1 && ts[0].state === 'running' && ts[0].node === node ? ts[0] : undefined;
          return t && (await servedBy(url, t.containerId)) ? t : undefined;
        },
        { timeoutMs, intervalMs: 250 },
      );
      tasks.set(app.name, task);
    }),
  );
  for (const { app } of placements) await setServiceShape(swarm, app.name, { constraints: ['node.role==worker'] });
  await waitFor(
    `the copies' placement relaxed with their tasks kept (${placements.map((p) => p.app.name).join(', ')})`,
    async () => {
      for (const { app } of placements) {
        if ((await swarm.service(app.name)).updateState === 'updating') return false;
        const ts = await appTasks(swarm, app.name);
        const before = tasks.get(app.name)!;
        if (ts.length !== 1 || ts[0].id !== before.id) throw new Error(`${app.name}: task ${before.id} on ${before.node} was replaced when its node constraint was dropped`);
      }
      return true;
    },
    { timeoutMs: 15_000, intervalMs: 250 },
  );
  return tasks;
}

/** Removes the copies that exist and waits (bounded) until none of their containers is left on any node. */
export async function removeExtraApps(lab: LabConfig, cluster: LabSwarm & LabNodes, timeoutMs = 30_000): Promise<string[]> {
  const names = extraApps(lab).map((a) => a.name);
  const existing = (await cluster.services()).filter((s) => names.includes(s.name));
  for (const s of existing) await cluster.removeService(s.id);
  await waitFor(
    `no container of ${names.join(', ')} left on any node`,
    async () => {
      const left = await Promise.all(
        swarmNodes(lab).map(async (n) => (await cluster.containers(n.name, { all: true })).filter((c) => names.includes(c.service))),
      );
      return left.every((l) => l.length === 0);
    },
    { timeoutMs, intervalMs: 500 },
  );
  return existing.map((s) => s.name);
}

/** Asks every worker's copy (directly on its port, not through the balancer) to stop all stress; a worker without one refuses, which is fine. */
export async function stopExtraAppStress(lab: LabConfig, app: ExtraApp): Promise<void> {
  await Promise.all(
    lab.swarm.workers.map((w) => fetch(`http://${w.address}:${app.port}/stress/stop`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)),
  );
}
