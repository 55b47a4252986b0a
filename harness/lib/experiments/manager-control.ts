import { MANAGER_SERVICE } from '../config/system-specs.ts';
import { waitFor } from '../events/wait-for.ts';
import type { ServiceChange, ServiceView } from '../cluster/types.ts';
import type { ExperimentContext } from './context.ts';

async function runningTaskIds(ctx: ExperimentContext): Promise<string[]> {
  const tasks = await ctx.cluster.tasks({ service: MANAGER_SERVICE, desiredState: 'running' });
  return tasks.filter((t) => t.state === 'running').map((t) => t.id);
}

/** Updates the manager's spec (the change must start a new task) and waits until the new task answers. */
async function updateManager(ctx: ExperimentContext, change: (current: ServiceView) => ServiceChange): Promise<void> {
  const before = new Set(await runningTaskIds(ctx));
  await ctx.cluster.updateService(MANAGER_SERVICE, change);
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
  await updateManager(ctx, () => ({ forceUpdate: true }));
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
  await updateManager(ctx, (current) => {
    previous = current.env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
    const value = typeof next === 'function' ? next(previous) : next;
    return { env: { [name]: value }, forceUpdate: true };
  });
  return previous;
}

/**
 * SIGKILLs the manager's container (no shutdown code runs: whatever it held only in memory is
 * lost) and waits until swarm's replacement task answers. Returns when it was killed, epoch ms.
 */
export async function killManager(ctx: ExperimentContext): Promise<number> {
  const node = ctx.lab.swarm.manager.name;
  if (!ctx.cluster.hasNode(node)) throw new Error(`no Docker client for the manager node ${node}`);
  const before = new Set(await runningTaskIds(ctx));
  const [mgr] = await ctx.cluster.containers(node, { service: MANAGER_SERVICE, running: true });
  if (!mgr) throw new Error(`no running ${MANAGER_SERVICE} container on ${node}`);
  await ctx.cluster.kill(node, mgr.id, 'SIGKILL');
  const killedAt = Date.now();
  await newManagerTask(ctx, before, 'manager restarted by swarm after SIGKILL and healthy');
  return killedAt;
}
