import { availableParallelism } from 'node:os';
import type { CgroupReader } from './cgroup-reader.ts';

/** The container's CPU use as one counter, and the cores that count as 100 %. */
export interface CpuMeter {
  readonly source: 'cgroup' | 'process';
  /** The container's CPU limit in cores, or the host's cores without a limit. */
  readonly limitCores: number;
  /** Cumulative CPU time in µs. */
  usageMicros(): number;
}

export function processCpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * The cgroup's own counter when we have a cgroup of our own (it counts every process of the
 * container, which is what the agent sees); else this process's own CPU time.
 */
export function createCpuMeter(
  reader: CgroupReader,
  processMicros: () => number = processCpuMicros,
  hostCores: number = availableParallelism(),
): CpuMeter {
  const limitCores = reader.cpuLimitCores() ?? hostCores;
  if (reader.cpuUsageMicros() !== null) {
    return { source: 'cgroup', limitCores, usageMicros: () => reader.cpuUsageMicros() ?? processMicros() };
  }
  return { source: 'process', limitCores, usageMicros: processMicros };
}
