import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryReading {
  usageBytes: number;
  inactiveFileBytes: number;
  /** null when the cgroup has no memory limit. */
  limitBytes: number | null;
}

export interface NetCounters {
  rxBytes: number;
  txBytes: number;
}

/**
 * The process's own cgroup and /proc counters. Every method answers null when the value is not
 * available for a cgroup of our own (e.g. running on a host in the root cgroup).
 */
export interface CgroupReader {
  readonly version: 1 | 2 | null;
  /** Cores granted by the CPU quota; null without a quota. */
  cpuLimitCores(): number | null;
  /** Cumulative CPU time of the cgroup in µs. */
  cpuUsageMicros(): number | null;
  memory(): MemoryReading | null;
  /** Bytes over all interfaces except loopback. */
  netDev(): NetCounters;
}

export interface FsCgroupReaderOptions {
  /** Where the cgroup filesystem is mounted; default /sys/fs/cgroup. */
  sysRoot?: string;
  /** Where procfs is mounted; default /proc. */
  procRoot?: string;
}

// A limit this large is the kernel's way of saying "unlimited" (v1 page-rounded LONG_MAX).
const UNLIMITED_BYTES = 2 ** 60;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null; // absent file = counter not available here; callers answer null
  }
}

function readNumber(path: string): number | null {
  const text = readText(path);
  if (text === null || text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** `key value` lines (memory.stat, cpu.stat) → the value of `key`. */
export function statField(text: string | null, key: string): number | null {
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === key) return Number(value);
  }
  return null;
}

/** /proc/net/dev → rx/tx bytes summed over every interface but lo. */
export function parseNetDev(text: string): NetCounters {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    rxBytes += fields[0] ?? 0;
    txBytes += fields[8] ?? 0;
  }
  return { rxBytes, txBytes };
}

/** Reads cgroup v1 or v2 files under an injectable root (tests write fake files to a temp dir). */
export class FsCgroupReader implements CgroupReader {
  readonly version: 1 | 2 | null;
  private readonly sysRoot: string;
  private readonly procRoot: string;
  private readonly selfPaths: Map<string, string>;
  private readonly dirs = new Map<string, string | null>();

  constructor(options: FsCgroupReaderOptions = {}) {
    this.sysRoot = options.sysRoot ?? '/sys/fs/cgroup';
    this.procRoot = options.procRoot ?? '/proc';
    if (existsSync(join(this.sysRoot, 'cgroup.controllers'))) this.version = 2;
    else if (existsSync(this.sysRoot)) this.version = 1;
    else this.version = null;
    this.selfPaths = this.readSelfCgroup();
  }

  cpuLimitCores(): number | null {
    if (this.version === 2) {
      const text = this.v2File('cpu.max');
      if (!text) return null;
      const [quota, period] = text.split(/\s+/);
      if (quota === 'max' || !period) return null;
      return Number(quota) / Number(period);
    }
    const dir = this.v1Dir(['cpu', 'cpu,cpuacct', 'cpuacct,cpu'], 'cpu');
    if (!dir) return null;
    const quota = readNumber(join(dir, 'cpu.cfs_quota_us'));
    const period = readNumber(join(dir, 'cpu.cfs_period_us'));
    if (quota === null || period === null || quota <= 0 || period <= 0) return null;
    return quota / period;
  }

  cpuUsageMicros(): number | null {
    if (this.version === 2) return statField(this.v2File('cpu.stat'), 'usage_usec');
    const dir = this.v1Dir(['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu'], 'cpuacct');
    const ns = dir ? readNumber(join(dir, 'cpuacct.usage')) : null;
    return ns === null ? null : ns / 1000;
  }

  memory(): MemoryReading | null {
    if (this.version === 2) {
      const usage = readNumber(this.v2Path('memory.current') ?? '');
      if (usage === null) return null;
      const max = this.v2File('memory.max');
      const limit = max === null || max === 'max' ? null : Number(max);
      return {
        usageBytes: usage,
        inactiveFileBytes: statField(this.v2File('memory.stat'), 'inactive_file') ?? 0,
        limitBytes: limit !== null && limit < UNLIMITED_BYTES ? limit : null,
      };
    }
    const dir = this.v1Dir(['memory'], 'memory');
    if (!dir) return null;
    const usage = readNumber(join(dir, 'memory.usage_in_bytes'));
    if (usage === null) return null;
    const limit = readNumber(join(dir, 'memory.limit_in_bytes'));
    return {
      usageBytes: usage,
      inactiveFileBytes: statField(readText(join(dir, 'memory.stat')), 'total_inactive_file') ?? 0,
      limitBytes: limit !== null && limit < UNLIMITED_BYTES ? limit : null,
    };
  }

  netDev(): NetCounters {
    const text = readText(join(this.procRoot, 'net', 'dev'));
    return text === null ? { rxBytes: 0, txBytes: 0 } : parseNetDev(text);
  }

  /** /proc/self/cgroup: controller → path ('' is the v2 unified hierarchy). */
  private readSelfCgroup(): Map<string, string> {
    const paths = new Map<string, string>();
    const text = readText(join(this.procRoot, 'self', 'cgroup')) ?? '';
    for (const line of text.split('\n')) {
      const [, controllers, path] = line.split(':');
      if (path === undefined) continue;
      for (const controller of controllers.split(',')) paths.set(controller, path);
    }
    return paths;
  }

  /**
   * Our own cgroup directory, or null when we sit in the root cgroup (whose counters are the whole
   * host's). Inside a container the mount usually is our cgroup itself, so the path from
   * /proc/self/cgroup does not exist below it; on a host it does.
   */
  private ownDir(base: string, selfPath: string | undefined, isRoot: (dir: string) => boolean): string | null {
    const nested = selfPath ? join(base, selfPath) : base;
    const dir = existsSync(nested) ? nested : base;
    return existsSync(dir) && !isRoot(dir) ? dir : null;
  }

  private v1Dir(names: string[], controller: string): string | null {
    const key = `v1:${controller}`;
    if (!this.dirs.has(key)) {
      const name = names.find((n) => existsSync(join(this.sysRoot, n)));
      // Only the root of a v1 hierarchy has cgroup.sane_behavior.
      const dir = name
        ? this.ownDir(join(this.sysRoot, name), this.selfPaths.get(controller), (d) => existsSync(join(d, 'cgroup.sane_behavior')))
        : null;
      this.dirs.set(key, dir);
    }
    return this.dirs.get(key) ?? null;
  }

  private v2Path(file: string): string | null {
    if (!this.dirs.has('v2')) {
      // The root of the unified hierarchy has neither memory.current nor cpu.max.
      const isRoot = (d: string) => !existsSync(join(d, 'memory.current')) && !existsSync(join(d, 'cpu.max'));
      this.dirs.set('v2', this.ownDir(this.sysRoot, this.selfPaths.get(''), isRoot));
    }
    const dir = this.dirs.get('v2');
    return dir ? join(dir, file) : null;
  }

  private v2File(file: string): string | null {
    const path = this.v2Path(file);
    return path ? readText(path) : null;
  }
}
