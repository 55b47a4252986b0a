import { mkdir, rm } from 'node:fs/promises';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { LabPaths, cgroupParent, netnsName } from './lab-paths.ts';
import { isAlive, killAll, pidsInCgroup, readPid, spawnDetached, stopPid } from './processes.ts';
import { pidsInNetns } from './lab-network.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup folders of a node's containers, in every hierarchy (v1) or the one tree (v2). */
function nodeCgroupDirs(node: string): string[] {
  const parent = cgroupParent(node);
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return [join(CGROUP_ROOT, parent)];
  return readdirSync(CGROUP_ROOT)
    .map((h) => join(CGROUP_ROOT, h, parent))
    .filter((d) => existsSync(d));
}

function removeCgroupDirs(node: string): void {
  const rmTree = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      /* still busy: reported by the caller's leftover check */
    }
  };
  for (const d of nodeCgroupDirs(node)) rmTree(d);
}

export function dockerFor(paths: LabPaths, node: string): Docker {
  return new Docker({ socketPath: paths.node(node).socket });
}

export async function pingDocker(docker: Docker, timeoutMs = 2000): Promise<boolean> {
  try {
    await Promise.race([docker.ping(), sleep(timeoutMs).then(() => Promise.reject(new Error('timeout')))]);
    return true;
  } catch {
    return false;
  }
}

/** Every process a node left behind: in its network namespace or in its containers' cgroups. */
export async function nodeLeftoverPids(node: string): Promise<number[]> {
  const pids = await pidsInNetns(node);
  for (const d of nodeCgroupDirs(node)) pids.push(...pidsInCgroup(d));
  return [...new Set(pids)].filter((p) => p !== process.pid);
}

/**
 * Starts a node's dockerd in the node's network namespace, with its own hostname (UTS namespace)
 * and its own /run (mount namespace), so that containers that mount /var/run/docker.sock get
 * their own node's daemon, as on a real cluster. Reuses a daemon that is already up.
 */
export async function startDockerd(paths: LabPaths, node: string, registry: string): Promise<{ pid: number; reused: boolean }> {
  const p = paths.node(node);
  const running = readPid(p.pidFile);
  if (isAlive(running) && (await pingDocker(dockerFor(paths, node)))) return { pid: running, reused: true };

  // leftovers of a killed run: shims, containers, a dead daemon's sockets and pid files
  await killAll(await nodeLeftoverPids(node));
  removeCgroupDirs(node);
  await rm(p.run, { recursive: true, force: true });
  await mkdir(p.run, { recursive: true });
  await mkdir(p.dataRoot, { recursive: true });

  const script = [
    `hostname ${node}`,
    `mount --bind ${p.run} /run`,
    `exec dockerd --data-root ${p.dataRoot} -H unix:///run/docker.sock --pidfile /run/docker.pid` +
      ` --cgroup-parent ${cgroupParent(node)} --insecure-registry ${registry} --log-level warn`,
  ].join(' && ');
  const pid = spawnDetached(
    'nsenter',
    [`--net=/run/netns/${netnsName(node)}`, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', script],
    p.log,
  );
  const docker = dockerFor(paths, node);
  const deadline = Date.now() + 60_000;
  while (!(await pingDocker(docker))) {
    if (!isAlive(pid)) throw new Error(`dockerd of ${node} exited during start; see ${p.log}`);
    if (Date.now() > deadline) throw new Error(`dockerd of ${node} not answering after 60000 ms; see ${p.log}`);
    await sleep(200);
  }
  return { pid, reused: false };
}

/** Stops a node's dockerd (it stops its containers first), then anything it left behind. */
export async function stopDockerd(paths: LabPaths, node: string): Promise<void> {
  const p = paths.node(node);
  await stopPid(readPid(p.pidFile), 30_000);
  await killAll(await nodeLeftoverPids(node));
  removeCgroupDirs(node);
  await rm(p.run, { recursive: true, force: true });
}
