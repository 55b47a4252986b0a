import { Periodic } from './periodic.ts';
import type { Clock } from './clock.ts';
import type { RecoveryManager } from './recovery-manager.ts';
import type { NodeInfo } from './swarm-port.ts';

/** What the manager knows of one node's health: swarm's `Status.State` and whether its agent reports. */
export interface NodeHealth {
  state: string;
  reporting: boolean;
}

export interface NodeChange {
  event: 'node_state_changed' | 'agent_reports_stopped' | 'agent_reports_resumed';
  node: string;
  fields: Record<string, unknown>;
}

/**
 * The changes between two pictures of the nodes (pure). A node missing from `prev` counts as Ready and
 * not yet reporting, so that a first picture only speaks of nodes that are not Ready.
 */
export function nodeChanges(prev: ReadonlyMap<string, NodeHealth>, next: ReadonlyMap<string, NodeHealth>): NodeChange[] {
  const out: NodeChange[] = [];
  for (const [node, now] of next) {
    const before = prev.get(node);
    const fromState = before?.state ?? 'ready';
    if (now.state !== fromState) {
      out.push({ event: 'node_state_changed', node, fields: { from: fromState, to: now.state, unreachable: now.state !== 'ready' } });
    }
    if (before?.reporting && !now.reporting) out.push({ event: 'agent_reports_stopped', node, fields: { swarmState: now.state } });
    if (before && !before.reporting && now.reporting) out.push({ event: 'agent_reports_resumed', node, fields: { swarmState: now.state } });
  }
  for (const [node, before] of prev) {
    if (!next.has(node)) out.push({ event: 'node_state_changed', node, fields: { from: before.state, to: 'removed', unreachable: true } });
  }
  return out;
}

export function healthOf(nodes: readonly NodeInfo[], reporting: ReadonlyMap<string, number>): Map<string, NodeHealth> {
  return new Map(nodes.map((n) => [n.hostname, { state: n.state, reporting: reporting.has(n.hostname) }]));
}

/**
 * Every `intervalMs`: refreshes the swarm inventory and logs each node that swarm no longer sees
 * Ready (`node_state_changed`, `unreachable: true`) or whose agent stopped reporting for longer than
 * the metrics TTL (`agent_reports_stopped`), and their recoveries. The refreshed node list is also
 * what migration placement reads, so a dead node drops out of the candidates within one interval.
 */
export class NodeWatch {
  private known = new Map<string, NodeHealth>();
  private readonly loop: Periodic;

  constructor(
    private readonly manager: RecoveryManager,
    private readonly clock: Clock,
    intervalMs: () => number,
  ) {
    this.loop = new Periodic(intervalMs, () => this.tick(), (error) => this.manager.events.event('swarm_error', { error: error.message, during: 'node watch' }));
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  async tick(): Promise<NodeChange[]> {
    await this.manager.inventory.refresh();
    const now = this.clock.now();
    const reporting = this.manager.metrics.reportingNodes(now);
    const next = healthOf(this.manager.inventory.nodeList(), reporting);
    const changes = nodeChanges(this.known, next);
    const lastSeen = this.manager.metrics.lastSeen();
    for (const c of changes) {
      const seen = lastSeen.get(c.node);
      this.manager.events.event(c.event, { hostname: c.node, ...c.fields, ...(seen !== undefined ? { lastReportAt: seen, silentForMs: Math.round(now - seen) } : {}) });
    }
    this.known = next;
    return changes;
  }
}
