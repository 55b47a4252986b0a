import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostPaths } from '../src/cgroup-stats-adapter.ts';
import { readOrNull } from '../src/cgroup-files.ts';
import type { CounterReader } from '../src/counter-file.ts';
import type { ContainerInspector, ContainerProcess, ContainerRef, ContainerStatsPort, CpuLimits, NodeInfo, RawStats } from '../src/types.ts';

export const MEM_TOTAL_KB = 8_000_000;

/** A host's /proc and cgroup tree in a temp folder, written by the test. */
export class FakeHost {
  readonly root = mkdtempSync(join(tmpdir(), 'sg-fake-host-'));
  readonly paths: HostPaths = { proc: join(this.root, 'proc'), cgroup: join(this.root, 'cgroup') };

  /** Paths of the counter files the port holds open now. */
  readonly openFiles = new Set<string>();

  /**
   * Opens a counter file of the fake tree. Plain files stay readable after removal while open, unlike
   * /proc and cgroup files; so this reader re-reads by path, and a removed file reads as gone.
   */
  open = (path: string): CounterReader | null => {
    if (readOrNull(path) === null) return null;
    this.openFiles.add(path);
    let open = true;
    return {
      read: () => (open ? readOrNull(path) : null),
      close: () => {
        open = false;
        this.openFiles.delete(path);
      },
    };
  };

  constructor() {
    this.write(join(this.paths.proc, 'meminfo'), `MemTotal:       ${MEM_TOTAL_KB} kB\nMemFree:         1000000 kB\n`);
    mkdirSync(this.paths.cgroup, { recursive: true });
  }

  write(path: string, text: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }

  remove(path: string): void {
    rmSync(path, { recursive: true, force: true });
  }

  cg(...parts: string[]): string {
    return join(this.paths.cgroup, ...parts);
  }

  /** /proc/<pid>/cgroup and /proc/<pid>/net/dev of a container's init process. */
  process(pid: number, cgroupLines: string[], net: Record<string, { rx: number; tx: number }> = {}): void {
    this.write(join(this.paths.proc, String(pid), 'cgroup'), `${cgroupLines.join('\n')}\n`);
    this.net(pid, net);
  }

  net(pid: number, net: Record<string, { rx: number; tx: number }>): void {
    const header = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
    const lines = Object.entries({ lo: { rx: 999_999, tx: 999_999 }, ...net }).map(
      ([name, { rx, tx }]) => `${name.padStart(6)}: ${rx} 10 0 0 0 0 0 0 ${tx} 9 0 0 0 0 0 0`,
    );
    this.write(join(this.paths.proc, String(pid), 'net', 'dev'), `${header}${lines.join('\n')}\n`);
  }

  /** cgroup v1 counters (cpuacct and memory folders may differ, as on this lab's host). */
  v1(dirs: { cpuacct: string; memory: string }, c: { cpuNs: number; usage: number; limit: number; inactive: number }): void {
    this.write(join(dirs.cpuacct, 'cpuacct.usage'), `${c.cpuNs}\n`);
    this.write(join(dirs.memory, 'memory.usage_in_bytes'), `${c.usage}\n`);
    this.write(join(dirs.memory, 'memory.limit_in_bytes'), `${c.limit}\n`);
    this.write(join(dirs.memory, 'memory.stat'), `cache 4096\nrss 1000\ninactive_file 7\ntotal_cache 4096\ntotal_rss 1000\ntotal_inactive_file ${c.inactive}\n`);
  }

  /** cgroup v2 counters; `max` 'max' for no limit. */
  v2(dir: string, c: { cpuUs: number; current: number; max: number | 'max'; inactive: number }): void {
    this.write(this.cg('cgroup.controllers'), 'cpuset cpu io memory pids\n');
    this.write(join(dir, 'cpu.stat'), `usage_usec ${c.cpuUs}\nuser_usec ${Math.floor(c.cpuUs / 2)}\nsystem_usec ${Math.floor(c.cpuUs / 2)}\n`);
    this.write(join(dir, 'memory.current'), `${c.current}\n`);
    this.write(join(dir, 'memory.max'), `${c.max}\n`);
    this.write(join(dir, 'memory.stat'), `anon 1000\nfile 4096\nactive_file 10\ninactive_file ${c.inactive}\n`);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The daemon side of the cgroup port: listing and inspect, counted. */
export class FakeDaemon implements ContainerStatsPort, ContainerInspector {
  containers = new Map<string, { ref: ContainerRef; process: ContainerProcess }>();
  inspects = 0;

  add(ref: ContainerRef, pid: number, limits: CpuLimits = { nanoCpus: 0, cpuQuota: 0, cpuPeriod: 0 }): void {
    this.containers.set(ref.id, { ref, process: { pid, limits } });
  }

  async nodeInfo(): Promise<NodeInfo> {
    return { name: 'worker-1', nodeId: 'n1', cores: 4 };
  }
  async listContainers(): Promise<ContainerRef[]> {
    return [...this.containers.values()].map((c) => c.ref);
  }
  async stats(): Promise<RawStats | null> {
    throw new Error('the cgroup port must not ask the daemon for stats');
  }
  async cpuLimits(id: string): Promise<CpuLimits | null> {
    return this.containers.get(id)?.process.limits ?? null;
  }
  async inspect(id: string): Promise<ContainerProcess | null> {
    this.inspects += 1;
    return this.containers.get(id)?.process ?? null;
  }
}
