import { LabPaths } from '../lab/lab-paths.ts';
import { startDockerd, stopDockerd } from '../lab/node-daemons.ts';
import { stateDir, swarmNodes, type LabConfig, type LabNode } from './lab-config.ts';
import { nodeSshTarget } from './remote/endpoint.ts';
import { connectSsh, type SshConnection } from './remote/ssh-connect.ts';
import { sshExec } from './remote/ssh-exec.ts';

/** What the node-failure experiment does to a node: stop its Docker engine, and start it again. */
export interface NodeFaults {
  /** How the faults are made, for the report ("local lab: dockerd stopped by pid", "over SSH: …"). */
  readonly how: string;
  stopDocker(node: string): Promise<void>;
  /** Starts the engine again; resolves once the command says it is up, with a line for the log. */
  startDocker(node: string): Promise<string>;
  close(): void;
}

/** The fault command for one node: {node} replaced by its name, through `sudo -n` where lab.yaml says so. */
export function faultCommand(template: string, node: LabNode): string {
  const command = template.replaceAll('{node}', node.name);
  if (!node.ssh?.sudo) return command;
  return `sudo -n sh -c '${command.replace(/'/g, `'\\''`)}'`;
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
      close: () => undefined,
    };
  }
  const f = lab.faults;
  const connections = new Map<string, Promise<SshConnection>>();
  const run = async (name: string, template: string): Promise<string> => {
    const node = nodeOf(name);
    let conn = connections.get(name);
    if (!conn || (await conn.catch(() => undefined))?.closed) {
      conn = connectSsh(nodeSshTarget(node));
      connections.set(name, conn);
    }
    const command = faultCommand(template, node);
    const r = await sshExec(await conn, command, { timeoutMs: f.timeout_s * 1000 });
    if (r.code !== 0) throw new Error(`${name}: \`${command}\` exited ${r.code}: ${(r.stderr.trim() || r.stdout.trim()).slice(0, 300)}`);
    return r.stdout.trim();
  };
  return {
    how: `over SSH on the node: \`${f.stop_docker}\`, then \`${f.start_docker}\``,
    stopDocker: async (name) => void (await run(name, f.stop_docker)),
    startDocker: async (name) => (await run(name, f.start_docker)) || 'done',
    close: () => {
      for (const c of connections.values()) void c.then((x) => x.close(), () => undefined);
    },
  };
}
