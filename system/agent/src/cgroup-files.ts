import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a container's counters live on the host, found from /proc/<pid>/cgroup of its init process. */
export type CgroupDirs =
  | { version: 1; cpuacct: string; memory: string }
  | { version: 2; dir: string };

/** Errors of a file that disappeared with its process or cgroup: the container is gone, not broken. */
const GONE_CODES = new Set(['ENOENT', 'ESRCH', 'ENODEV']);

export function isGoneError(err: unknown): boolean {
  return GONE_CODES.has((err as NodeJS.ErrnoException | null)?.code ?? '');
}

/** A file's text, or null when it is gone (ENOENT and kin); other errors are thrown. */
export function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isGoneError(err)) return null;
    throw err;
  }
}

/** `hierarchy:controllers:path` lines of /proc/<pid>/cgroup → controller ('' for the v2 line) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    for (const c of controllers.split(',')) paths.set(c, path);
  }
  return paths;
}

/** One key's value in `key value` lines (memory.stat, cpu.stat), without parsing the other lines. */
export function flatKeyedValue(text: string, key: string): number | undefined {
  const prefix = `${key} `;
  const line = text.startsWith(prefix) ? 0 : text.indexOf(`\n${prefix}`) + 1;
  if (line === 0 && !text.startsWith(prefix)) return undefined;
  const end = text.indexOf('\n', line);
  return Number(text.slice(line + prefix.length, end < 0 ? undefined : end));
}

/** /proc/<pid>/net/dev → bytes per interface, loopback left out (Docker's `networks` has no lo either). */
export function parseNetDev(text: string): Record<string, { rx_bytes: number; tx_bytes: number }> {
  const networks: Record<string, { rx_bytes: number; tx_bytes: number }> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo') continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes …
    networks[name] = { rx_bytes: Number(fields[0]), tx_bytes: Number(fields[8]) };
  }
  return networks;
}

/** MemTotal of /proc/meminfo in bytes: Docker caps an unlimited container's memory limit there too. */
export function parseMemTotal(text: string): number {
  const match = /^MemTotal:\s+(\d+) kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * A cgroup path as /proc/<pid>/cgroup shows it, turned into a folder under `base`. Outside the reader's
 * cgroup namespace (a private one, Docker's default on cgroup v2) the path starts with `/..`
 * segments relative to the reader's own cgroup, which it cannot see; then the folder is found by its
 * remaining tail (it holds the container id), searched at most `depth` levels below `base`.
 */
export function resolveCgroupDir(base: string, path: string, depth = 3): string | null {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (!parts.includes('..')) {
    const dir = join(base, ...parts);
    return existsSync(dir) ? dir : null;
  }
  const tail = parts.slice(parts.lastIndexOf('..') + 1);
  if (tail.length === 0) return null;
  let level = [base];
  for (let d = 0; d <= depth && level.length > 0; d++) {
    for (const dir of level) {
      const candidate = join(dir, ...tail);
      if (existsSync(candidate)) return candidate;
    }
    level = level.flatMap((dir) => subdirs(dir));
  }
  return null;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return []; // a folder that vanished or cannot be listed holds nothing to search
  }
}

/** The v1 hierarchy's mount folder of a controller: `cpuacct`, or a co-mounted `cpu,cpuacct` without the usual symlink. */
function v1Mount(root: string, controller: string, controllers: string[]): string | null {
  for (const name of [controller, controllers.join(','), [...controllers].reverse().join(',')]) {
    const dir = join(root, name);
    if (existsSync(dir)) return dir;
  }
  return null;
}

/**
 * The container's counter folders from its /proc/<pid>/cgroup text, or an error naming what is
 * missing. cgroup v1 when the file has cpuacct and memory lines (also on hybrid hosts, where the
 * container's v1 hierarchies hold the counters), else the v2 line `0::/path`.
 */
export function locateCgroup(root: string, procCgroup: string): CgroupDirs | { error: string } {
  const lines = procCgroup.split('\n').filter((l) => l.includes(':'));
  const paths = parseProcCgroup(procCgroup);
  const cpuacct = paths.get('cpuacct');
  const memory = paths.get('memory');
  if (cpuacct !== undefined && memory !== undefined) {
    const controllersOf = (c: string) => lines.map((l) => l.split(':')[1].split(',')).find((cs) => cs.includes(c)) ?? [c];
    const cpuMount = v1Mount(root, 'cpuacct', controllersOf('cpuacct'));
    const memMount = v1Mount(root, 'memory', controllersOf('memory'));
    if (!cpuMount || !memMount) return { error: `no cgroup v1 cpuacct/memory hierarchy under ${root}` };
    const cpuDir = resolveCgroupDir(cpuMount, cpuacct);
    const memDir = resolveCgroupDir(memMount, memory);
    if (!cpuDir || !memDir) return { error: `cgroup v1 folders not found: cpuacct ${join(cpuMount, cpuacct)}, memory ${join(memMount, memory)}` };
    return { version: 1, cpuacct: cpuDir, memory: memDir };
  }
  const unified = paths.get('');
  if (unified === undefined) return { error: 'neither cgroup v1 cpuacct/memory lines nor a cgroup v2 line' };
  if (!existsSync(join(root, 'cgroup.controllers'))) return { error: `${root} is not a cgroup v2 mount (no cgroup.controllers)` };
  const dir = resolveCgroupDir(root, unified);
  if (!dir) return { error: `cgroup v2 folder not found: ${join(root, unified)}` };
  return { version: 2, dir };
}
