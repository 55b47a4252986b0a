import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux: /proc times are in 1/100 s

/** One reading of a process (from /proc, Linux) and of the whole machine, to be subtracted from a later one. */
export interface MeterReading {
  at: number;
  /** CPU time of the process so far, user + system, ms. */
  cpuMs: number;
  rssMb: number;
  /** Peak RSS so far (VmHWM). */
  peakRssMb: number;
  /** CPU time of every core so far, busy (not idle/iowait) and total, ms. */
  machineBusyMs: number;
  machineTotalMs: number;
}

function statusMb(status: string, key: string): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

export function readMeter(pid: number): MeterReading {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((s, v) => s + v, 0);
  return {
    at: performance.now(),
    cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK,
    rssMb: statusMb(status, 'VmRSS'),
    peakRssMb: statusMb(status, 'VmHWM'),
    machineBusyMs: ((total - idle) * 1000) / CLK_TCK,
    machineTotalMs: (total * 1000) / CLK_TCK,
  };
}

/** Between two readings: the process's cores in use, and the machine's busy cores (all processes, this one included). */
export function usageBetween(a: MeterReading, b: MeterReading): { wallS: number; cpuS: number; cores: number; machineBusyCores: number; machineCores: number } {
  const wallS = (b.at - a.at) / 1000;
  const cpuS = (b.cpuMs - a.cpuMs) / 1000;
  const totalS = (b.machineTotalMs - a.machineTotalMs) / 1000;
  const machineCores = wallS > 0 ? totalS / wallS : NaN;
  return { wallS, cpuS, cores: cpuS / wallS, machineBusyCores: (b.machineBusyMs - a.machineBusyMs) / 1000 / wallS, machineCores };
}
