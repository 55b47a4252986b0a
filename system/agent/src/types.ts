import type { Alert, Report } from '../../shared/alert-schema.ts';
import type { ContainerMetrics } from '../../shared/types.ts';

/** The node the agent runs on, from the Docker daemon it talks to. */
export interface NodeInfo {
  name: string;
  /** Swarm node id, '' when the daemon is not in a swarm. */
  nodeId: string;
  cores: number;
}

/** A running container as listed by the daemon. */
export interface ContainerRef {
  /** Full 64-hex container id. */
  id: string;
  /** Swarm service name (label com.docker.swarm.service.name), '' for a plain container. */
  service: string;
  /** Swarm task id (label com.docker.swarm.task.id), '' for a plain container. */
  task: string;
  labels: Readonly<Record<string, string>>;
}

/** CPU limit fields of a container's HostConfig; 0 means "not set". */
export interface CpuLimits {
  nanoCpus: number;
  cpuQuota: number;
  cpuPeriod: number;
}

/** The part of a Docker one-shot stats answer the agent reads (cgroup v1 and v2). */
export interface RawStats {
  /** RFC 3339 time the daemon read the counters; "0001-01-01T00:00:00Z" when unknown. */
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats?: {
    usage?: number;
    limit?: number;
    stats?: Readonly<Record<string, number | undefined>>;
  };
  networks?: Readonly<Record<string, { rx_bytes?: number; tx_bytes?: number }>>;
}

/** The agent's narrow view of its node's containers (adapters: DockerStatsAdapter, CgroupStatsAdapter). */
export interface ContainerStatsPort {
  nodeInfo(): Promise<NodeInfo>;
  /** Running containers on this node, SwarmGuard's own included (the agent filters). */
  listContainers(): Promise<ContainerRef[]>;
  /** One-shot stats, or null when the container no longer exists. */
  stats(id: string): Promise<RawStats | null>;
  /** The container's CPU limits, or null when it no longer exists. */
  cpuLimits(id: string): Promise<CpuLimits | null>;
}

/** A container's init process (its host pid, 0 when not running) and CPU limits, from one inspect. */
export interface ContainerProcess {
  pid: number;
  limits: CpuLimits;
}

/** What a port that reads the counters itself needs from the daemon besides listing. */
export interface ContainerInspector {
  /** Null when the container no longer exists. */
  inspect(id: string): Promise<ContainerProcess | null>;
}

export interface AlertOutcome {
  ok: boolean;
  attempts: number;
  status?: number;
  /** Why the last attempt failed. */
  error?: string;
  /** What the manager answered it decided (`migrate`, `scale_up`, `ignore`…), and its action's id. */
  decision?: string;
  actionId?: string;
}

/** Delivers alerts to the manager. Must never throw; failures come back in the outcome. */
export interface AlertSink {
  send(alert: Alert): Promise<AlertOutcome>;
}

/** Delivers the per-cycle report to the manager. Fire-and-forget from the agent's side. */
export interface ReportSink {
  send(report: Report): void | Promise<void>;
  close?(): Promise<void>;
}

/** One container's sample, as written to the time-series store. */
export interface MetricPoint {
  /** Sample time, epoch ms. */
  t: number;
  node: string;
  service: string;
  container: string;
  task: string;
  m: ContainerMetrics;
}

/** Time-series store (InfluxDB). write() buffers and returns at once; close() flushes. */
export interface MetricsSink {
  write(points: readonly MetricPoint[]): void | Promise<void>;
  close(): Promise<void>;
}

/** Epoch milliseconds with sub-ms precision. */
export interface Clock {
  now(): number;
}
