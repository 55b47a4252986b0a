import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { $ } from 'zx';
import type { LabConfig } from '../lib/config/lab-config.ts';
import { extraApps } from '../lib/cluster/extra-apps.ts';
import { LabPaths, netnsName } from './lab-paths.ts';
import { isAlive, readPid, spawnDetached, stopPid } from './processes.ts';

export const LAB_SERVICES = ['registry', 'victoria-metrics', 'haproxy', 'sink'] as const;

export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitTcp(what: string, host: string, port: number, pid: number, log: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tcpOpen(host, port))) {
    if (!isAlive(pid)) throw new Error(`${what} exited during start; see ${log}`);
    if (Date.now() > deadline) throw new Error(`${what} not listening on ${host}:${port} after ${timeoutMs} ms; see ${log}`);
    await sleep(100);
  }
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url.includes('://') ? url : `tcp://${url}`);
  return { host: u.hostname, port: Number(u.port) };
}

/** Starts a host-side service unless its recorded pid is alive; returns the pid. */
async function ensureService(
  paths: LabPaths,
  name: string,
  start: (dir: string, log: string) => Promise<number>,
  listen: { host: string; port: number },
): Promise<number> {
  const s = paths.service(name);
  await mkdir(s.dir, { recursive: true });
  const pid = readPid(s.pidFile);
  if (isAlive(pid) && (await tcpOpen(listen.host, listen.port))) return pid;
  await stopPid(pid, 5000);
  const fresh = await start(s.dir, s.log);
  await writeFile(s.pidFile, `${fresh}\n`);
  await waitTcp(name, listen.host, listen.port, fresh, s.log);
  return fresh;
}

