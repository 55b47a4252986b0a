// Local benchmark of the agent's in-process work per cycle (no Docker, no network): listing,
// parsing each container's stats JSON as dockerode would, metric math, rules, report
// serialisation and InfluxDB line protocol. Run: npx tsx system/agent/bench.ts --local [cycles]
// The lab benchmark (real daemon, 1/20/50 idle containers, agent CPU % and RSS) is system/agent/bench.ts.
import { Writable } from 'node:stream';
import { EventLogger, nowMs } from '../../shared/event-logger.ts';
import { rulesConfigSchema } from '../../shared/rules-schema.ts';
import { Agent } from '../src/agent.ts';
import { toPoint } from '../src/influx-metrics-sink.ts';
import type { ContainerRef, ContainerStatsPort, CpuLimits, MetricPoint, NodeInfo, RawStats } from '../src/types.ts';

const cycles = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 300);
const warmup = 20;

/** A stats body shaped like a real cgroup v2 one-shot answer (about 2 KB of JSON). */
function statsBody(id: string, t: number, n: number): string {
  const cpu = n * 1e7 + (t - 1.7e12) * 1e5;
  return JSON.stringify({
    read: new Date(t).toISOString(),
    preread: '0001-01-01T00:00:00Z',
    pids_stats: { current: 12, limit: 4096 },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'read', value: 1234 }] },
    num_procs: 0,
    cpu_stats: { cpu_usage: { total_usage: cpu, usage_in_kernelmode: cpu / 4, usage_in_usermode: cpu / 2 }, system_cpu_usage: t * 4e6, online_cpus: 4, throttling_data: { periods: 10, throttled_periods: 0, throttled_time: 0 } },
    precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: {
      usage: 52_428_800 + n,
      stats: Object.fromEntries(['active_anon', 'active_file', 'anon', 'file', 'inactive_anon', 'inactive_file', 'kernel_stack', 'pgfault', 'pgmajfault', 'shmem', 'slab', 'sock', 'unevictable', 'workingset_refault_file'].map((k, i) => [k, 4096 * (i + 1)])),
      limit: 536_870_912,
    },
    name: `/web.${n}.${id.slice(0, 25)}`,
    id,
    networks: { eth0: { rx_bytes: t % 1e9, rx_packets: 100, rx_errors: 0, rx_dropped: 0, tx_bytes: t % 1e8, tx_packets: 90, tx_errors: 0, tx_dropped: 0 } },
  });
}

class BenchPort implements ContainerStatsPort {
  private readonly refs: ContainerRef[];
  constructor(count: number) {
    this.refs = Array.from({ length: count }, (_, n) => ({
      id: (n + 1).toString(16).padStart(8, '0').repeat(8),
      service: 'bench_web',
      task: `task${n}`.padEnd(25, '0'),
      labels: { 'com.docker.swarm.service.name': 'bench_web', 'com.docker.swarm.task.id': `task${n}` },
    }));
  }
  async nodeInfo(): Promise<NodeInfo> {
    return { name: 'bench', nodeId: 'b', cores: 4 };
  }
  async listContainers(): Promise<ContainerRef[]> {
    return this.refs.map((r) => ({ ...r }));
  }
  async stats(id: string): Promise<RawStats | null> {
    return JSON.parse(statsBody(id, nowMs(), this.refs.length)) as RawStats;
  }
  async cpuLimits(): Promise<CpuLimits | null> {
    return { nanoCpus: 5e8, cpuQuota: 0, cpuPeriod: 0 };
  }
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (pos - lo);
}

const results: { containers: number; median: number; p95: number; max: number; cpuMsPerCycle: number }[] = [];
for (const count of [1, 20, 50]) {
  let lineBytes = 0;
  const agent = new Agent({
    port: new BenchPort(count),
    alerts: { send: async () => ({ ok: true, attempts: 1 }) },
    reports: { send: (r) => void JSON.stringify(r) },
    metrics: {
      write: (points: readonly MetricPoint[]) => {
        for (const p of points) lineBytes += toPoint(p).toLineProtocol()?.length ?? 0;
      },
      close: async () => {},
    },
    events: new EventLogger('agent', 'bench', new Writable({ write: (_c, _e, done) => done() })),
    clock: { now: nowMs },
    node: { name: 'bench', cores: 4 },
    rules: rulesConfigSchema.parse({}),
  });
  const durations: number[] = [];
  let cpuMicros = 0;
  for (let i = 0; i < warmup + cycles; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await agent.runCycle();
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (i >= warmup) {
      durations.push(elapsed);
      cpuMicros += used.user + used.system;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  durations.sort((a, b) => a - b);
  results.push({
    containers: count,
    median: quantile(durations, 0.5),
    p95: quantile(durations, 0.95),
    max: durations[durations.length - 1],
    cpuMsPerCycle: cpuMicros / 1000 / cycles,
  });
  void lineBytes;
}

console.log(`agent cycle, in-process work only (fake port, ${cycles} cycles after ${warmup} warm-up), node ${process.version}`);
console.log('containers  median ms  p95 ms  max ms  CPU ms/cycle');
for (const r of results) {
  console.log(
    `${String(r.containers).padStart(10)}  ${r.median.toFixed(3).padStart(9)}  ${r.p95.toFixed(3).padStart(6)}  ${r.max.toFixed(2).padStart(6)}  ${r.cpuMsPerCycle.toFixed(3).padStart(12)}`,
  );
}
console.log(`RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MB (includes tsx)`);
