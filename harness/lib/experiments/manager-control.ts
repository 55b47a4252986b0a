import { MANAGER_SERVICE } from '../system-specs.ts';
import { waitFor } from '../wait-for.ts';
import type { ExperimentContext } from './context.ts';

interface ServiceInfo {
  Version: { Index: number };
  Spec: { TaskTemplate: { ForceUpdate?: number } };
}

async function runningTaskIds(ctx: ExperimentContext): Promise<string[]> {
  const tasks = (await ctx.docker.listTasks({ filters: { service: [MANAGER_SERVICE], 'desired-state': ['running'] } })) as {
    ID: string;
    Status: { State: string };
  }[];
  return tasks.filter((t) => t.Status.State === 'running').map((t) => t.ID);
}

/** Restarts the manager (a forced update: a new task) and waits until the new one answers. */
export async function restartManager(ctx: ExperimentContext): Promise<void> {
  const svc = ctx.docker.getService(MANAGER_SERVICE);
  const before = new Set(await runningTaskIds(ctx));
  const s = (await svc.inspect()) as ServiceInfo & { Spec: Record<string, unknown> };
  const spec = structuredClone(s.Spec) as ServiceInfo['Spec'] & Record<string, unknown>;
  spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
  await svc.update({ ...spec, version: s.Version.Index });
  await waitFor(
    'manager restarted and healthy',
    async () => {
      const ids = await runningTaskIds(ctx);
      if (ids.length !== 1 || before.has(ids[0])) return false;
      return (await fetch(`${ctx.lab.manager_api}/health`, { signal: AbortSignal.timeout(1000) })).ok;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}
