import type { ContainerMetrics } from '../../shared/types.ts';
import type { CpuLimits, RawStats } from './types.ts';

/** Cumulative counters of one sample; deltas between two of them give rates. */
export interface Counters {
  /** When the counters were read, epoch ms. */
  t: number;
  cpuNs: number;
  rxBytes: number;
  txBytes: number;
}

const MIB = 1024 * 1024;
const DEFAULT_CFS_PERIOD_US = 100_000;

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * Parses Docker's RFC 3339 `read` time keeping the sub-millisecond digits that Date.parse drops.
 * Returns undefined for Go's zero time and anything unparsable.
 */
export function parseDockerTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const match = /^(\d{4})(-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return undefined;
  if (Number(match[1]) < 2000) return undefined;
  const whole = Date.parse(`${match[1]}${match[2]}${match[4]}`);
  if (Number.isNaN(whole)) return undefined;
  return whole + (match[3] ? Number(`0${match[3]}`) * 1000 : 0);
}

/**
 * Epoch ms (sub-ms precision) as an RFC 3339 `read` time with microsecond digits, the inverse of
 * parseDockerTime: a port that reads the counters itself stamps them like the daemon does.
 */
export function formatDockerTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.round((ms - whole) * 1000);
  const base = new Date(whole).toISOString(); // …T10:00:00.123Z
  return `${base.slice(0, -1)}${String(Math.min(micros, 999)).padStart(3, '0')}Z`;
}

/**
 * Cores the container may use: NanoCpus, else CpuQuota/CpuPeriod, else the node's cores.
 * A limit above the node's cores cannot be reached, so it is capped there.
 */
export function limitCores(limits: CpuLimits | null, nodeCores: number): number {
  let cores = nodeCores;
  if (limits && limits.nanoCpus > 0) cores = limits.nanoCpus / 1e9;
  else if (limits && limits.cpuQuota > 0) {
    cores = limits.cpuQuota / (limits.cpuPeriod > 0 ? limits.cpuPeriod : DEFAULT_CFS_PERIOD_US);
  }
  return Math.min(cores, nodeCores);
}

/**
 * Reads the cumulative counters. The daemon's own read time is preferred to the agent's clock:
 * it excludes the request's latency jitter from the CPU and network deltas.
 */
export function countersOf(raw: RawStats, fallbackT: number): Counters {
  let rxBytes = 0;
  let txBytes = 0;
  for (const net of Object.values(raw.networks ?? {})) {
    rxBytes += net.rx_bytes ?? 0;
    txBytes += net.tx_bytes ?? 0;
  }
  return {
    t: parseDockerTime(raw.read) ?? fallbackT,
    cpuNs: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
    rxBytes,
    txBytes,
  };
}

/** Memory in use without reclaimable page cache, as `docker stats` shows it. */
export function memoryOf(raw: RawStats): { mem: number; mem_mb: number } {
  const usage = raw.memory_stats?.usage ?? 0;
  const limit = raw.memory_stats?.limit ?? 0;
  const stats = raw.memory_stats?.stats ?? {};
  // cgroup v1 reports total_inactive_file (hierarchical), cgroup v2 inactive_file.
  const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
  const used = inactive < usage ? usage - inactive : usage;
  return {
    mem: limit > 0 ? clamp((used / limit) * 100, 0, 100) : 0,
    mem_mb: used / MIB,
  };
}

/**
 * Rates between two samples of one container. Null when they cannot be compared: time did not
 * advance, or a counter went backwards (the container's cgroup or interface was recreated).
 */
export function computeMetrics(
  prev: Counters,
  cur: Counters,
  raw: RawStats,
  cores: number,
  linkMbps: number,
): ContainerMetrics | null {
  const dtMs = cur.t - prev.t;
  if (!(dtMs > 0)) return null;
  if (cur.cpuNs < prev.cpuNs || cur.rxBytes < prev.rxBytes || cur.txBytes < prev.txBytes) return null;
  const cpu = cores > 0 ? ((cur.cpuNs - prev.cpuNs) / (dtMs * 1e6 * cores)) * 100 : 0;
  // bytes → bits, per second, in megabits: Δbytes × 8 / (Δms / 1000) / 1e6
  const rx = ((cur.rxBytes - prev.rxBytes) * 8) / (dtMs * 1000);
  const tx = ((cur.txBytes - prev.txBytes) * 8) / (dtMs * 1000);
  return {
    cpu: clamp(cpu, 0, 100),
    ...memoryOf(raw),
    net: linkMbps > 0 ? ((rx + tx) / linkMbps) * 100 : 0,
    rx,
    tx,
  };
}

// Rounding for the wire lives in shared code: the agent evaluates the rules on exactly what it sends.
export { roundMetrics } from '../../shared/metrics-rounding.ts';
