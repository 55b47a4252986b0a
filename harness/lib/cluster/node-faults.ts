import { LabPaths } from '../../lab/lab-paths.ts';
import { repairLeakedPorts, startDockerd, stopDockerd } from '../../lab/node-daemons.ts';
import { ensureVictoriaMetrics } from '../../lab/lab-services.ts';
import { readPid, stopPid } from '../../lab/processes.ts';
import { stateDir, swarmNodes, type LabConfig, type LabNode } from '../config/lab-config.ts';
import { nodeSshTarget } from '../remote/endpoint.ts';
import { connectSsh, type SshConnection } from '../remote/ssh-connect.ts';
import { sshExec } from '../remote/ssh-exec.ts';
import { shQuote } from '../config/sh-quote.ts';

/** What the node-failure experiment does to a node: stop its Docker engine, and start it again. */
export interface NodeFaults {
  /** How the faults are made, for the report ("local lab: dockerd stopped by pid", "over SSH: …"). */
  readonly how: string;
  stopDocker(node: string): Promise<void>;
  /** Starts the engine again; resolves once the command says it is up, with a line for the log. */
  startDocker(node: string): Promise<string>;
  /** Once the node is back in the swarm: what the lab repaired after it (the local lab's leaked ports). */
  settle(node: string): Promise<string[]>;
  close(): void;
}

/** The fault command for one host: {node} replaced by its name, through `sudo -n` where lab.yaml says so. */
export function faultCommand(template: string, node: Pick<LabNode, 'name' | 'ssh'>): string {
  const command = template.replaceAll('{node}', node.name);
  if (!node.ssh?.sudo) return command;
  return `sudo -n sh -c ${shQuote(command)}`;
}

/** Runs a fault command on a host over SSH (one login, kept for the next command); throws on a non-zero exit. */
class SshFaultRunner {
  private conn: Promise<SshConnection> | undefined;

  constructor(
    private readonly host: { name: string; address: string; ssh?: LabNode['ssh'] },
    private readonly timeoutMs: number,
  ) {}

  async run(template: string): Promise<string> {
    if (!this.conn || (await this.conn.catch(() => undefined))?.closed !== false) this.conn = connectSsh(nodeSshTarget(this.host));
    const command = faultCommand(template, this.host);
    const r = await sshExec(await this.conn, command, { timeoutMs: this.timeoutMs });
    if (r.code !== 0) throw new Error(`${this.host.name}: \`${command}\` exited ${r.code}: ${(r.stderr.trim() || r.stdout.trim()).slice(0, 300)}`);
    return r.stdout.trim();
  }

  close(): void {
    void this.conn?.then((c) => c.close(), () => undefined);
  }
}

/**
 * The lab's way to fail a node. A local lab stops and starts the node's dockerd itself; a remote
 * one runs lab.yaml's faults commands over the node's SSH login (default `systemctl stop docker`).
 */
export function nodeFaults(lab: LabConfig): NodeFaults {
  const byName = new Map(swarmNodes(lab).map((n) => [n.name, n]));
  const nodeOf = (name: string) => {
    const n = byName.get(name);
    if (!n) throw new Error(`no swarm node named ${name} in lab ${lab.name}`);
    return n;
  };
  if (lab.kind === 'local') {
    const paths = new LabPaths(stateDir(lab));
    return {
      how: 'local lab: the node\'s dockerd stopped (SIGTERM, then what it left) and started again by the harness',
      stopDocker: (name) => stopDockerd(paths, name),
      startDocker: async (name) => `pid ${(await startDockerd(paths, nodeOf(name), lab.registry)).pid}`,
      settle: (name) => repairLeakedPorts(paths, nodeOf(name), lab.registry),
      close: () => undefined,
    };
  }
  const f = lab.faults;
  const runners = new Map<string, SshFaultRunner>();
  const run = (name: string, template: string): Promise<string> => {
    let r = runners.get(name);
    if (!r) runners.set(name, (r = new SshFaultRunner(nodeOf(name), f.timeout_s * 1000)));
    return r.run(template);
  };
  return {
    how: `over SSH on the node: \`${f.stop_docker}\`, then \`${f.start_docker}\``,
    stopDocker: async (name) => void (await run(name, f.stop_docker)),
    startDocker: async (name) => (await run(name, f.start_docker)) || 'done',
    settle: async () => [],
    close: () => {
      for (const r of runners.values()) r.close();
    },
  };
}

/** What the tsdb-down experiment does to the time-series store. */
export interface TsdbFaults {
  readonly how: string;
  stop(): Promise<void>;
  /** Starts it again; resolves with a line for the log once the command says it is up. */
  start(): Promise<string>;
  close(): void;
}

/** Whether tsdb-down can run on this lab: the local lab's own store, or lab.yaml's faults.tsdb. */
export function canFailTsdb(lab: LabConfig): boolean {
  return lab.kind === 'local' || lab.faults.tsdb !== undefined;
}

/**
 * The lab's way to stop its time-series store: the local lab's VictoriaMetrics by its pid, or
 * faults.tsdb's commands over SSH on the store's host (default systemctl stop|start influxdb).
 */
export function tsdbFaults(lab: LabConfig): TsdbFaults {
  if (lab.kind === 'local') {
    const paths = new LabPaths(stateDir(lab));
    const vm = paths.service('victoria-metrics');
    return {
      how: "local lab: VictoriaMetrics stopped (SIGTERM) by the harness",
      stop: () => stopPid(readPid(vm.pidFile), 10_000),
      start: async () => `pid ${await ensureVictoriaMetrics(paths, lab)}`,
      close: () => undefined,
    };
  }
  const t = lab.faults.tsdb;
  if (!t) throw new Error(`lab ${lab.name} names no faults.tsdb host: tsdb-down cannot stop its time-series store`);
  const runner = new SshFaultRunner(t, lab.faults.timeout_s * 1000);
  return {
    how: `over SSH on ${t.name}: \`${t.stop}\`, then \`${t.start}\``,
    stop: async () => void (await runner.run(t.stop)),
    start: async () => (await runner.run(t.start)) || 'done',
    close: () => runner.close(),
  };
}
