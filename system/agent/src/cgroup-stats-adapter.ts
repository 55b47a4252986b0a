import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nowMs } from '../../shared/event-logger.ts';
import { locateCgroup, parseFlatKeyed, parseMemTotal, parseNetDev, readOrNull, type CgroupDirs } from './cgroup-files.ts';
import { formatDockerTime } from './metrics.ts';
import type { ContainerInspector, ContainerRef, ContainerStatsPort, CpuLimits, NodeInfo, RawStats } from './types.ts';

/** The host's /proc and cgroup tree as mounted into the agent's container. */
export interface HostPaths {
  proc: string;
  cgroup: string;
}

export const DEFAULT_HOST_PATHS: HostPaths = { proc: '/host/proc', cgroup: '/host/sys/fs/cgroup' };

interface Located {
  pid: number;
  limits: CpuLimits;
  /** /proc/<pid>/cgroup as read when located: a different text later means the pid is not the container's any more. */
  procCgroup: string;
  dirs: CgroupDirs;
}

/**
 * ContainerStatsPort that reads each container's counters from the host's cgroup files and
 * /proc/<pid>/net/dev instead of the Engine API's stats endpoint: Docker 20.10 answers even a
 * one-shot stats request from its once-a-second collector round (moby/moby#40481), so a parallel
 * cycle waited up to a second; the files answer in well under a millisecond. Listing, node info and
 * the one inspect per container (init pid, CPU limits; cached for the container's life) still go
 * to the daemon. It produces the same RawStats the agent's math consumes.
 *
 * Reads are synchronous on purpose: a container's five small kernel files cost tens of
 * microseconds, less than the thread-pool round trips of async reads would.
 */
export class CgroupStatsAdapter implements ContainerStatsPort {
  private readonly located = new Map<string, Promise<Located | null>>();
  private memTotal: number | undefined;

  constructor(
    private readonly docker: ContainerStatsPort & ContainerInspector,
    private readonly host: HostPaths = DEFAULT_HOST_PATHS,
    private readonly now: () => number = nowMs,
  ) {}

  nodeInfo(): Promise<NodeInfo> {
    return this.docker.nodeInfo();
  }

  /** Lists through the daemon and forgets the cached pids of containers no longer listed. */
  async listContainers(): Promise<ContainerRef[]> {
    const list = await this.docker.listContainers();
    const ids = new Set(list.map((c) => c.id));
    for (const id of this.located.keys()) if (!ids.has(id)) this.located.delete(id);
    return list;
  }

  async cpuLimits(id: string): Promise<CpuLimits | null> {
    return (await this.locate(id))?.limits ?? null;
  }

  async stats(id: string): Promise<RawStats | null> {
    // A second try after a stale pid: the container restarted under the same id (new init process).
    for (let attempt = 0; attempt < 2; attempt++) {
      const where = await this.locate(id);
      if (!where) return null;
      const raw = this.read(where);
      if (raw) return raw;
      this.located.delete(id);
    }
    return null;
  }

  /**
   * Whether this host's files can be read: /proc/meminfo, the cgroup root and the counters of the
   * first of `containerIds` that is still running (one that vanishes meanwhile proves nothing, the
   * next is tried). Returns the reason when not.
   */
  async probe(containerIds: readonly string[] = []): Promise<{ ok: true; checked?: string } | { ok: false; reason: string }> {
    const meminfo = join(this.host.proc, 'meminfo');
    if (readOrNull(meminfo) === null) return { ok: false, reason: `${meminfo} not readable (host /proc not mounted?)` };
    if (!existsSync(this.host.cgroup)) return { ok: false, reason: `${this.host.cgroup} does not exist (host cgroup tree not mounted?)` };
    for (const id of containerIds.slice(0, 3)) {
      try {
        if (await this.stats(id)) return { ok: true, checked: id };
      } catch (err) {
        return { ok: false, reason: `container ${id.slice(0, 12)}: ${(err as Error).message}` };
      }
    }
    return { ok: true };
  }

  private locate(id: string): Promise<Located | null> {
    let found = this.located.get(id);
    if (!found) {
      found = this.find(id);
      this.located.set(id, found);
      // a failed or empty lookup is not cached: the next cycle asks again
      const mine = found;
      const drop = () => {
        if (this.located.get(id) === mine) this.located.delete(id);
      };
      void mine.then((l) => {
        if (l === null) drop();
      }, drop);
    }
    return found;
  }

  private async find(id: string): Promise<Located | null> {
    const process = await this.docker.inspect(id);
    if (!process || process.pid <= 0) return null; // removed, or exists but not running
    const procCgroup = readOrNull(join(this.host.proc, String(process.pid), 'cgroup'));
    if (procCgroup === null) return null; // exited since the inspect
    const dirs = locateCgroup(this.host.cgroup, procCgroup);
    if ('error' in dirs) throw new Error(`container ${id.slice(0, 12)} (pid ${process.pid}): ${dirs.error}`);
    return { pid: process.pid, limits: process.limits, procCgroup, dirs };
  }

  /** The container's counters, or null when its process or cgroup is gone or the pid now belongs to another cgroup. */
  private read(where: Located): RawStats | null {
    const procDir = join(this.host.proc, String(where.pid));
    if (readOrNull(join(procDir, 'cgroup')) !== where.procCgroup) return null;
    let cpuNs: number;
    let usage: number;
    let limit: number;
    let stats: Record<string, number | undefined>;
    const file = (dir: string, name: string) => readOrNull(join(dir, name));
    if (where.dirs.version === 1) {
      const { cpuacct, memory } = where.dirs;
      const cpu = file(cpuacct, 'cpuacct.usage');
      const used = file(memory, 'memory.usage_in_bytes');
      const max = file(memory, 'memory.limit_in_bytes');
      const stat = file(memory, 'memory.stat');
      if (cpu === null || used === null || max === null || stat === null) return null;
      cpuNs = Number(cpu);
      usage = Number(used);
      limit = Number(max);
      stats = { total_inactive_file: parseFlatKeyed(stat).get('total_inactive_file') };
    } else {
      const { dir } = where.dirs;
      const cpu = file(dir, 'cpu.stat');
      const used = file(dir, 'memory.current');
      const max = file(dir, 'memory.max');
      const stat = file(dir, 'memory.stat');
      if (cpu === null || used === null || max === null || stat === null) return null;
      cpuNs = (parseFlatKeyed(cpu).get('usage_usec') ?? 0) * 1000;
      usage = Number(used);
      limit = max.trim() === 'max' ? Infinity : Number(max);
      stats = { inactive_file: parseFlatKeyed(stat).get('inactive_file') };
    }
    // the CPU counter is the one whose delta needs an exact time
    const t = this.now();
    const netDev = readOrNull(join(procDir, 'net', 'dev'));
    if (netDev === null) return null;
    return {
      read: formatDockerTime(t),
      cpu_stats: { cpu_usage: { total_usage: cpuNs } },
      memory_stats: { usage, limit: Math.min(limit, this.hostMemory()), stats },
      networks: parseNetDev(netDev),
    };
  }

  /** Like the daemon, an unlimited container's memory limit is the host's memory. */
  private hostMemory(): number {
    if (this.memTotal === undefined) {
      const text = readOrNull(join(this.host.proc, 'meminfo'));
      const total = text === null ? 0 : parseMemTotal(text);
      this.memTotal = total > 0 ? total : Infinity;
    }
    return this.memTotal;
  }
}