export async function ensureRegistry(paths: LabPaths, lab: LabConfig): Promise<number> {
  const addr = hostPort(lab.registry);
  return ensureService(
    paths,
    'registry',
    async (dir, log) => {
      const config = [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: true}}`,
        `http: {addr: "${addr.host}:${addr.port}"}`,
      ].join('\n');
      await writeFile(`${dir}/config.yml`, `${config}\n`);
      return spawnDetached('docker-registry', ['serve', `${dir}/config.yml`], log);
    },
    addr,
  );
}

function victoriaMetricsArgs(dir: string, addr: { host: string; port: number }): string[] {
  return [`-storageDataPath=${dir}/data`, `-httpListenAddr=${addr.host}:${addr.port}`, '-retentionPeriod=1d', '-loggerLevel=WARN'];
}

export async function ensureVictoriaMetrics(paths: LabPaths, lab: LabConfig): Promise<number> {
  const addr = hostPort(lab.influxdb.url);
  const pid = await ensureService(paths, 'victoria-metrics', async (dir, log) => spawnDetached('victoria-metrics', victoriaMetricsArgs(dir, addr), log), addr);
  const s = paths.service('victoria-metrics');
  await writeFile(join(s.dir, 'tsdb-ctl'), tsdbCtlScript(s, addr, paths.service('haproxy').pidFile), { mode: 0o755 });
  return pid;
}

/**
 * `tsdb-ctl stop|start`: what `systemctl stop|start influxdb` does on a real TSDB host, for a remote
 * lab.yaml that points at the local lab and runs its faults over SSH (from a load generator's
 * login: same file system and processes, another network, hence the nsenter into the host's).
 */
function tsdbCtlScript(s: { dir: string; pidFile: string; log: string }, addr: { host: string; port: number }, hostNetPidFile: string): string {
  const up = `curl -sf --max-time 1 http://${addr.host}:${addr.port}/health >/dev/null 2>&1`;
  return `#!/bin/sh
# made by the local lab (harness/lab/lab-services.ts); removed by lab down
set -u
case "\${1:-}" in
stop)
  p=$(cat ${s.pidFile} 2>/dev/null || true)
  [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
  i=0; while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
  exit 0 ;;
start)
  if ${up}; then exit 0; fi
  # the host's network, through a lab process that lives in it (pid 1's may be unreadable in a container)
  h=$(cat ${hostNetPidFile}) || { echo "HAProxy's pid file is missing: is the lab up?" >&2; exit 1; }
  setsid nsenter --net=/proc/$h/ns/net victoria-metrics ${victoriaMetricsArgs(s.dir, addr).join(' ')} >>${s.log} 2>&1 </dev/null &
  echo $! > ${s.pidFile}
  i=0; until ${up}; do
    [ $i -ge 300 ] && { echo "VictoriaMetrics not answering on ${addr.host}:${addr.port} after 30 s; see ${s.log}" >&2; exit 1; }
    sleep 0.1; i=$((i + 1))
  done
  exit 0 ;;
*) echo "usage: $0 stop|start" >&2; exit 2 ;;
esac
`;
}

/**
 * What HAProxy retries for the client (lab.yaml entrypoint_balancer.retries). `none` lets every
 * failure reach the probes, so the figures are the application's; `conn-failure` is what most
 * balancers do (a refused or reset connection is tried on another server); `all` also retries empty
 * answers, timeouts and 502/503, which hides failures of the application itself.
 */
export function haproxyRetryLines(retries: LabConfig['entrypoint_balancer']['retries']): string[] {
  switch (retries) {
    case 'none':
      return ['  retries 0'];
    case 'conn-failure':
      return ['  retries 3', '  retry-on conn-failure', '  option redispatch 1'];
    case 'all':
      return ['  retries 3', '  option redispatch 1', '  retry-on conn-failure empty-response response-timeout 502 503'];
  }
}

/** The health checks of every backend: how fast a failing /health (a task's drain) takes a server out. */
function checkLines(lab: LabConfig): string[] {
  const b = lab.entrypoint_balancer;
  return [`  option httpchk GET ${lab.app.healthcheck.path}`, `  default-server inter ${b.check_interval_ms}ms fall ${b.fall} rise ${b.rise}`];
}

/**
 * The probe's requests get a backend of their own, whose servers follow the app backend's checks
 * (`track`): round robin then counts only the app's own requests. In one shared rotation the probe's
 * fixed period aliased with the load's: two probes and one work request per 200 ms over three
 * servers sent every work request to the same replica (66 % CPU against 38 % on the two others).
 */
function probeBackend(lab: LabConfig, name: string, backend: string, port: number): string[] {
  return [`backend ${name}`, '  balance roundrobin', ...lab.swarm.workers.map((w) => `  server ${w.name} ${w.address}:${port} track ${backend}/${w.name}`)];
}

const probeRule = (lab: LabConfig, backend: string) => `  use_backend ${backend} if { path ${lab.experiments.probe_path} }`;

export function haproxyConfig(lab: LabConfig, stateDir: string): string {
  const front = hostPort(lab.entrypoint);
  const port = lab.app.publish.port;
  const servers = lab.swarm.workers.map((w) => `  server ${w.name} ${w.address}:${port} check`);
  return [
    'global',
    `  stats socket ${stateDir}/haproxy.sock mode 600 level admin`,
    '  maxconn 4096',
    // failed or aborted requests only (dontlog-normal), with HAProxy's termination flags, into
    // haproxy.log: what a failed probe request met (retries, redispatch, server state)
    '  log stderr format raw local0',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option dontlog-normal',
    '  timeout connect 1s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout check 2s',
    ...haproxyRetryLines(lab.entrypoint_balancer.retries),
    'frontend entry',
    `  bind ${front.host}:${front.port}`,
    probeRule(lab, 'app-probe'),
    '  default_backend app',
    'backend app',
    '  balance roundrobin',
    ...checkLines(lab),
    ...servers,
    ...probeBackend(lab, 'app-probe', 'app', port),
    ...extraAppProxies(lab, front.host),
    '',
  ].join('\n');
}

/** A frontend per extra web-stress copy lab.yaml declares (harness/lib/cluster/extra-apps.ts) on its own port, to every worker's same port. */
function extraAppProxies(lab: LabConfig, host: string): string[] {
  return extraApps(lab).flatMap((a) => [
    `frontend ${a.name}`,
    `  bind ${host}:${a.port}`,
    probeRule(lab, `${a.name}-probe`),
    `  default_backend ${a.name}`,
    `backend ${a.name}`,
    '  balance roundrobin',
    ...checkLines(lab),
    ...lab.swarm.workers.map((w) => `  server ${w.name} ${w.address}:${a.port} check`),
    ...probeBackend(lab, `${a.name}-probe`, a.name, a.port),
  ]);
}

export async function ensureHaproxy(paths: LabPaths, lab: LabConfig): Promise<number> {
  const s = paths.service('haproxy');
  const current = await readFile(`${s.dir}/haproxy.cfg`, 'utf8').catch(() => '');
  if (current && current !== haproxyConfig(lab, s.dir)) await stopPid(readPid(s.pidFile), 5000); // new config: restart
  return ensureService(
    paths,
    'haproxy',
    async (dir, log) => {
      await writeFile(`${dir}/haproxy.cfg`, haproxyConfig(lab, dir));
      await $({ quiet: true })`haproxy -c -f ${dir}/haproxy.cfg`;
      // -db keeps it in the foreground so that the pid we hold is HAProxy's own
      return spawnDetached('haproxy', ['-db', '-f', `${dir}/haproxy.cfg`], log);
    },
    hostPort(lab.entrypoint),
  );
}

/**
 * A UDP discard sink on the host's bridge address: the target of web-stress's network stress,
 * so its traffic leaves the container's interface and ends at an address of the lab itself.
 */
export async function ensureSink(paths: LabPaths, lab: LabConfig): Promise<number | undefined> {
  if (!lab.app.network_sink) return undefined;
  const { host, port } = hostPort(lab.app.network_sink.replace('udp://', 'tcp://'));
  const s = paths.service('sink');
  await mkdir(s.dir, { recursive: true });
  const pid = readPid(s.pidFile);
  if (isAlive(pid)) return pid;
  const code = `const s=require('dgram').createSocket('udp4');let n=0;s.on('message',m=>{n+=m.length});s.bind(${port},'${host}');`;
  const fresh = spawnDetached(process.execPath, ['-e', code], s.log);
  await writeFile(s.pidFile, `${fresh}\n`);
  return fresh;
}

/**
 * The lab's SSH keys: one host key for every lab sshd, one client key, and a known_hosts file that
 * lists each host's address with the host key, so clients can check host keys against the lab's.
 */
export async function ensureSshKeys(paths: LabPaths, hosts: readonly { address: string }[]): Promise<void> {
  const k = paths.ssh;
  await mkdir(k.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(k.hostKey)) await $({ quiet: true })`ssh-keygen -q -t ed25519 -N '' -f ${k.hostKey}`;
  if (!existsSync(k.clientKey)) await $({ quiet: true })`ssh-keygen -q -t ed25519 -N '' -C swarmguard-lab -f ${k.clientKey}`;
  await $`cp ${k.clientKey}.pub ${k.authorizedKeys} && chmod 600 ${k.authorizedKeys}`;
  const [type, key] = (await readFile(`${k.hostKey}.pub`, 'utf8')).trim().split(/\s+/);
  await writeFile(k.knownHosts, hosts.map((h) => `${h.address} ${type} ${key}\n`).join(''));
}

/**
 * An sshd in a lab host's namespace, with its own hostname, accepting the lab's key; `env` is set
 * in every session (a node's DOCKER_HOST).
 */
export async function ensureSshd(paths: LabPaths, host: { name: string; address: string }, env: Record<string, string> = {}): Promise<number> {
  const s = paths.service(`sshd-${host.name}`);
  await mkdir(s.dir, { recursive: true });
  await mkdir('/run/sshd', { recursive: true });
  const pid = readPid(s.pidFile);
  if (isAlive(pid) && (await tcpOpen(host.address, 22))) return pid;
  await stopPid(pid, 5000);
  const k = paths.ssh;
  const sshd = [
    '/usr/sbin/sshd -D -e',
    `-h ${k.hostKey}`,
    `-o ListenAddress=${host.address}`,
    `-o AuthorizedKeysFile=${k.authorizedKeys}`,
    '-o StrictModes=no -o PasswordAuthentication=no -o PermitRootLogin=prohibit-password',
    '-o UsePAM=no -o PidFile=none',
    ...Object.entries(env).map(([k, v]) => `-o SetEnv=${k}=${v}`),
  ].join(' ');
  const fresh = spawnDetached(
    'nsenter',
    [`--net=/run/netns/${netnsName(host.name)}`, 'unshare', '--uts', 'sh', '-c', `hostname ${host.name} && exec ${sshd}`],
    s.log,
  );
  await writeFile(s.pidFile, `${fresh}\n`);
  await waitTcp(`sshd of ${host.name}`, host.address, 22, fresh, s.log);
  return fresh;
}

export async function stopService(paths: LabPaths, name: string): Promise<void> {
  await stopPid(readPid(paths.service(name).pidFile), 10_000);
}
