import type Docker from 'dockerode';
import type { LabSwarm } from './lab-port.ts';
import type { ServiceChange, ServiceView, SwarmNode, SwarmTask, TaskFilter } from './types.ts';

/** The Engine API's shapes as far as the harness reads them: dockerode types its answers as any, or with every field optional. */
interface RawNode {
  ID: string;
  Description: { Hostname: string };
  Status: { State: string };
  Spec: { Availability: string };
}

interface RawTask {
  ID: string;
  ServiceID: string;
  NodeID: string;
  DesiredState: string;
  CreatedAt: string;
  Spec?: { Resources?: { Limits?: { NanoCPUs?: number } } };
  Status: { State: string; Err?: string; Timestamp?: string; ContainerStatus?: { ContainerID?: string } };
}

export interface RawServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  Mode: { Replicated?: { Replicas: number } };
  TaskTemplate: {
    /** Absent for a service that runs no container (a plugin's). */
    ContainerSpec?: { Image: string; Env?: string[]; [k: string]: unknown };
    Placement?: { Constraints?: string[]; [k: string]: unknown };
    Resources?: { Limits?: { NanoCPUs?: number; MemoryBytes?: number }; [k: string]: unknown };
    ForceUpdate?: number;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: RawServiceSpec;
  UpdateStatus?: { State?: string };
}

const toNode = (n: RawNode): SwarmNode => ({ id: n.ID, hostname: n.Description.Hostname, state: n.Status.State, availability: n.Spec.Availability });

const toTask = (t: RawTask): SwarmTask => ({
  id: t.ID,
  serviceId: t.ServiceID,
  nodeId: t.NodeID,
  desiredState: t.DesiredState,
  state: t.Status.State,
  createdAt: t.CreatedAt,
  timestamp: t.Status.Timestamp,
  err: t.Status.Err,
  containerId: t.Status.ContainerStatus?.ContainerID,
  nanoCpus: t.Spec?.Resources?.Limits?.NanoCPUs,
});

const toService = (s: RawService): ServiceView => ({
  id: s.ID,
  name: s.Spec.Name,
  version: s.Version.Index,
  replicas: s.Spec.Mode.Replicated?.Replicas ?? null,
  constraints: s.Spec.TaskTemplate.Placement?.Constraints ?? [],
  forceUpdate: s.Spec.TaskTemplate.ForceUpdate ?? 0,
  image: s.Spec.TaskTemplate.ContainerSpec?.Image ?? '',
  env: s.Spec.TaskTemplate.ContainerSpec?.Env ?? [],
  labels: s.Spec.Labels ?? {},
  updateState: s.UpdateStatus?.State,
});

/**
 * Applies `change` to a copy of a service's spec in place; true when the spec now differs. The
 * rest of the spec is sent back as it was read: an update replaces the whole spec.
 */
export function applyServiceChange(spec: RawServiceSpec, change: ServiceChange): boolean {
  const t = spec.TaskTemplate;
  let changed = false;
  if (change.replicas !== undefined && spec.Mode.Replicated && spec.Mode.Replicated.Replicas !== change.replicas) {
    spec.Mode.Replicated.Replicas = change.replicas;
    changed = true;
  }
  if (change.constraints) {
    const cur = t.Placement?.Constraints ?? [];
    if (cur.join('|') !== change.constraints.join('|')) {
      t.Placement = { ...t.Placement, Constraints: change.constraints };
      changed = true;
    }
  }
  if (change.cpus !== undefined) {
    const nano = Math.round(change.cpus * 1e9);
    const limits = t.Resources?.Limits ?? {};
    if (limits.NanoCPUs !== nano) {
      t.Resources = { ...t.Resources, Limits: { ...limits, NanoCPUs: nano } };
      changed = true;
    }
  }
  for (const [name, value] of Object.entries(change.env ?? {})) {
    if (!t.ContainerSpec) throw new Error(`service ${spec.Name} runs no container: no environment to set ${name} in`);
    const env = t.ContainerSpec.Env ?? [];
    const next = [...env.filter((e) => !e.startsWith(`${name}=`)), ...(value === undefined ? [] : [`${name}=${value}`])];
    if (next.join('\n') !== env.join('\n')) changed = true;
    t.ContainerSpec.Env = next;
  }
  if (change.forceUpdate) {
    t.ForceUpdate = (t.ForceUpdate ?? 0) + 1;
    changed = true;
  }
  return changed;
}

/** The swarm through its manager's Docker client (a local socket, or SSH/TLS for a remote lab: docker-clients.ts). */
export class DockerSwarm implements LabSwarm {
  constructor(protected readonly manager: Docker) {}

  async nodes(): Promise<SwarmNode[]> {
    return ((await this.manager.listNodes()) as RawNode[]).map(toNode);
  }

  async tasks(filter: TaskFilter): Promise<SwarmTask[]> {
    const filters = {
      ...(filter.service === undefined ? {} : { service: [filter.service] }),
      ...(filter.desiredState === undefined ? {} : { 'desired-state': [filter.desiredState] }),
    };
    return ((await this.manager.listTasks({ filters })) as RawTask[]).map(toTask);
  }

  async services(): Promise<ServiceView[]> {
    return ((await this.manager.listServices()) as unknown as RawService[]).map(toService);
  }

  async service(name: string): Promise<ServiceView> {
    return toService((await this.manager.getService(name).inspect()) as RawService);
  }

  async updateService(name: string, change: ServiceChange | ((current: ServiceView) => ServiceChange)): Promise<boolean> {
    const svc = this.manager.getService(name);
    const s = (await svc.inspect()) as RawService;
    const spec = structuredClone(s.Spec);
    if (!applyServiceChange(spec, typeof change === 'function' ? change(toService(s)) : change)) return false;
    await svc.update({ ...spec, version: s.Version.Index });
    return true;
  }

  async createService(spec: Record<string, unknown>): Promise<void> {
    await this.manager.createService(spec);
  }

  async removeService(idOrName: string): Promise<void> {
    await this.manager.getService(idOrName).remove();
  }
}
