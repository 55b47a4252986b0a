import { totalmem } from 'node:os';
import type { CgroupReader } from './cgroup-reader.ts';
import type { Clock } from './clock.ts';
import type { CpuMeter } from './cpu-meter.ts';

export interface Metrics {
  cpu_percent: number;
  cpu_limit_cores: number;
  cpu_source: 'cgroup' | 'process';
  memory_mb: number;
  memory_limit_mb: number;
  memory_percent: number;
  memory_source: 'cgroup' | 'process';
  network_rx_mbps: number;
  network_tx_mbps: number;
  /** The window the rates cover: time since the previous /metrics call. */
  interval_s: number;
}

export interface MemoryLimit {
  bytes: number;
  source: 'container memory limit' | 'host memory';
}

export function memoryLimit(reader: CgroupReader, hostBytes: number = totalmem()): MemoryLimit {
  const limit = reader.memory()?.limitBytes ?? null;
  return limit === null ? { bytes: hostBytes, source: 'host memory' } : { bytes: limit, source: 'container memory limit' };
}

export interface MetricsSamplerDeps {
  reader: CgroupReader;
  meter: CpuMeter;
  clock: Clock;
  hostMemoryBytes?: number;
  processRss?: () => number;
}

const MB = 1024 * 1024;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Rates are deltas of the counters since the previous sample (the first: since construction). */
export class MetricsSampler {
  private last: { at: number; cpuMicros: number; rx: number; tx: number };
  private rates = { cpu: 0, rx: 0, tx: 0 };

  constructor(private readonly deps: MetricsSamplerDeps) {
    this.last = this.counters();
  }

  sample(): Metrics {
    const { reader, meter } = this.deps;
    const now = this.counters();
    const elapsedMs = now.at - this.last.at;
    if (elapsedMs > 0) {
      const cpu = ((now.cpuMicros - this.last.cpuMicros) / (elapsedMs * 1000 * meter.limitCores)) * 100;
      this.rates = {
        cpu: Math.min(100, Math.max(0, cpu)),
        rx: ((now.rx - this.last.rx) * 8) / (elapsedMs * 1000),
        tx: ((now.tx - this.last.tx) * 8) / (elapsedMs * 1000),
      };
      this.last = now;
    }
    const reading = reader.memory();
    const limit = memoryLimit(reader, this.deps.hostMemoryBytes);
    const usedBytes = reading
      ? Math.max(0, reading.usageBytes - reading.inactiveFileBytes)
      : (this.deps.processRss ?? (() => process.memoryUsage().rss))();
    return {
      cpu_percent: round(this.rates.cpu),
      cpu_limit_cores: meter.limitCores,
      cpu_source: meter.source,
      memory_mb: round(usedBytes / MB),
      memory_limit_mb: round(limit.bytes / MB),
      memory_percent: round((usedBytes / limit.bytes) * 100),
      memory_source: reading ? 'cgroup' : 'process',
      network_rx_mbps: round(Math.max(0, this.rates.rx), 3),
      network_tx_mbps: round(Math.max(0, this.rates.tx), 3),
      interval_s: round(elapsedMs / 1000, 3),
    };
  }

  private counters() {
    const net = this.deps.reader.netDev();
    return { at: this.deps.clock.now(), cpuMicros: this.deps.meter.usageMicros(), rx: net.rxBytes, tx: net.txBytes };
  }
}
