import { MANAGER_SERVICE } from '../config/system-specs.ts';
import { waitFor } from '../events/wait-for.ts';
import type { ExperimentContext } from './context.ts';

interface ManagerSpec {
  TaskTemplate: { ForceUpdate?: number; ContainerSpec: { Env?: string[] } };
  [k: string]: unknown;
}

async function runningTaskIds(ctx: ExperimentContext): Promise<string[]> {
  const tasks = (await ctx.docker.listTasks({ filters: { service: [MANAGER_SERVICE], 'desired-state': ['running'] } })) as {
    ID: string;
    Status: { State: string };
  }[];
  return tasks.filter((t) => t.Status.State === 'running').map((t) => t.ID);
}

/** Updates the manager's spec (the change must start a new task) and waits until the new task answers. */
async function updateManager(ctx: ExperimentContext, change: (spec: ManagerSpec) => void): Promise<void> {
  const svc = ctx.docker.getService(MANAGER_SERVICE);
  const before = new Set(await runningTaskIds(ctx));
  const s = (await svc.inspect()) as { Version: { Index: number }; Spec: ManagerSpec };
  const spec = structuredClone(s.Spec);
  change(spec);
  await svc.update({ ...spec, version: s.Version.Index });
  await newManagerTask(ctx, before, 'manager restarted and healthy');
}

/** Waits until one manager task runs that is none of `before`, and answers its health check. */
async function newManagerTask(ctx: ExperimentContext, before: ReadonlySet<string>, what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      const ids = await runningTaskIds(ctx);
      if (ids.length !== 1 || before.has(ids[0])) return false;
      return (await fetch(`${ctx.lab.manager_api}/health`, { signal: AbortSignal.timeout(1000) })).ok;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

/** Restarts the manager (a forced update: a new task) and waits until the new one answers. */
export async function restartManager(ctx: ExperimentContext): Promise<void> {
  await updateManager(ctx, (spec) => {
    spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
  });
}

/**
 * Sets one variable of the manager's environment (undefined: removes it; a function gets the
 * current value and returns the new one), which restarts the manager, and waits until the new task answers. Also forces the restart when the value is the
 * same, so the manager always starts fresh. Returns the value it had before.
 */
export async function setManagerEnv(
  ctx: ExperimentContext,
  name: string,
  next: string | undefined | ((previous: string | undefined) => string | undefined),
): Promise<string | undefined> {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`manager env: ${JSON.stringify(name)} is not a variable name`);
  let previous: string | undefined;
  await updateManager(ctx, (spec) => {
    const env = spec.TaskTemplate.ContainerSpec.Env ?? [];
    previous = env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
    const value = typeof next === 'function' ? next(previous) : next;
    spec.TaskTemplate.ContainerSpec.Env = [...env.filter((e) => !e.startsWith(`${name}=`)), ...(value === undefined ? [] : [`${name}=${value}`])];
    spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
  });
  return previous;
}

/**
 * SIGKILLs the manager's container (no shutdown code runs: whatever it held only in memory is
 * lost) and waits until swarm's replacement task answers. Returns when it was killed, epoch ms.
 */
export async function killManager(ctx: ExperimentContext): Promise<number> {
  const node = ctx.nodes.get(ctx.lab.swarm.manager.name);
  if (!node) throw new Error(`no Docker client for the manager node ${ctx.lab.swarm.manager.name}`);
  const before = new Set(await runningTaskIds(ctx));
  const [mgr] = (await node.listContainers({ filters: { label: [`com.docker.swarm.service.name=${MANAGER_SERVICE}`], status: ['running'] } })) as { Id: string }[];
  if (!mgr) throw new Error(`no running ${MANAGER_SERVICE} container on ${ctx.lab.swarm.manager.name}`);
  await node.getContainer(mgr.Id).kill({ signal: 'SIGKILL' });
  const killedAt = Date.now();
  await newManagerTask(ctx, before, 'manager restarted by swarm after SIGKILL and healthy');
  return killedAt;
}
