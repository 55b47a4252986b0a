import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Starts a long-running process detached from us, its output appended to `log`; returns its pid. */
export function spawnDetached(cmd: string, args: string[], log: string): number {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number | undefined): pid is number {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie is not alive for our purposes
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isFinite(pid) && pid > 0 ? pid : undefined;
}

/** SIGTERM, wait up to graceMs for the exit, then SIGKILL. Resolves once the process is gone. */
export async function stopPid(pid: number | undefined, graceMs = 20_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
  }
}

/** Every pid inside a cgroup folder (any hierarchy) and its sub-folders. */
export function pidsInCgroup(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) {
        const pid = Number.parseInt(line, 10);
        if (pid > 0) pids.push(pid);
      }
    } catch {
      /* cgroup vanished while we walked it */
    }
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  walk(dir);
  return pids;
}

export async function killAll(pids: number[]): Promise<void> {
  for (const pid of new Set(pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 5000;
  while (pids.some((p) => isAlive(p)) && Date.now() < deadline) await sleep(50);
}
