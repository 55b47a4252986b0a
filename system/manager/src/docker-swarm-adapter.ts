import Docker from 'dockerode';
import type { NodeInfo, ServiceInfo, ServiceSpec, SwarmPort, TaskInfo } from './swarm-port.ts';

/* The Engine API's JSON, as far as the adapter reads it. */
interface RawService {
  ID: string;
  Version?: { Index?: number };
  Spec: ServiceSpec;
  UpdateStatus?: { State?: string; Message?: string };
}
interface RawTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  Status?: { State?: string; Timestamp?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}
interface RawNode {
  ID: string;
  Description?: { Hostname?: string; Platform?: { OS?: string; Architecture?: string }; Engine?: { Labels?: Record<string, string> } };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
}

function toService(raw: RawService): ServiceInfo {
  return {
    id: raw.ID,
    name: raw.Spec.Name ?? raw.ID,
    version: raw.Version?.Index ?? 0,
    spec: raw.Spec,
    updateState: raw.UpdateStatus?.State,
    updateMessage: raw.UpdateStatus?.Message,
  };
}

function sinceOf(timestamp: string | undefined): number | undefined {
  const t = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

function toTask(raw: RawTask): TaskInfo {
  return {
    id: raw.ID,
    serviceId: raw.ServiceID,
    nodeId: raw.NodeID ?? '',
    slot: raw.Slot,
    state: raw.Status?.State ?? 'unknown',
    desiredState: raw.DesiredState ?? 'unknown',
    containerId: raw.Status?.ContainerStatus?.ContainerID,
    since: sinceOf(raw.Status?.Timestamp),
    message: raw.Status?.Message,
    error: raw.Status?.Err,
  };
}

/** `Status.Addr`; a manager may show 0.0.0.0 there, its `ManagerStatus.Addr` (host:port) then names it. */
function addressOf(raw: RawNode): { addr?: string } {
  const status = raw.Status?.Addr;
  if (status && status !== '0.0.0.0') return { addr: status };
  const manager = raw.ManagerStatus?.Addr?.replace(/:\d+$/, '');
  return manager ? { addr: manager } : {};
}

function toNode(raw: RawNode): NodeInfo {
  return {
    id: raw.ID,
    hostname: raw.Description?.Hostname ?? raw.ID,
    role: raw.Spec?.Role === 'manager' ? 'manager' : 'worker',
    state: raw.Status?.State ?? 'unknown',
    ...addressOf(raw),
    availability: raw.Spec?.Availability ?? 'unknown',
    labels: raw.Spec?.Labels ?? {},
    engineLabels: raw.Description?.Engine?.Labels ?? {},
    os: raw.Description?.Platform?.OS,
    arch: raw.Description?.Platform?.Architecture,
  };
}

/**
 * SwarmPort over dockerode. `new Docker()` honours DOCKER_HOST and otherwise uses
 * /var/run/docker.sock, which must belong to a swarm manager. dockerode itself waits for an answer
 * as long as the connection stays open: `startServer` wraps this adapter in DeadlineSwarmPort.
 */
export class DockerSwarmAdapter implements SwarmPort {
  constructor(private readonly docker: Docker = new Docker()) {}

  async listServices(): Promise<ServiceInfo[]> {
    const raw = (await this.docker.listServices()) as unknown as RawService[];
    return raw.map(toService);
  }

  async inspectService(idOrName: string): Promise<ServiceInfo> {
    const raw = (await this.docker.getService(idOrName).inspect()) as RawService;
    return toService(raw);
  }

  async updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    // _query/_body keep the spec out of the query string (docker-modem would otherwise put it there).
    await this.docker.getService(id).update({ _query: { version }, _body: spec } as never);
  }

  async listTasks(service: string): Promise<TaskInfo[]> {
    const raw = (await this.docker.listTasks({ filters: { service: [service] } })) as unknown as RawTask[];
    return raw.map(toTask);
  }

  async listNodes(): Promise<NodeInfo[]> {
    const raw = (await this.docker.listNodes()) as unknown as RawNode[];
    return raw.map(toNode);
  }
}
