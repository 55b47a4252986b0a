import { tcpOpen } from '../../../lab/lab-services.ts';
import { AGENT_SERVICE, MANAGER_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset } from '../../config/types.ts';
import { epochNow, type ExperimentContext, type IterationResult } from '../context.ts';
import { scenario1Iteration } from '../scenario1.ts';
import { defineExperiment } from '../experiment.ts';
import { canFailTsdb } from '../../cluster/node-faults.ts';

/** Tasks of a service created after `since` (epoch ms): each one a start of a new container. */
async function tasksCreatedSince(ctx: ExperimentContext, service: string, since: number): Promise<number> {
  const tasks = await ctx.cluster.tasks({ service });
  return tasks.filter((t) => Date.parse(t.createdAt) > since).length;
}

/**
 * Time-series store down: the store is stopped (the local lab's VictoriaMetrics by SIGTERM, a
 * remote lab's by faults.tsdb's command over SSH) for a whole scenario-1 CPU iteration and always
 * started again afterwards. The migration must complete
 * as in a normal run; agents and manager must not restart (the manager's one restart is the one
 * every scenario-1 iteration does at its start).
 */
export async function tsdbDownIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[]): Promise<IterationResult> {
  const { lab } = ctx;
  const faults = ctx.cluster.storeFaults();
  const { hostname, port: portText, protocol } = new URL(lab.influxdb.url);
  const port = Number(portText || (protocol === 'https:' ? 443 : 80));
  if (!(await tcpOpen(hostname, port))) throw new Error(`the time-series store is not listening before the experiment (${lab.influxdb.url})`);
  const startedAt = epochNow();
  let inner: IterationResult;
  let downThroughout: boolean;
  let stoppedAt: number;
  try {
    ctx.log(`tsdb-down #${iteration}: stopping the time-series store (${faults.how})`);
    await faults.stop();
    stoppedAt = epochNow();
    if (await tcpOpen(hostname, port)) throw new Error(`${lab.influxdb.url} still accepts connections after VictoriaMetrics was stopped`);
    inner = await scenario1Iteration(ctx, iteration, 'cpu', offsets);
    downThroughout = !(await tcpOpen(hostname, port));
  } finally {
    try {
      ctx.log(`tsdb-down #${iteration}: time-series store started again (${(await faults.start()).split('\n').at(-1)})`);
    } finally {
      faults.close();
    }
  }
  const downMs = epochNow() - stoppedAt;
  const agentEvents = await ctx.cluster.timingEvents(stoppedAt, [AGENT_SERVICE]);
  const failedNodes = new Set(agentEvents.filter((e) => e.event === 'influx_write_failed').map((e) => e.node));
  const agentStarts = await tasksCreatedSince(ctx, AGENT_SERVICE, startedAt);
  const managerStarts = await tasksCreatedSince(ctx, MANAGER_SERVICE, startedAt);
  const taskRestarts = agentStarts + Math.max(0, managerStarts - 1);
  const r = inner.record;
  const problems = [
    ...(r.error ? [r.error] : []),
    ...(downThroughout ? [] : ['the time-series store was listening again before the iteration ended']),
    ...(taskRestarts ? [`${agentStarts} agent and ${managerStarts} manager task(s) started during the iteration (1 manager start expected)`] : []),
  ];
  const record = {
    ...r,
    experiment: 'tsdb-down',
    params: { ...r.params, tsdb: lab.influxdb.url, fault: faults.how, tsdbDownMs: Math.round(downMs), agentsReportingInfluxFailure: [...failedNodes].sort() },
    outcome: problems.length ? ('error' as const) : r.outcome,
    ...(problems.length ? { error: problems.join('; ') } : {}),
    measurements: { ...r.measurements, tsdb_down_ms: downMs, task_restarts: taskRestarts, influx_failure_nodes: failedNodes.size },
    marks: [{ label: 'TSDB stopped', t: stoppedAt }, ...(r.marks ?? [])],
  };
  ctx.log(`tsdb-down #${iteration}: TSDB down ${(downMs / 1000).toFixed(1)} s, ${failedNodes.size} agent(s) logged influx_write_failed, ${taskRestarts} task restarts${problems.length ? `; ERROR ${problems.join('; ')}` : ''}`);
  return { record, probes: inner.probes };
}

// the local lab's VictoriaMetrics, or a remote lab's store over SSH (lab.yaml's faults.tsdb)
export const tsdbDown = defineExperiment({
  name: 'tsdb-down',
  title: 'time-series store down: migration and its latencies as in a normal scenario-1 run',
  variants: [{ label: 'TSDB down', run: (ctx, i, o) => tsdbDownIteration(ctx, i, o), supports: canFailTsdb }],
  thresholds: [
    { name: 'tsdb-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, description: 'TSDB down: the migration loses no request' },
    { name: 'tsdb-alert-latency', metric: 'alert_latency_max_ms', op: '<', limit: 1_000, description: 'TSDB down: alert latency T2 − T1 < 1 s, as with the store up' },
    { name: 'tsdb-decision-latency', metric: 'decision_latency_max_ms', op: '<', limit: 1_000, description: 'TSDB down: decision latency T3 − T2 < 1 s, as with the store up' },
    { name: 'tsdb-no-restarts', metric: 'task_restarts', op: '==', limit: 0, description: 'TSDB down: no agent or manager task restarts' },
  ],
});
