import Docker from 'dockerode';
import type { LabConfig, LabNode } from '../config/lab-config.ts';
import { swarmNodes } from '../config/lab-config.ts';
import { nodeEndpoint, type Endpoint } from '../remote/endpoint.ts';
import type { ConnectOptions } from '../remote/ssh-connect.ts';
import { SshDockerAgent } from '../remote/ssh-docker-agent.ts';
import { tlsOptions } from '../remote/tls-options.ts';

export interface OpenDockerOptions {
  /** Bound on each request (tcp/unix) and on reaching and logging in to an SSH host. */
  timeoutMs?: number;
  connect?: ConnectOptions;
}

/**
 * A dockerode client for one endpoint and the means to close its connection. ssh:// goes over
 * SshDockerAgent (one SSH connection per host, known_hosts checked, key file or agent, optional
 * jump host); tcp:// with tls speaks https with the node's client certificate.
 */
export function openDocker(endpoint: Endpoint, options: OpenDockerOptions = {}): { docker: Docker; close: () => void } {
  const timeout = options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs };
  switch (endpoint.kind) {
    case 'unix':
      return { docker: new Docker({ socketPath: endpoint.path, ...timeout }), close: () => undefined };
    case 'tcp': {
      const tls = endpoint.tls ? tlsOptions(endpoint.node, endpoint.tls) : { protocol: 'http' as const };
      return { docker: new Docker({ host: endpoint.host, port: endpoint.port, ...tls, ...timeout }), close: () => undefined };
    }
    case 'ssh': {
      const agent = new SshDockerAgent(endpoint.target, { ...options.connect, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
      // plain HTTP framing over the agent's dial-stdio channels; host and port only fill the URL
      const docker = new Docker({ protocol: 'http', host: endpoint.target.host, port: endpoint.target.port, agent } as Docker.DockerOptions);
      return { docker, close: () => agent.close() };
    }
  }
}

/** One client per endpoint (with its settings) for the whole process, so every caller shares its SSH connection. */
const shared = new Map<string, Docker>();

/** A dockerode client for a lab node's endpoint (unix socket, tcp with or without TLS, or ssh). */
export function dockerClient(lab: LabConfig, node: LabNode): Docker {
  const endpoint = nodeEndpoint(lab, node);
  const key = JSON.stringify(endpoint);
  let docker = shared.get(key);
  if (!docker) {
    docker = openDocker(endpoint).docker;
    shared.set(key, docker);
  }
  return docker;
}

export function managerDocker(lab: LabConfig): Docker {
  return dockerClient(lab, lab.swarm.manager);
}

export function nodeDockers(lab: LabConfig): Map<string, Docker> {
  return new Map(swarmNodes(lab).map((n) => [n.name, dockerClient(lab, n)]));
}
