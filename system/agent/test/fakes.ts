import { Writable } from 'node:stream';
import type { Alert } from '../../shared/alert-schema.ts';
import { EventLogger } from '../../shared/event-logger.ts';
import { rulesConfigSchema, type RulesConfig } from '../../shared/rules-schema.ts';
import type {
  AlertOutcome,
  AlertSink,
  Clock,
  ContainerRef,
  ContainerStatsPort,
  CpuLimits,
  MetricPoint,
  MetricsSink,
  NodeInfo,
  RawStats,
} from '../src/types.ts';
import type { Report } from '../../shared/alert-schema.ts';

export const T_START = 1_795_373_000_000;

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(public t = T_START) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export function hexId(n: number): string {
  return n.toString(16).padStart(4, '0').repeat(16);
}

export interface Cumulative {
  /** Epoch ms the daemon read the counters; omitted → no `read` field. */
  t?: number;
  cpuNs: number;
  rx?: number;
  tx?: number;
  usage?: number;
  limit?: number;
  inactive?: number;
  cgroup?: 'v1' | 'v2';
}

export function rawStats(c: Cumulative): RawStats {
  const inactiveKey = c.cgroup === 'v1' ? 'total_inactive_file' : 'inactive_file';
  return {
    ...(c.t !== undefined ? { read: new Date(c.t).toISOString() } : {}),
    cpu_stats: { cpu_usage: { total_usage: c.cpuNs }, online_cpus: 4 },
    memory_stats: { usage: c.usage ?? 0, limit: c.limit ?? 0, stats: { [inactiveKey]: c.inactive ?? 0 } },
    networks: { eth0: { rx_bytes: c.rx ?? 0, tx_bytes: c.tx ?? 0 } },
  };
}

export interface FakeContainer {
  ref: ContainerRef;
  limits: CpuLimits | null;
  /** What the next stats() call answers; a function to follow the fake clock. */
  stats: () => RawStats | null | Promise<RawStats | null>;
}

export function container(n: number, opts: Partial<ContainerRef> & { limits?: CpuLimits | null } = {}): FakeContainer {
  return {
    ref: {
      id: opts.id ?? hexId(n),
      service: opts.service ?? `svc-${n}`,
      task: opts.task ?? `task${n}`.padEnd(25, 'x'),
      labels: opts.labels ?? {},
    },
    limits: opts.limits === undefined ? { nanoCpus: 0, cpuQuota: 0, cpuPeriod: 0 } : opts.limits,
    stats: () => rawStats({ cpuNs: 0 }),
  };
}

/** In-memory ContainerStatsPort: the test edits `containers` between cycles. */
export class FakePort implements ContainerStatsPort {
  containers: FakeContainer[] = [];
  calls = { list: 0, stats: 0, limits: new Map<string, number>() };

  constructor(readonly info: NodeInfo = { name: 'worker-1', nodeId: 'n1', cores: 4 }) {}

  async nodeInfo(): Promise<NodeInfo> {
    return this.info;
  }
  async listContainers(): Promise<ContainerRef[]> {
    this.calls.list += 1;
    return this.containers.map((c) => c.ref);
  }
  async stats(id: string): Promise<RawStats | null> {
    this.calls.stats += 1;
    const c = this.containers.find((x) => x.ref.id === id);
    return c ? c.stats() : null;
  }
  async cpuLimits(id: string): Promise<CpuLimits | null> {
    this.calls.limits.set(id, (this.calls.limits.get(id) ?? 0) + 1);
    const c = this.containers.find((x) => x.ref.id === id);
    return c ? c.limits : null;
  }
}

export class RecordingAlertSink implements AlertSink {
  sent: { alert: Alert; at: number }[] = [];
  constructor(
    private readonly clock: Clock,
    private readonly answer: () => Promise<AlertOutcome> = async () => ({ ok: true, attempts: 1, status: 202 }),
  ) {}
  send(alert: Alert): Promise<AlertOutcome> {
    this.sent.push({ alert, at: this.clock.now() });
    return this.answer();
  }
}

export class RecordingReportSink {
  reports: Report[] = [];
  send(report: Report): void {
    this.reports.push(report);
  }
}

export class RecordingMetricsSink implements MetricsSink {
  points: MetricPoint[] = [];
  write(points: readonly MetricPoint[]): void {
    this.points.push(...points);
  }
  async close(): Promise<void> {}
}

/** An EventLogger that writes nowhere; read its events with since(). */
export function quietEvents(node = 'worker-1'): EventLogger {
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  return new EventLogger('agent', node, sink);
}

export function rules(overrides: Record<string, unknown> = {}): RulesConfig {
  return rulesConfigSchema.parse(overrides);
}
