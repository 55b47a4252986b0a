import type { ContainerMetrics } from '../../shared/types.ts';
import type { Report } from '../../shared/alert-schema.ts';
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

/**
 * The latest metrics of every container, from agent reports. Entries expire after `ttlMs`, so a
 * silent agent's containers stop counting; a report replaces everything its node reported before.
 */
export class MetricsCache {
  private readonly byContainer = new Map<string, CachedMetrics>();
  /**
   * The keys each node's last report put, so a new report replaces them without scanning the whole
   * cache (10,000 containers of 100 nodes: the scan was most of a report's cost). A key may since
   * have expired, or been put by another node's report; `put` checks the entry's node before deleting.
   */
  private readonly keysByNode = new Map<string, string[]>();
  private readonly nodeSeen = new Map<string, number>();

  constructor(private ttlMs: number) {}

  setTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  put(report: Report, receivedAt: number): void {
    const { node } = report;
    this.nodeSeen.set(node, receivedAt);
    for (const key of this.keysByNode.get(node) ?? []) if (this.byContainer.get(key)?.node === node) this.byContainer.delete(key);
    const keys: string[] = [];
    for (const c of report.containers) {
      const container = shortId(c.container);
      keys.push(container);
      this.byContainer.set(container, { node, service: c.service, container, task: c.task, m: c.m, t: report.t, receivedAt });
    }
    this.keysByNode.set(node, keys);
  }

  /** Nodes whose agent reported within the TTL, with when. */
  reportingNodes(now: number): Map<string, number> {
    return new Map([...this.nodeSeen].filter(([, at]) => now - at <= this.ttlMs));
  }

  /** When each node's agent last reported (manager clock), expired or not. */
  lastSeen(): ReadonlyMap<string, number> {
    return this.nodeSeen;
  }

  /** Fresh entries only; expired ones are dropped on the way. */
  fresh(now: number): CachedMetrics[] {
    const out: CachedMetrics[] = [];
    for (const [key, entry] of this.byContainer) {
      if (now - entry.receivedAt > this.ttlMs) this.byContainer.delete(key);
      else out.push(entry);
    }
    return out;
  }

  forService(service: string, now: number): CachedMetrics[] {
    return this.fresh(now).filter((e) => e.service === service);
  }

  /** Nodes with a fresh report, and the sum of cpu % + memory % of their containers. */
  nodeLoads(now: number): Map<string, { load: number }> {
    const loads = new Map<string, { load: number }>();
    for (const [node, at] of this.nodeSeen) if (now - at <= this.ttlMs) loads.set(node, { load: 0 });
    for (const e of this.fresh(now)) {
      const l = loads.get(e.node);
      if (l) l.load += e.m.cpu + e.m.mem;
    }
    return loads;
  }
}
