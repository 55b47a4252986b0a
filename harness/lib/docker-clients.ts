import Docker from 'dockerode';
import type { LabConfig, LabNode } from './lab-config.ts';
import { dockerEndpoint, swarmNodes } from './lab-config.ts';

/** A dockerode client for a lab node's endpoint (unix socket, tcp, or ssh for a remote lab). */
export function dockerClient(lab: LabConfig, node: LabNode): Docker {
  const endpoint = new URL(dockerEndpoint(lab, node));
  switch (endpoint.protocol) {
    case 'unix:':
      return new Docker({ socketPath: endpoint.pathname });
    case 'tcp:':
      return new Docker({ host: endpoint.hostname, port: Number(endpoint.port || 2375), protocol: 'http' });
    case 'ssh:':
      return new Docker({
        protocol: 'ssh',
        host: endpoint.hostname,
        port: Number(endpoint.port || 22),
        username: endpoint.username || 'root',
        sshOptions: node.ssh?.key ? { privateKeyPath: node.ssh.key } : { agent: process.env.SSH_AUTH_SOCK },
      } as Docker.DockerOptions);
    default:
      throw new Error(`node ${node.name}: unsupported Docker endpoint ${endpoint.href}`);
  }
}

export function managerDocker(lab: LabConfig): Docker {
  return dockerClient(lab, lab.swarm.manager);
}

export function nodeDockers(lab: LabConfig): Map<string, Docker> {
  return new Map(swarmNodes(lab).map((n) => [n.name, dockerClient(lab, n)]));
}
