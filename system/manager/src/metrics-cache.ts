import type { ContainerMetrics } from '../../shared/types.ts';
import type { ColumnReport } from '../../shared/alert-schema.ts';
import { shortId } from './breach-tracker.ts';

export interface CachedMetrics {
  node: string;
  service: string;
  container: string;
  task: string;
  m: ContainerMetrics;
  /** The agent's sample time. */
  t: number;
  /** When the manager received it (manager clock): what expiry is measured against. */
  receivedAt: number;
}

interface Received {
  report: ColumnReport;
  receivedAt: number;
}

function entryAt({ report: r, receivedAt }: Received, i: number): CachedMetrics {
  return {
    node: r.node,
    service: r.service[i],
    container: shortId(r.container[i]),
    task: r.task[i],
    m: { cpu: r.cpu[i], mem: r.mem[i], mem_mb: r.mem_mb[i], net: r.net[i], rx: r.rx[i], tx: r.tx[i] },
    t: r.t,
    receivedAt,
  };
}

/**
 * The latest report of every node, from agent reports. A report replaces everything its node
 * reported before, and expires after `ttlMs`, so a silent agent's containers stop counting.
 *
 * Reports are kept as they arrive, in columns, and entries are made only when read: a manager takes
 * in thousands of containers a second, and reads them when it decides (an alert, a scale-down tick).
 * A container is listed by the node it runs on; should two nodes' fresh reports list the same id
 * (a node renamed, say), it counts for each until one of them stops listing it.
 */
export class MetricsCache {
  /** In the order of each node's last report. */
  private readonly byNode = new Map<string, Received>();
  private readonly nodeSeen = new Map<string, number>();

  constructor(private ttlMs: number) {}

  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  put(report: ColumnReport, receivedAt: number): void {
    this.nodeSeen.set(report.node, receivedAt);
    this.byNode.delete(report.node);
    this.byNode.set(report.node, { report, receivedAt });
  }

  /** Nodes whose agent reported within the TTL, with when. */
  reportingNodes(now: number): Map<string, number> {
    return new Map([...this.nodeSeen].filter(([, at]) => now - at <= this.ttlMs));
  }

  /** When each node's agent last reported (manager clock), expired or not. */
  lastSeen(): ReadonlyMap<string, number> {
    return this.nodeSeen;
  }

  /** The reports within the TTL; expired ones are dropped on the way. */
  private freshReports(now: number): Received[] {
    const out: Received[] = [];
    for (const [node, received] of this.byNode) {
      if (now - received.receivedAt > this.ttlMs) this.byNode.delete(node);
      else out.push(received);
    }
    return out;
  }

  /** Fresh entries only. */
  fresh(now: number): CachedMetrics[] {
    const out: CachedMetrics[] = [];
    for (const received of this.freshReports(now)) for (let i = 0; i < received.report.container.length; i++) out.push(entryAt(received, i));
    return out;
  }

  /** How many containers the fresh reports list. */
  freshCount(now: number): number {
    return this.freshReports(now).reduce((n, r) => n + r.report.container.length, 0);
  }

  forService(service: string, now: number): CachedMetrics[] {
    const out: CachedMetrics[] = [];
    for (const received of this.freshReports(now)) {
      const services = received.report.service;
      for (let i = 0; i < services.length; i++) if (services[i] === service) out.push(entryAt(received, i));
    }
    return out;
  }

  /** Nodes with a fresh report, and the sum of cpu % + memory % of their containers. */
  nodeLoads(now: number): Map<string, { load: number }> {
    const loads = new Map<string, { load: number }>();
    for (const [node, at] of this.nodeSeen) if (now - at <= this.ttlMs) loads.set(node, { load: 0 });
    for (const { report: r } of this.freshReports(now)) {
      const l = loads.get(r.node);
      if (!l) continue;
      for (let i = 0; i < r.cpu.length; i++) l.load += r.cpu[i] + r.mem[i];
    }
    return loads;
  }
}
