/**
 * The agent on the real local lab: a global service with one task per
 * node; a web-stress task under CPU stress (limit 0.5 CPU, target 85 %) makes the agent on that
 * task's node log T0 (breach_detected) and T1 (alert_sent) with the agent's own reaction time
 * T1 − confirmedAt < 50 ms, and its metrics reach the lab's time-series store (VictoriaMetrics,
 * written with the InfluxDB 2 client).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { loadLab, swarmNodes, type LabConfig } from '../../lib/config/lab-config.ts';
import { managerDocker, nodeDockers } from '../../lib/cluster/docker-clients.ts';
import { deploySystem } from '../../lib/cluster/deploy.ts';
import { DockerSwarm } from '../../lib/cluster/docker-swarm.ts';
import { resetApp, stopAllStress, nodeNames, type AppTask } from '../../lib/cluster/app-control.ts';
import { scrapeEvents } from '../../lib/events/log-scraper.ts';
import { AGENT_SERVICE } from '../../lib/config/system-specs.ts';
import { waitFor } from '../../lib/events/wait-for.ts';
import type { TimingEvent } from '../../lib/config/types.ts';

let lab: LabConfig;
let docker: Docker;
let swarm: DockerSwarm;
const log = (line: string) => console.log(`[agent lab] ${line}`);

beforeAll(async () => {
  lab = await loadLab();
  docker = managerDocker(lab);
  swarm = new DockerSwarm(docker);
  const { seconds } = await deploySystem(lab);
  log(`system deployed in ${seconds.toFixed(1)} s`);
});

afterAll(async () => {
  if (!lab) return;
  await stopAllStress(lab);
  await resetApp(lab, swarm).catch((err: unknown) => log(`resetApp after the test: ${String(err)}`));
  await stopAllStress(lab);
});

interface RawTask {
  NodeID: string;
  Status: { State: string };
}

describe('swarmguard-agent on the lab', () => {
  it('runs as a global service: one running task on each of the 4 nodes', async () => {
    const names = await nodeNames(swarm);
    const tasks = (await docker.listTasks({ filters: { service: [AGENT_SERVICE], 'desired-state': ['running'] } })) as RawTask[];
    const running = tasks.filter((t) => t.Status.State === 'running');
    const nodes = running.map((t) => names.get(t.NodeID) ?? t.NodeID).sort();
    log(`agent tasks running on: ${nodes.join(', ')}`);
    expect(nodes).toEqual(swarmNodes(lab).map((n) => n.name).sort());
    const spec = (await docker.getService(AGENT_SERVICE).inspect()) as { Spec: { Mode: { Global?: object } } };
    expect(spec.Spec.Mode.Global).toBeDefined();
  });

  it('reads container counters from the host’s cgroup files on every node (stats_source auto with the mounts)', async () => {
    const started = (await scrapeEvents(docker, 0, [AGENT_SERVICE], nodeDockers(lab))).filter((e) => e.event === 'agent_started');
    const latest = new Map<string, TimingEvent>();
    for (const e of started) if ((latest.get(e.node)?.t ?? -Infinity) < e.t) latest.set(e.node, e);
    for (const [node, e] of [...latest].sort()) log(`${node}: stats source ${String(e.statsSource)} (${String(e.statsSourceReason)})`);
    expect([...latest.keys()].sort()).toEqual(swarmNodes(lab).map((n) => n.name).sort());
    expect([...latest.values()].map((e) => e.statsSource)).toEqual(Array(latest.size).fill('cgroup'));
  });

  it('alerts from the stressed task’s node (T1 − confirmedAt < 50 ms) and stores its metrics in VictoriaMetrics', async () => {
    const tasks: AppTask[] = await resetApp(lab, swarm);
    expect(tasks).toHaveLength(1);
    const node = tasks[0].node;
    const container = tasks[0].containerId.slice(0, 12);
    const { poll_interval: pollS } = lab.swarmguard.config.monitoring;
    const needed = lab.swarmguard.config.scenarios.scenario1_migration.consecutive_breaches;
    const since = Date.now();
    const res = await fetch(`${lab.entrypoint}/stress/cpu?target=85&duration=20&ramp=2`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-node')).toBe(node);
    log(`CPU stress 85 % (ramp 2 s) on web-stress task ${container} on ${node}`);

    // T0 and T1 of the agent on that node, for that container
    const found = await waitFor(
      `breach_detected + alert_sent from the agent on ${node}`,
      async () => {
        const events = (await scrapeEvents(docker, since, [AGENT_SERVICE], nodeDockers(lab))).filter((e) => e.node === node && e.service === lab.app.service);
        const t0 = events.find((e) => e.event === 'breach_detected' && e.container === container);
        const t1 = t0 && events.find((e) => e.event === 'alert_sent' && e.alertId === t0.alertId);
        return t0 && t1 ? { t0, t1, events } : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 1000 },
    );
    const { t0, t1 } = found as { t0: TimingEvent; t1: TimingEvent };
    const confirmedAt = t0.confirmedAt as number;
    const reaction = t1.t - confirmedAt;
    const t1MinusT0 = t1.t - t0.t;
    log(`T0 ${new Date(t0.t).toISOString()} (count ${String(t0.count)}, scenario ${String(t0.scenario)}), alert ${t0.alertId}`);
    log(`T1 − confirmedAt = ${reaction.toFixed(2)} ms (the agent's own reaction, limit 50 ms)`);
    log(`T1 − T0 = ${t1MinusT0.toFixed(1)} ms (includes ${needed - 1} poll interval(s) of waiting for ${needed} consecutive breaches; limit ${pollS * 1000 * needed + 200} ms)`);
    log(`first breach after the stress request: ${(t0.t - since).toFixed(0)} ms`);
    const delivered = (await scrapeEvents(docker, since, [AGENT_SERVICE], nodeDockers(lab))).find((e) => e.alertId === t0.alertId && (e.event === 'alert_delivered' || e.event === 'alert_failed'));
    log(`delivery: ${delivered ? `${delivered.event} ${JSON.stringify({ ms: delivered.ms, attempts: delivered.attempts, status: delivered.status, reason: delivered.reason })}` : 'not logged yet'}`);
    expect(t0.node).toBe(node);
    expect(t0.scenario).toBe('scenario1_migration');
    expect(typeof confirmedAt).toBe('number');
    expect(confirmedAt).toBeGreaterThanOrEqual(t0.t);
    expect(t1.t).toBeGreaterThanOrEqual(confirmedAt);
    expect(reaction).toBeLessThan(50);
    expect(t1MinusT0).toBeLessThan(pollS * 1000 * needed + 200);
    expect(t1.bytes as number).toBeLessThan(500);

    // the same node's metrics of web-stress in the time-series store, above 50 % during the stress
    const match = `container_metrics_cpu_percent{node="${node}",service_name="${lab.app.service}"}`;
    const url = `${lab.influxdb.url}/api/v1/export?match[]=${encodeURIComponent(match)}&start=${Math.floor(since / 1000) - 1}`;
    const stored = await waitFor(
      `${match} > 50 in VictoriaMetrics`,
      async () => {
        const text = (await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text()).trim();
        const series = text ? text.split('\n').map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] }) : [];
        const points = series.flatMap((s) => s.values.map((v, i) => ({ v, t: s.timestamps[i], container: s.metric.container_id })));
        const high = points.filter((p) => p.t >= since && p.v > 50);
        return high.length > 0 ? { points, high } : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2000 },
    );
    const peak = Math.max(...stored.high.map((p) => p.v));
    log(`VictoriaMetrics: ${stored.points.length} points of ${match} since the stress, ${stored.high.length} above 50 % (peak ${peak.toFixed(1)} %)`);
    expect(stored.high.some((p) => p.container === container)).toBe(true);
  });
});
