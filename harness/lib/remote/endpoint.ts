import type { LabConfig, LabNode, LoadGeneratorSpec } from '../config/lab-config.ts';
import { dockerEndpoint } from '../config/lab-config.ts';
import type { TlsFiles } from './tls-options.ts';

/** Where and how to log in over SSH: a swarm node's ssh:// endpoint, or a load generator. */
export interface SshTarget {
  /** The lab's name for the host, named in every error. */
  name: string;
  host: string;
  port: number;
  user: string;
  /** Key file; unset: the SSH agent ($SSH_AUTH_SOCK). */
  key?: string;
  passphraseEnv?: string;
  knownHosts?: string;
  trustOnFirstUse?: boolean;
  jump?: { host: string; port: number; user: string; key?: string };
}

export type Endpoint =
  | { kind: 'unix'; node: string; url: string; path: string }
  | { kind: 'tcp'; node: string; url: string; host: string; port: number; tls?: TlsFiles }
  | { kind: 'ssh'; node: string; url: string; target: SshTarget };

/** URL keeps an IPv6 literal's brackets; sockets and known_hosts want the bare address. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** A node's Docker endpoint, parsed once: errors name the node and the endpoint. */
export function parseEndpoint(node: LabNode, text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${node.name}: Docker endpoint ${JSON.stringify(text)} is not a URL (expected unix:///path, tcp://host:port or ssh://user@host)`);
  }
  const port = (fallback: number) => {
    const p = url.port ? Number(url.port) : fallback;
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`${node.name}: Docker endpoint ${text} has port ${url.port}, expected 1..65535`);
    return p;
  };
  if (node.tls && url.protocol !== 'tcp:') throw new Error(`${node.name}: tls is set, but its Docker endpoint ${text} is not tcp://`);
  switch (url.protocol) {
    case 'unix:':
      return { kind: 'unix', node: node.name, url: text, path: url.pathname };
    case 'tcp:': {
      const host = bareHost(url.hostname);
      if (!host) throw new Error(`${node.name}: Docker endpoint ${text} names no host`);
      // 2376 is Docker's TLS port, 2375 its plain one
      return { kind: 'tcp', node: node.name, url: text, host, port: port(node.tls ? 2376 : 2375), ...(node.tls ? { tls: node.tls } : {}) };
    }
    case 'ssh:': {
      const host = bareHost(url.hostname);
      if (!host) throw new Error(`${node.name}: Docker endpoint ${text} names no host`);
      const ssh = node.ssh;
      const target: SshTarget = {
        name: node.name,
        host,
        port: port(ssh?.port ?? 22),
        user: decodeURIComponent(url.username) || ssh?.user || 'root',
        ...(ssh?.key ? { key: ssh.key } : {}),
        ...(ssh?.passphrase_env ? { passphraseEnv: ssh.passphrase_env } : {}),
        ...(ssh?.known_hosts ? { knownHosts: ssh.known_hosts } : {}),
        ...(ssh?.trust_on_first_use ? { trustOnFirstUse: true } : {}),
        ...(ssh?.jump ? { jump: ssh.jump } : {}),
      };
      return { kind: 'ssh', node: node.name, url: text, target };
    }
    default:
      throw new Error(`${node.name}: unsupported Docker endpoint ${text} (expected unix://, tcp:// or ssh://)`);
  }
}

/** A swarm node's endpoint as lab.yaml gives it (or derives it). */
export function nodeEndpoint(lab: LabConfig, node: LabNode): Endpoint {
  return parseEndpoint(node, dockerEndpoint(lab, node));
}

/** A swarm node's own SSH login (node.ssh at the node's address), which the fault commands use. */
export function nodeSshTarget(node: LabNode): SshTarget {
  return generatorTarget({ name: node.name, address: node.address, ssh: { user: 'root', port: 22, ...node.ssh } });
}

/** A load generator's SSH login. */
export function generatorTarget(g: Pick<LoadGeneratorSpec, 'name' | 'address' | 'ssh'>): SshTarget {
  const s = g.ssh;
  return {
    name: g.name,
    host: g.address,
    port: s.port,
    user: s.user,
    ...(s.key ? { key: s.key } : {}),
    ...(s.passphrase_env ? { passphraseEnv: s.passphrase_env } : {}),
    ...(s.known_hosts ? { knownHosts: s.known_hosts } : {}),
    ...(s.trust_on_first_use ? { trustOnFirstUse: true } : {}),
    ...(s.jump ? { jump: s.jump } : {}),
  };
}
