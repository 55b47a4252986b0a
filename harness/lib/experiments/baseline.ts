import { AvailabilityProbe } from '../probe.ts';
import { reactiveMttr, summarizeDowntime } from '../downtime.ts';
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
  try {
    const probe = new AvailabilityProbe({
      url: `${lab.entrypoint}${lab.app.healthcheck.path}`,
      intervalMs: lab.experiments.probe_interval_ms,
      timeoutMs: lab.experiments.probe_timeout_ms,
      durationMs: STEADY_MS + RECOVERY_LIMIT_MS + 5000,
    });
    probe.start();
    await sleep(STEADY_MS);
    const nodeDocker = ctx.nodes.get(task.node);
    if (!nodeDocker) throw new Error(`no Docker client for node ${task.node}`);
    const oldId = task.containerId.slice(0, 12);
    ctx.log(`baseline #${iteration}: kill -9 of ${oldId} on ${task.node}`);
    const killedAt = epochNow();
    await nodeDocker.getContainer(task.containerId).kill({ signal: 'SIGKILL' });
    await waitFor(
      'a new container serving through the entrypoint',
      async () => reactiveMttr(probe.snapshot(), killedAt, oldId) ?? undefined,
      { timeoutMs: RECOVERY_LIMIT_MS, intervalMs: 100 },
    ).catch(() => undefined); // judged below from the samples, also when it never recovered
    await sleep(1000);
    const result = await probe.stop();
    const samples = result.samples;
    const mttr = reactiveMttr(samples, killedAt, oldId);
    const down = summarizeDowntime(samples.filter((s) => s.sentAt >= startedAt));
    const after = await appTasks(docker, lab.app.service);
    const replacement = after.find((t) => t.state === 'running' && !t.containerId.startsWith(oldId));
    const record = {
      experiment: 'baseline',
      iteration,
      params: { killed: oldId, node: task.node, signal: 'SIGKILL', probeIntervalMs: lab.experiments.probe_interval_ms, probeTimeoutMs: lab.experiments.probe_timeout_ms },
      startedAt,
      endedAt: epochNow(),
      events: [],
      probes: { summary: { samples: samples.length, failed: down.failed, downtimeMs: down.downtimeMs, jitter: result.jitter } },
      outcome: mttr ? ('passed' as const) : ('error' as const),
      ...(mttr ? {} : { error: `no new container served within ${RECOVERY_LIMIT_MS} ms of the kill` }),
      measurements: {
        mttr_ms: mttr?.mttrMs ?? null,
        downtime_ms: down.downtimeMs,
        failed_requests: down.failed,
      },
      slo: [],
      marks: [{ label: 'kill -9', t: killedAt }, ...(mttr ? [{ label: 'recovered', t: mttr.recoveredBy.sentAt }] : [])],
    };
    ctx.log(`baseline #${iteration}: MTTR ${mttr ? `${(mttr.mttrMs / 1000).toFixed(2)} s` : 'not recovered'}, downtime ${down.downtimeMs.toFixed(0)} ms, ${down.failed} failed; replacement on ${replacement?.node ?? '?'}`);
    return { record, probes: [{ source: 'control', samples }] };
  } finally {
    await setServiceShape(docker, MANAGER_SERVICE, { replicas: 1 });
    await waitHealthy(lab, docker);
  }
}
