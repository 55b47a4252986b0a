import type { LabConfig } from '../config/lab-config.ts';
import { serviceReplicas } from '../cluster/app-control.ts';
import type { LabSwarm } from '../cluster/lab-port.ts';
import type { ContainerPoint, ReplicaPoint } from '../config/types.ts';
import { epochNow, sleep } from './context.ts';

interface MetricsBody {
  cpu_percent: number;
  memory_mb: number;
  network_rx_mbps: number;
  network_tx_mbps: number;
}

/**
 * Records, while an experiment runs, the service's replica count (from the swarm, every
 * `replicasMs`) and each replica's own metrics (GET /metrics of every worker directly, not through
 * the balancer, every `metricsMs`). Bounded by `maxMs`; stop() ends both loops and returns the series.
 * Nobody else reads web-stress /metrics during an experiment, so its "since the previous call"
 * rates are exactly the intervals recorded here.
 */
export class SeriesRecorder implements AsyncDisposable {
  readonly replicas: ReplicaPoint[] = [];
  readonly containers: ContainerPoint[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly lab: LabConfig,
    private readonly swarm: LabSwarm,
    private readonly opts: { replicasMs?: number; metricsMs?: number; maxMs: number },
  ) {}

  start(): void {
    this.running = true;
    const until = Date.now() + this.opts.maxMs;
    this.loops = [
      this.loop(this.opts.replicasMs ?? 500, until, async () => {
        const t = epochNow();
        this.replicas.push({ t, replicas: await serviceReplicas(this.swarm, this.lab.app.service) });
      }),
      this.loop(this.opts.metricsMs ?? 1000, until, () => this.sampleMetrics()),
    ];
  }

  private async loop(intervalMs: number, until: number, work: () => Promise<void>): Promise<void> {
    while (this.running && Date.now() < until) {
      const started = Date.now();
      await work().catch(() => undefined); // a missed sample is a gap in the chart, not a failure
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
  }

  private async sampleMetrics(): Promise<void> {
    const port = this.lab.app.publish.port;
    await Promise.all(
      this.lab.swarm.workers.map(async (w) => {
        const t = epochNow();
        // a worker without a replica refuses the connection: no point
        const res = await fetch(`http://${w.address}:${port}/metrics`, { signal: AbortSignal.timeout(900) }).catch(() => undefined);
        if (!res?.ok) return;
        const m = (await res.json()) as MetricsBody;
        this.containers.push({
          t,
          container: (res.headers.get('x-served-by') ?? w.name).slice(0, 12),
          node: res.headers.get('x-node') ?? w.name,
          cpu: m.cpu_percent,
          memMb: m.memory_mb,
          rxMbps: m.network_rx_mbps,
          txMbps: m.network_tx_mbps,
        });
      }),
    );
  }

  /** The latest sample of each container at or before t (within maxAgeMs). */
  latest(t = epochNow(), maxAgeMs = 2500): ContainerPoint[] {
    const by = new Map<string, ContainerPoint>();
    for (const p of this.containers) if (p.t <= t && t - p.t <= maxAgeMs) by.set(p.container, p);
    return [...by.values()];
  }

  async stop(): Promise<{ replicas: ReplicaPoint[]; containers: ContainerPoint[] }> {
    this.running = false;
    await Promise.all(this.loops);
    return { replicas: this.replicas, containers: this.containers };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
