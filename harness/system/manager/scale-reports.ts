import http from 'node:http';
import { NDJSON, REPORT_STREAM_ROUTE, type ReportEntry } from '../../../system/shared/alert-schema.ts';
import { toColumns } from '../../../system/shared/parse-report.ts';
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
  /** `body(t)`: POST /report's body (entries); `line(t)`: a line of /report/stream (columns), newline not included. */
  readonly nodes: { hostname: string; containers: number; body: (t: number) => string; line: (t: number) => string }[];

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
      const { node: _node, t: _t, ...columns } = toColumns({ node: n.hostname, t: 1, containers });
      const lineTail = `,${JSON.stringify(columns).slice(1)}`;
      return { hostname: n.hostname, containers: containers.length, body: (t: number) => head + t.toFixed(3) + tail, line: (t: number) => head + t.toFixed(3) + lineTail };
    });
  }

  /** Largest body, bytes. */
  maxBytes(): number {
    return Math.max(...this.nodes.map((n) => Buffer.byteLength(n.body(nowMs()))));
  }

  /** Largest stream line, bytes. */
  maxLineBytes(): number {
    return Math.max(...this.nodes.map((n) => Buffer.byteLength(n.line(nowMs()))));
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

/** Resolves once `req` may take more (its buffer drained), or rejects if it fails first. */
function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      req.off('drain', done);
      req.off('error', done);
      req.off('close', closed);
      if (error) reject(error);
      else resolve();
    };
    const closed = () => done(new Error('the stream closed before it drained'));
    req.once('drain', done);
    req.once('error', done);
    req.once('close', closed);
  });
}

/**
 * `streams` requests to /report/stream at once for `seconds`: each carries `perStream` reports (the
 * nodes' in turn, each with a fresh time; an agent's stream carries 20, 10 s at a 0.5 s poll),
 * written as fast as the manager reads them, then ends and reads the manager's counts. Counts what those answers say it took in.
 */
export async function streamFlood(baseUrl: string, token: string, reports: NodeReports, seconds: number, streams: number, perStream = 20): Promise<FloodResult> {
  const result: FloodResult = { reports: 0, containers: 0, errors: 0, seconds: 0, rttMs: [] };
  const url = new URL(REPORT_STREAM_ROUTE, baseUrl);
  const agent = new http.Agent({ keepAlive: false });
  let next = 0;
  const began = performance.now();
  const end = began + seconds * 1000;
  const oneStream = async () => {
    const req = http.request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': NDJSON } });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
    });
    for (let sent = 0; sent < perStream && performance.now() < end; sent += 1) {
      const node = reports.nodes[next++ % reports.nodes.length];
      if (!req.write(`${node.line(nowMs())}\n`)) await drained(req);
    }
    const endedAt = performance.now();
    req.end();
    const a = await answer;
    result.rttMs.push(performance.now() - endedAt);
    if (a.status !== 200) {
      result.errors += 1;
      return;
    }
    const counts = JSON.parse(a.body) as { reports: number; accepted: number };
    result.reports += counts.reports;
    result.containers += counts.accepted;
  };
  try {
    await Promise.all(
      Array.from({ length: streams }, async () => {
        while (performance.now() < end) await oneStream();
      }),
    );
  } finally {
    agent.destroy();
  }
  result.seconds = (performance.now() - began) / 1000;
  return result;
}
