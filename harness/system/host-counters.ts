import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A container's own counters read from the HOST (local lab, cgroup v1), never through the app:
 * its cgroup folders come from /proc/<pid>/cgroup of its main process (the lab's dockerds share the
 * host's pid namespace), so the memory hierarchy's extra prefix on this machine
 * (/process_api/…/sg-<node>/<id>, while cpuacct is /sg-<node>/<id>) needs no guessing; its network
 * counters are /proc/<pid>/net/dev, the container's own network namespace.
 */
export class HostCounters {
  readonly cpuacctDir: string;
  readonly memoryDir: string;
  /** The container's folder in the cpu (scheduler) hierarchy; its parent is the node's sg-<node>. */
  readonly cpuDir: string;

  constructor(
    readonly pid: number,
    private readonly sysRoot = '/sys/fs/cgroup',
  ) {
    const paths = new Map<string, string>();
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const [, controllers, path] = line.split(':');
      if (path !== undefined) for (const c of controllers.split(',')) paths.set(c, path);
    }
    const cpuacct = paths.get('cpuacct');
    const memory = paths.get('memory');
    const cpu = paths.get('cpu');
    if (!cpuacct || !memory || !cpu) throw new Error(`pid ${pid}: no cgroup v1 cpuacct/memory lines in /proc/${pid}/cgroup`);
    this.cpuacctDir = join(sysRoot, 'cpuacct', cpuacct);
    this.memoryDir = join(sysRoot, 'memory', memory);
    this.cpuDir = join(sysRoot, 'cpu', cpu);
  }

  /** CPU time (user + system, all threads) of the container's main process alone, s: without Docker's healthcheck execs. */
  processCpuS(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100)
  }

  /**
   * Raises the cpu.shares of the node's cgroup (the container's cpu folder's parent, sg-<node>)
   * and returns what puts the old value back. On this shared 2-core host the lab's node cgroups
   * weigh as much as ONE busy process of the root cgroup each (a type-check, a test run of
   * another session): a 0.4-core target is then out of reach for reasons that are not the app's.
   * The container's own quota (its CPU limit) still bounds it.
   */
  boostNodeShares(shares = 8192): () => void {
    const file = join(dirname(this.cpuDir), 'cpu.shares');
    const old = readFileSync(file, 'utf8').trim();
    writeFileSync(file, String(shares));
    return () => writeFileSync(file, old);
  }

  /** Cumulative CPU time of the container's cgroup, ns. */
  cpuNs(): number {
    return Number(readFileSync(join(this.cpuacctDir, 'cpuacct.usage'), 'utf8'));
  }

  /** usage, inactive file and rss of the container's memory cgroup, bytes; workingSet = usage − inactive_file (as the agent computes it). */
  memory(): { usage: number; inactiveFile: number; rss: number; workingSet: number; limit: number } {
    const usage = Number(readFileSync(join(this.memoryDir, 'memory.usage_in_bytes'), 'utf8'));
    const limit = Number(readFileSync(join(this.memoryDir, 'memory.limit_in_bytes'), 'utf8'));
    const stat = new Map<string, number>();
    for (const line of readFileSync(join(this.memoryDir, 'memory.stat'), 'utf8').split('\n')) {
      const [k, v] = line.split(' ');
      if (v !== undefined) stat.set(k, Number(v));
    }
    const inactiveFile = stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0;
    const rss = stat.get('total_rss') ?? stat.get('rss') ?? 0;
    return { usage, inactiveFile, rss, workingSet: usage - Math.min(inactiveFile, usage), limit };
  }

  /** Bytes over every interface but lo of the container's network namespace. */
  net(): { rx: number; tx: number } {
    let rx = 0;
    let tx = 0;
    for (const line of readFileSync(`/proc/${this.pid}/net/dev`, 'utf8').split('\n').slice(2)) {
      const colon = line.indexOf(':');
      if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
      const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
      rx += f[0] ?? 0;
      tx += f[8] ?? 0;
    }
    return { rx, tx };
  }
}

export const MiB = 1024 * 1024;
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Rates {
  seconds: number;
  /** CPU use as % of `cores` cores. */
  cpuPercent: number;
  txMbps: number;
  rxMbps: number;
}

/** CPU and network rates of the container over a window of `ms`, from its counters at both ends. */
export async function measureRates(c: HostCounters, ms: number, cores: number): Promise<Rates> {
  const cpu0 = c.cpuNs();
  const net0 = c.net();
  const t0 = performance.now();
  await sleep(ms);
  const cpu1 = c.cpuNs();
  const net1 = c.net();
  const seconds = (performance.now() - t0) / 1000;
  return {
    seconds,
    cpuPercent: ((cpu1 - cpu0) / 1e9 / seconds / cores) * 100,
    txMbps: ((net1.tx - net0.tx) * 8) / 1e6 / seconds,
    rxMbps: ((net1.rx - net0.rx) * 8) / 1e6 / seconds,
  };
}

/** Busy share of the host's cores over a window (what the rest of the machine was doing meanwhile). */
export function hostBusy(): () => number {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total };
  };
  const a = read();
  return () => {
    const b = read();
    return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100;
  };
}
