import { mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { LabPaths, cgroupParent, netnsName } from './lab-paths.ts';
import { isAlive, killAll, pidsInCgroup, readPid, spawnDetached, stopPid } from './processes.ts';
import { pidsInNetns } from './lab-network.ts';
import { dockerdTlsFlags } from './node-tls.ts';
import { shQuote } from '../lib/config/sh-quote.ts';

/** A lab host as the daemons need it. */
export interface LabHost {
  name: string;
  address: string;
}

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

/** Every process a node left behind: in its network namespace or in its containers' cgroups, except `keep`. */
export async function nodeLeftoverPids(node: string, keep: readonly number[] = []): Promise<number[]> {
  const pids = await pidsInNetns(node);
  for (const d of nodeCgroupDirs(node)) pids.push(...pidsInCgroup(d));
  return [...new Set(pids)].filter((p) => p !== process.pid && !keep.includes(p));
}

/** The shell line that runs a node's dockerd inside its own namespaces (see startDockerd). */
function dockerdScript(paths: LabPaths, node: LabHost, registry: string): string {
  const p = paths.node(node.name);
  return [
    `hostname ${node.name}`,
    `mount --bind ${p.run} /run`,
    `exec dockerd --data-root ${p.dataRoot} -H unix:///run/docker.sock ${dockerdTlsFlags(paths, node).join(' ')} --pidfile /run/docker.pid` +
      ` --cgroup-parent ${cgroupParent(node.name)} --insecure-registry ${registry} --log-level warn`,
  ].join(' && ');
}

function nsenterArgs(node: string, script: string): string[] {
  return [`--net=/run/netns/${netnsName(node)}`, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', script];
}

/**
 * `dockerd-ctl stop|start` for one node: what `systemctl stop|start docker` does on a real node
 * (stop: dockerd stops its containers and exits; start: it comes back and rejoins the swarm), for
 * a remote lab.yaml that points at the local lab and runs its faults over SSH. stop also kills what
 * is left in the node's container cgroups, as the local lab's own stop does, but nothing else in
 * the node's network: the SSH session that runs it lives there.
 */
export function dockerdCtlScript(paths: LabPaths, node: LabHost, registry: string): string {
  const p = paths.node(node.name);
  const q = shQuote;
  const ping = `curl -sf --max-time 2 --unix-socket ${p.socket} http://docker/_ping >/dev/null 2>&1`;
  return `#!/bin/sh
# made by the local lab (harness/lab/node-daemons.ts); removed by lab down
set -u
pid() { cat ${p.pidFile} 2>/dev/null || true; }
case "\${1:-}" in
stop)
  p=$(pid)
  [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
  i=0; while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
  for f in $(find /sys/fs/cgroup -path '*/${cgroupParent(node.name)}/*' -name cgroup.procs 2>/dev/null); do
    for c in $(cat "$f"); do kill -KILL "$c" 2>/dev/null; done
  done
  exit 0 ;;
start)
  if ${ping}; then exit 0; fi
  rm -rf ${p.run} && mkdir -p ${p.run} ${p.dataRoot}
  setsid nsenter ${nsenterArgs(node.name, dockerdScript(paths, node, registry)).map(q).join(' ')} >>${p.log} 2>&1 </dev/null &
  i=0; until ${ping}; do
    [ $i -ge 600 ] && { echo "dockerd of ${node.name} not answering after 60 s; see ${p.log}" >&2; exit 1; }
    sleep 0.1; i=$((i + 1))
  done
  exit 0 ;;
*) echo "usage: $0 stop|start" >&2; exit 2 ;;
esac
`;
}

/**
 * Starts a node's dockerd in the node's network namespace, with its own hostname (UTS namespace)
 * and its own /run (mount namespace), so that containers that mount /var/run/docker.sock get
 * their own node's daemon, as on a real cluster. It also listens on TCP with TLS (the lab's
 * certificates, see node-tls.ts). Reuses a daemon that is already up.
 */
export async function startDockerd(paths: LabPaths, node: LabHost, registry: string): Promise<{ pid: number; reused: boolean }> {
  const p = paths.node(node.name);
  await mkdir(p.dir, { recursive: true });
  await writeFile(p.ctl, dockerdCtlScript(paths, node, registry), { mode: 0o755 });
  const running = readPid(p.pidFile);
  if (isAlive(running) && (await pingDocker(dockerFor(paths, node.name)))) return { pid: running, reused: true };

  // leftovers of a killed run: shims, containers, a dead daemon's sockets and pid files
  await killAll(await nodeLeftoverPids(node.name, sshdPids(paths, node.name)));
  removeCgroupDirs(node.name);
  await rm(p.run, { recursive: true, force: true });
  await mkdir(p.run, { recursive: true });
  await mkdir(p.dataRoot, { recursive: true });

  const pid = spawnDetached('nsenter', nsenterArgs(node.name, dockerdScript(paths, node, registry)), p.log);
  const docker = dockerFor(paths, node.name);
  const deadline = Date.now() + 60_000;
  while (!(await pingDocker(docker))) {
    if (!isAlive(pid)) throw new Error(`dockerd of ${node.name} exited during start; see ${p.log}`);
    if (Date.now() > deadline) throw new Error(`dockerd of ${node.name} not answering after 60000 ms; see ${p.log}`);
    await sleep(200);
  }
  return { pid, reused: false };
}

/** The node's own sshd (the lab runs one per node): a node failure stops dockerd, not the machine's sshd. */
function sshdPids(paths: LabPaths, node: string): number[] {
  const pid = readPid(paths.service(`sshd-${node}`).pidFile);
  return pid ? [pid] : [];
}

/** Stops a node's dockerd (it stops its containers first), then anything it left behind. */
export async function stopDockerd(paths: LabPaths, node: string): Promise<void> {
  const p = paths.node(node);
  await stopPid(readPid(p.pidFile), 30_000);
  await killAll(await nodeLeftoverPids(node, sshdPids(paths, node)));
  removeCgroupDirs(node);
  await rm(p.run, { recursive: true, force: true });
}

/** A docker-proxy process: the host port it holds and the container address it forwards to. */
export function parseDockerProxy(cmdline: string): { hostPort: number; containerIp: string } | undefined {
  const args = cmdline.split('\0').filter(Boolean);
  if (!args[0]?.endsWith('docker-proxy')) return undefined;
  const arg = (name: string) => args[args.indexOf(name) + 1];
  const hostPort = Number(arg('-host-port'));
  const containerIp = arg('-container-ip');
  return args.includes('-host-port') && args.includes('-container-ip') && Number.isInteger(hostPort) && containerIp ? { hostPort, containerIp } : undefined;
}

/**
 * Docker 20.10 leaves a docker-proxy behind when swarm removes a task's container right after its
 * dockerd came back (seen after the lab's kill -9 recovery): it keeps the published port, and so
 * does the daemon's own port allocator, so every later task placed on that node fails with "port
 * is already allocated". Killing the proxy frees the socket but not the allocator: the node's
 * dockerd is restarted too (it runs no task that needs the port). Only running containers count as
 * owners: one that failed to start keeps the address it was given. Returns what it found,
 * "<port> → <ip> (pid)"; empty when the node was clean and left alone.
 */
export async function repairLeakedPorts(paths: LabPaths, node: LabHost, registry: string): Promise<string[]> {
  const found = await orphanProxies(paths, node.name);
  if (found.length === 0) return [];
  await stopDockerd(paths, node.name);
  await startDockerd(paths, node, registry);
  return found;
}

async function orphanProxies(paths: LabPaths, node: string): Promise<string[]> {
  const docker = dockerFor(paths, node);
  const running = (await docker.listContainers({ filters: { status: ['running', 'restarting', 'paused'] } })) as Array<{ NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } }>;
  const live = new Set(running.flatMap((c) => Object.values(c.NetworkSettings?.Networks ?? {}).map((n) => n.IPAddress).filter(Boolean)));
  const killed: string[] = [];
  for (const pid of await pidsInNetns(node)) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const proxy = parseDockerProxy(cmdline);
    if (!proxy || live.has(proxy.containerIp)) continue;
    await killAll([pid]);
    killed.push(`${proxy.hostPort} → ${proxy.containerIp} (${pid})`);
  }
  return killed;
}
