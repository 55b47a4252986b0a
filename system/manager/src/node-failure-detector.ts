import type { Clock } from './clock.ts';

export interface DetectorOptions {
  /** The agents' report interval (monitoring.poll_interval), ms. */
  reportIntervalMs: number;
  /** Reports a node may miss before it is suspected. */
  missedReports: number;
  /** Probe rounds in a row that must reach none of the node's ports. */
  probeFailures: number;
}

/** One probe round of a node: the `addr:port`s tried and the first that answered, if any. */
export interface ProbeResult {
  tried: string[];
  reachable?: string;
}

export type DetectorEvent =
  | { event: 'node_failure_suspected'; node: string; t0: number; lastReportAt: number; silentForMs: number }
  | { event: 'node_suspicion_cleared'; node: string; silentForMs: number }
  | { event: 'node_failure_ruled_out'; node: string; reachable: string; silentForMs: number }
  | { event: 'node_failure_unconfirmed'; node: string; silentForMs: number }
  | { event: 'node_failure_detected'; node: string; t0: number; silentForMs: number; probesFailed: number; unreachable: string[] };

interface NodeState {
  phase: 'silent' | 'failed';
  /** The first report that did not come: the detection's T0. */
  t0: number;
  failedProbes: number;
  /** Said once per silence: that its ports answer, or that it has none to probe. */
  said: Set<'ruled_out' | 'unconfirmed'>;
}

/**
 * Decides, from two of the manager's own signals, that a node has failed: its agent has missed
 * `missedReports` reports, *and* `probeFailures` probe rounds in a row reached none of its tasks'
 * published ports. Either signal alone is not enough: an agent restarting (silent, ports open) or a
 * busy node (ports slow once, then open) moves nothing. Only nodes whose agent reported at least
 * once are judged, so a manager that just started does not suspect the whole swarm. A failed node
 * stays failed until `restore` is called (the node is back: Ready and reporting). Pure but for the
 * probe, which the caller injects with the clock.
 */
export class NodeFailureDetector {
  private readonly nodes = new Map<string, NodeState>();

  constructor(
    private readonly clock: Clock,
    private readonly options: () => DetectorOptions,
  ) {}

  /** One look at every node that ever reported: `lastSeen` is each one's last report (manager clock). */
  async tick(lastSeen: ReadonlyMap<string, number>, probe: (node: string) => Promise<ProbeResult>): Promise<DetectorEvent[]> {
    const o = this.options();
    const now = this.clock.now();
    const limit = o.missedReports * o.reportIntervalMs;
    const out: DetectorEvent[] = [];
    const toProbe: [string, NodeState, number][] = [];
    for (const [node, last] of lastSeen) {
      const st = this.nodes.get(node);
      if (st?.phase === 'failed') continue;
      const silentForMs = Math.round(now - last);
      if (now - last <= limit) {
        if (st) {
          this.nodes.delete(node);
          out.push({ event: 'node_suspicion_cleared', node, silentForMs });
        }
        continue;
      }
      if (!st) {
        const fresh: NodeState = { phase: 'silent', t0: last + o.reportIntervalMs, failedProbes: 0, said: new Set() };
        this.nodes.set(node, fresh);
        out.push({ event: 'node_failure_suspected', node, t0: fresh.t0, lastReportAt: last, silentForMs });
        toProbe.push([node, fresh, silentForMs]);
      } else toProbe.push([node, st, silentForMs]);
    }
    const results = await Promise.all(toProbe.map(([node]) => probe(node)));
    toProbe.forEach(([node, st, silentForMs], i) => {
      const r = results[i]!;
      if (r.reachable !== undefined) {
        st.failedProbes = 0;
        if (!st.said.has('ruled_out')) out.push({ event: 'node_failure_ruled_out', node, reachable: r.reachable, silentForMs });
        st.said.add('ruled_out');
      } else if (r.tried.length === 0) {
        st.failedProbes = 0;
        if (!st.said.has('unconfirmed')) out.push({ event: 'node_failure_unconfirmed', node, silentForMs });
        st.said.add('unconfirmed');
      } else {
        st.failedProbes += 1;
        if (st.failedProbes >= o.probeFailures) {
          st.phase = 'failed';
          out.push({ event: 'node_failure_detected', node, t0: st.t0, silentForMs, probesFailed: st.failedProbes, unreachable: r.tried });
        }
      }
    });
    return out;
  }

  failed(): string[] {
    return [...this.nodes].filter(([, st]) => st.phase === 'failed').map(([node]) => node);
  }

  isFailed(node: string): boolean {
    return this.nodes.get(node)?.phase === 'failed';
  }

  /** The node is back: judged afresh from its next silence on. */
  restore(node: string): void {
    this.nodes.delete(node);
  }
}
