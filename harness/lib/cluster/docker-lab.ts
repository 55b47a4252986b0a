import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { LabConfig } from '../config/lab-config.ts';
import type { TimingEvent } from '../config/types.ts';
import { logText, scrapeEvents } from '../events/log-scraper.ts';
import { managerDocker, nodeDockers } from './docker-clients.ts';
import { DockerSwarm } from './docker-swarm.ts';
import type { LabPort } from './lab-port.ts';
import { nodeFaults, tsdbFaults, type NodeFaults, type TsdbFaults } from './node-faults.ts';
import type { ContainerFilter, EngineEventQuery, EngineVersion, TaskContainer } from './types.ts';

const SERVICE_LABEL = 'com.docker.swarm.service.name';

/**
 * LabPort over dockerode: the manager's client for the swarm, each node's own client for its
 * containers (docker-clients.ts picks the transport: a local socket, or SSH/TLS to a remote lab),
 * and node-faults.ts for the faults, which are made the local lab's way or over SSH.
 */
export class DockerLab extends DockerSwarm implements LabPort {
  constructor(
    private readonly lab: LabConfig,
    manager: Docker = managerDocker(lab),
    private readonly nodeClients: ReadonlyMap<string, Docker> = nodeDockers(lab),
  ) {
    super(manager);
  }

  private node(name: string): Docker {
    const d = this.nodeClients.get(name);
    if (!d) throw new Error(`no Docker client for node ${name}`);
    return d;
  }

  hasNode(node: string): boolean {
    return this.nodeClients.has(node);
  }

  async containers(node: string, filter: ContainerFilter): Promise<TaskContainer[]> {
    const filters = { label: [filter.service === undefined ? SERVICE_LABEL : `${SERVICE_LABEL}=${filter.service}`], ...(filter.running ? { status: ['running'] } : {}) };
    const list = (await this.node(node).listContainers({ ...(filter.all ? { all: true } : {}), filters })) as { Id: string; Labels: Record<string, string> }[];
    return list.map((c) => ({ id: c.Id, service: c.Labels[SERVICE_LABEL] ?? '' }));
  }

  async kill(node: string, containerId: string, signal: string): Promise<void> {
    await this.node(node).getContainer(containerId).kill({ signal });
  }

  async containerStartedAt(node: string, containerId: string): Promise<string> {
    return ((await this.node(node).getContainer(containerId).inspect()) as { State: { StartedAt: string } }).State.StartedAt;
  }

  async logs(node: string, containerId: string): Promise<string> {
    return logText(await this.node(node).getContainer(containerId).logs({ stdout: true, stderr: true, follow: false }));
  }

  async engineEvents(node: string, q: EngineEventQuery): Promise<Readable> {
    // an http.IncomingMessage: a Readable, which dockerode types as the older NodeJS.ReadableStream
    return (await this.node(node).getEvents({
      since: q.since,
      until: q.until,
      filters: { type: ['container'], event: [q.event], container: [q.containerId] },
    })) as Readable;
  }

  nodeFaults(): NodeFaults {
    return nodeFaults(this.lab);
  }

  storeFaults(): TsdbFaults {
    return tsdbFaults(this.lab);
  }

  async engineVersion(): Promise<EngineVersion> {
    const info = (await this.manager.version()) as { Version: string; ApiVersion: string };
    return { version: info.Version, apiVersion: info.ApiVersion };
  }

  timingEvents(sinceMs: number, services?: string[]): Promise<TimingEvent[]> {
    return scrapeEvents(this.manager, sinceMs, services, this.nodeClients);
  }
}
