import type { ReportEntry } from '../../../system/shared/alert-schema.ts';
import { nowMs } from '../../../system/shared/event-logger.ts';
import type { JsonPoster } from './json-poster.ts';
import { mulberry32 } from '../../lib/report/bootstrap.ts';
import type { SwarmLayout } from './swarm-layout.ts';

const tenth = (v: number) => Math.round(v * 10) / 10;

/**
 * Each node's agent report as it goes on the wire, without its time: `body(t)` adds a fresh one, so
 * the manager's breach counter sees a new sample every time (a repeated time is skipped cheaply).
 * About 1 % of the containers breach the migration rule, the rest idle.
 */
export class NodeReports {
  readonly nodes: { hostname: string; containers: number; body: (t: number) => string }[];

  /** `perNode`: only each node's first that many containers (a smaller node), all when absent. */
  constructor(layout: SwarmLayout, seed: number, perNode?: number) {
    const rand = mulberry32(seed);
    const byNode = new Map<string, ReportEntry[]>();
    for (const t of layout.tasks) {
      const hot = rand() < 0.01;
      const net = tenth(rand() * 20);
      const entry: ReportEntry = {
        service: t.service,
        container: t.containerId.slice(0, 12),
        task: t.id,
        m: { cpu: tenth(hot ? 80 + rand() * 15 : rand() * 40), mem: tenth(10 + rand() * 50), mem_mb: tenth(50 + rand() * 400), net, rx: tenth(net / 2), tx: tenth(net / 2) },
      };
      const list = byNode.get(t.hostname);
      if (list) list.push(entry);
      else byNode.set(t.hostname, [entry]);
    }
    this.nodes = layout.nodes.map((n) => {
      const containers = (byNode.get(n.hostname) ?? []).slice(0, perNode);
      const head = `{"node":${JSON.stringify(n.hostname)},"t":`;
      const tail = `,"containers":${JSON.stringify(containers)}}`;
      return { hostname: n.hostname, containers: containers.length, body: (t: number) => head + t.toFixed(3) + tail };
    });
  }

  /** Largest body, bytes. */
  maxBytes(): number {
    return Math.max(...this.nodes.map((n) => Buffer.byteLength(n.body(nowMs()))));
  }
}

/**
 * Every node's agent reporting once per `periodMs`, spread evenly over the period, at most one
 * report in flight per node (as the agent does): the steady load under which alerts are decided.
 */
export class BackgroundReports {
  sent = 0;
  failed = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly busy = new Set<number>();
  private next = 0;

  constructor(poster: JsonPoster, reports: NodeReports, periodMs = 1000) {
    const n = reports.nodes.length;
    this.timer = setInterval(() => {
      const i = this.next;
      this.next = (this.next + 1) % n;
      if (this.busy.has(i)) return;
      this.busy.add(i);
      poster.post('/report', reports.nodes[i].body(nowMs())).then(
        (a) => (a.status === 202 ? (this.sent += 1) : (this.failed += 1)),
        () => (this.failed += 1),
      ).finally(() => this.busy.delete(i));
    }, periodMs / n);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface FloodResult {
  reports: number;
  containers: number;
  errors: number;
  seconds: number;
  rttMs: number[];
}

/**
 * `concurrency` reports in flight for `seconds`: the nodes' reports round robin, each with a fresh
 * time. Counts what the manager says it accepted (its answer's container count).
 */
export async function flood(poster: JsonPoster, reports: NodeReports, seconds: number, concurrency: number): Promise<FloodResult> {
  const result: FloodResult = { reports: 0, containers: 0, errors: 0, seconds: 0, rttMs: [] };
  let next = 0;
  const began = performance.now();
  const end = began + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const node = reports.nodes[next++ % reports.nodes.length];
        const a = await poster.post('/report', node.body(nowMs()));
        result.rttMs.push(a.ms);
        if (a.status !== 202) {
          result.errors += 1;
          continue;
        }
        result.reports += 1;
        result.containers += (JSON.parse(a.body) as { accepted: number }).accepted;
      }
    }),
  );
  result.seconds = (performance.now() - began) / 1000;
  return result;
}
