import { ProbeSet } from '../probe-set.ts';
import { summarizeProbeSources } from '../probe-summary.ts';
import { reactiveMttr } from '../downtime.ts';
import { appTasks, resetApp, setServiceShape } from '../app-control.ts';
import { MANAGER_SERVICE } from '../system-specs.ts';
import { runningTasks, waitHealthy } from '../deploy.ts';
import { waitFor } from '../wait-for.ts';
import { epochNow, sleep, type ExperimentContext, type IterationResult } from './context.ts';

const STEADY_MS = 2000;
const RECOVERY_LIMIT_MS = 60_000;

/**
 * Docker Swarm's own, reactive recovery: SwarmGuard's manager is stopped, the app's task is killed
 * with SIGKILL on its node, and the probe measures until a new container serves traffic.
 */
export async function baselineIteration(ctx: ExperimentContext, iteration: number): Promise<IterationResult> {
  const { lab, docker } = ctx;
  const startedAt = epochNow();
  const [task] = await resetApp(lab, docker);
  await setServiceShape(docker, MANAGER_SERVICE, { replicas: 0 });
  await waitFor('manager stopped', async () => (await runningTasks(docker, MANAGER_SERVICE)).length === 0, { timeoutMs: 30_000 });
  let probes: ProbeSet | undefined;
  try {
    probes = await ProbeSet.start(lab, { durationMs: STEADY_MS + RECOVERY_LIMIT_MS + 5000, experiment: 'baseline', runId: `baseline-${iteration}-${Date.now().toString(36)}`, log: ctx.log });
    await sleep(STEADY_MS);
    const nodeDocker = ctx.nodes.get(task.node);
    if (!nodeDocker) throw new Error(`no Docker client for node ${task.node}`);
    const oldId = task.containerId.slice(0, 12);
    ctx.log(`baseline #${iteration}: kill -9 of ${oldId} on ${task.node}; probing from ${probes.sources.join(', ')}`);
    const killedAt = epochNow();
    await nodeDocker.getContainer(task.containerId).kill({ signal: 'SIGKILL' });
    const live = probes;
    await waitFor(
      'a new container serving through the entrypoint',
      async () => reactiveMttr(await live.poll(), killedAt, oldId) ?? undefined,
      { timeoutMs: RECOVERY_LIMIT_MS, intervalMs: 100 },
    ).catch(() => undefined); // judged below from the samples, also when it never recovered
    await sleep(1000);
    const { summary, batches, samples } = summarizeProbeSources(await probes.stop(), startedAt);
    // recovered when any source is served by the replacement: every source is on the control clock
    const mttr = reactiveMttr(samples, killedAt, oldId);
    const after = await appTasks(docker, lab.app.service);
    const replacement = after.find((t) => t.state === 'running' && !t.containerId.startsWith(oldId));
    const record = {
      experiment: 'baseline',
      iteration,
      params: { killed: oldId, node: task.node, signal: 'SIGKILL', probeIntervalMs: lab.experiments.probe_interval_ms, probeTimeoutMs: lab.experiments.probe_timeout_ms, probeSources: Object.keys(summary.sources) },
      startedAt,
      endedAt: epochNow(),
      events: [],
      probes: { summary },
      outcome: mttr ? ('passed' as const) : ('error' as const),
      ...(mttr ? {} : { error: `no new container served within ${RECOVERY_LIMIT_MS} ms of the kill` }),
      measurements: {
        mttr_ms: mttr?.mttrMs ?? null,
        downtime_ms: summary.downtimeMs,
        failed_requests: summary.failed,
      },
      slo: [],
      marks: [{ label: 'kill -9', t: killedAt }, ...(mttr ? [{ label: 'recovered', t: mttr.recoveredBy.sentAt }] : [])],
    };
    ctx.log(
      `baseline #${iteration}: MTTR ${mttr ? `${(mttr.mttrMs / 1000).toFixed(2)} s` : 'not recovered'}, downtime ${summary.downtimeMs.toFixed(0)} ms, ` +
        `failed ${Object.entries(summary.sources).map(([k, v]) => `${k} ${v.failed}/${v.samples}`).join(', ')}; replacement on ${replacement?.node ?? '?'}`,
    );
    return { record, probes: batches };
  } finally {
    await probes?.stop().catch((err: Error) => ctx.log(`baseline #${iteration}: stopping the probes: ${err.message}`));
    await setServiceShape(docker, MANAGER_SERVICE, { replicas: 1 });
    await waitHealthy(lab, docker);
  }
}
