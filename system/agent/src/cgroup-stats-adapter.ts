import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nowMs } from '../../shared/event-logger.ts';
import { flatKeyedValue, locateCgroup, parseMemTotal, parseNetDev, readOrNull, type CgroupDirs } from './cgroup-files.ts';
import { CounterFile, type CounterReader, type OpenCounter } from './counter-file.ts';
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
  /** The files read every sample, kept open while the container is watched. */
  files: Record<FileKey, CounterReader>;
}

type FileKey = 'procCgroup' | 'cpu' | 'usage' | 'limit' | 'stat' | 'netDev';

/** Opens all or none: null (and nothing left open) when one of them is gone. */
function openAll(open: OpenCounter, paths: Record<FileKey, string>): Record<FileKey, CounterReader> | null {
  const opened: Partial<Record<FileKey, CounterReader>> = {};
  try {
    for (const [key, path] of Object.entries(paths) as [FileKey, string][]) {
      const file = open(path);
      if (!file) {
        closeAll(opened);
        return null;
      }
      opened[key] = file;
    }
  } catch (err) {
    closeAll(opened);
    throw err;
  }
  return opened as Record<FileKey, CounterReader>;
}

function closeAll(files: Partial<Record<FileKey, CounterReader>>): void {
  for (const f of Object.values(files)) f?.close();
}

/**
 * ContainerStatsPort that reads each container's counters from the host's cgroup files and
 * /proc/<pid>/net/dev instead of the Engine API's stats endpoint: Docker 20.10 answers even a
 * one-shot stats request from its once-a-second collector round (moby/moby#40481), so a parallel
 * cycle waited up to a second; the files answer in well under a millisecond. Listing, node info and
 * the one inspect per container (init pid, CPU limits; cached for the container's life) still go
 * to the daemon. It produces the same RawStats the agent's math consumes.
 *
 * Reads are synchronous on purpose, of files kept open (CounterFile): a container's six small
 * kernel files cost tens of microseconds, less than the thread-pool round trips of async reads would.
 */
export class CgroupStatsAdapter implements ContainerStatsPort {
  private readonly located = new Map<string, Promise<Located | null>>();
  private memTotal: number | undefined;

  constructor(
    private readonly docker: ContainerStatsPort & ContainerInspector,
    private readonly host: HostPaths = DEFAULT_HOST_PATHS,
    private readonly now: () => number = nowMs,
    /** How counter files are opened and re-read; the tests' fake tree re-reads by path. */
    private readonly openFile: OpenCounter = CounterFile.open,
  ) {}

  nodeInfo(): Promise<NodeInfo> {
    return this.docker.nodeInfo();
  }

  /** Lists through the daemon and forgets the cached pids of containers no longer listed. */
  async listContainers(): Promise<ContainerRef[]> {
    const list = await this.docker.listContainers();
    const ids = new Set(list.map((c) => c.id));
    for (const id of this.located.keys()) if (!ids.has(id)) this.forget(id);
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
      this.forget(id);
    }
    return null;
  }

  /** Closes every file held open (at shutdown). */
  close(): void {
    for (const id of [...this.located.keys()]) this.forget(id);
  }

  /** Drops a container's cached location and closes its files once the lookup has settled. */
  private forget(id: string): void {
    const found = this.located.get(id);
    if (!found) return;
    this.located.delete(id);
    void found.then(
      (l) => l && closeAll(l.files),
      () => undefined, // a failed lookup opened nothing
    );
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
    const procDir = join(this.host.proc, String(process.pid));
    const common = { procCgroup: join(procDir, 'cgroup'), netDev: join(procDir, 'net', 'dev') };
    const files = openAll(
      this.openFile,
      dirs.version === 1
        ? { ...common, cpu: join(dirs.cpuacct, 'cpuacct.usage'), usage: join(dirs.memory, 'memory.usage_in_bytes'), limit: join(dirs.memory, 'memory.limit_in_bytes'), stat: join(dirs.memory, 'memory.stat') }
        : { ...common, cpu: join(dirs.dir, 'cpu.stat'), usage: join(dirs.dir, 'memory.current'), limit: join(dirs.dir, 'memory.max'), stat: join(dirs.dir, 'memory.stat') },
    );
    if (!files) return null; // its process or cgroup went away meanwhile
    return { pid: process.pid, limits: process.limits, procCgroup, dirs, files };
  }

  /** The container's counters, or null when its process or cgroup is gone or the pid now belongs to another cgroup. */
  private read(where: Located): RawStats | null {
    const { files } = where;
    if (files.procCgroup.read() !== where.procCgroup) return null;
    const cpu = files.cpu.read();
    // the CPU counter is the one whose delta needs an exact time
    const t = this.now();
    const used = files.usage.read();
    const max = files.limit.read();
    const stat = files.stat.read();
    const netDev = files.netDev.read();
    if (cpu === null || used === null || max === null || stat === null || netDev === null) return null;
    const v1 = where.dirs.version === 1;
    // v1: cpuacct.usage in ns, the hierarchical total_inactive_file; v2: cpu.stat usage_usec, inactive_file
    const cpuNs = v1 ? Number(cpu) : (flatKeyedValue(cpu, 'usage_usec') ?? 0) * 1000;
    const limit = max.trim() === 'max' ? Infinity : Number(max);
    const stats = v1 ? { total_inactive_file: flatKeyedValue(stat, 'total_inactive_file') } : { inactive_file: flatKeyedValue(stat, 'inactive_file') };
    return {
      read: formatDockerTime(t),
      cpu_stats: { cpu_usage: { total_usage: cpuNs } },
      memory_stats: { usage: Number(used), limit: Math.min(limit, this.hostMemory()), stats },
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
