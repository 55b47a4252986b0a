import { Readable } from 'node:stream';
import type { TimingEvent } from '../config/types.ts';
import type { LabPort } from './lab-port.ts';
import type { NodeFaults, TsdbFaults } from './node-faults.ts';
import type { ContainerFilter, EngineEventQuery, EngineVersion, ServiceChange, ServiceView, SwarmNode, SwarmTask, TaskContainer, TaskFilter } from './types.ts';

export interface FakeContainer extends TaskContainer {
  running: boolean;
  startedAt?: string;
  log?: string;
}

/**
 * A lab in memory for unit tests: what a test puts in its fields is what the harness reads, and
 * every change it makes is applied there and listed in `calls`, in order.
 */
export class FakeLab implements LabPort {
  nodeList: SwarmNode[];
  taskList: SwarmTask[];
  serviceList: ServiceView[];
  /** Node name → the containers of swarm tasks on it. */
  containersOn: Map<string, FakeContainer[]>;
  /** Service name → the T-events its containers logged. */
  logged = new Map<string, TimingEvent[]>();
  /** Node name → the lines its engine's event stream sends. */
  engineLines = new Map<string, string[]>();
  storeUp = true;
  readonly calls: string[] = [];
  /** Service name → CPU limit per task: a ServiceView does not show it. */
  private readonly cpus = new Map<string, number>();

  constructor(state: { nodes?: SwarmNode[]; tasks?: SwarmTask[]; services?: ServiceView[]; containers?: Record<string, FakeContainer[]> } = {}) {
    this.nodeList = state.nodes ?? [];
    this.taskList = state.tasks ?? [];
    this.serviceList = state.services ?? [];
    this.containersOn = new Map(Object.entries(state.containers ?? {}));
  }

  async nodes(): Promise<SwarmNode[]> {
    return structuredClone(this.nodeList);
  }

  async tasks(filter: TaskFilter): Promise<SwarmTask[]> {
    const id = filter.service === undefined ? undefined : (this.serviceList.find((s) => s.name === filter.service)?.id ?? filter.service);
    return structuredClone(this.taskList.filter((t) => (id === undefined || t.serviceId === id) && (filter.desiredState === undefined || t.desiredState === filter.desiredState)));
  }

  async services(): Promise<ServiceView[]> {
    return structuredClone(this.serviceList);
  }

  async service(name: string): Promise<ServiceView> {
    return structuredClone(this.find(name));
  }

  async updateService(name: string, change: ServiceChange | ((current: ServiceView) => ServiceChange)): Promise<boolean> {
    const s = this.find(name);
    const c = typeof change === 'function' ? change(structuredClone(s)) : change;
    const before = JSON.stringify([s, this.cpus.get(s.name)]);
    if (c.replicas !== undefined && s.replicas !== null) s.replicas = c.replicas;
    if (c.constraints) s.constraints = [...c.constraints];
    for (const [k, v] of Object.entries(c.env ?? {})) s.env = [...s.env.filter((e) => !e.startsWith(`${k}=`)), ...(v === undefined ? [] : [`${k}=${v}`])];
    if (c.forceUpdate) s.forceUpdate += 1;
    if (c.cpus !== undefined) this.cpus.set(s.name, c.cpus);
    if (JSON.stringify([s, this.cpus.get(s.name)]) === before) return false;
    s.version += 1;
    this.calls.push(`update ${name} ${JSON.stringify(c)}`);
    return true;
  }

  async createService(spec: Record<string, unknown>): Promise<void> {
    const name = String(spec.Name);
    this.serviceList.push({ id: `id-${name}`, name, version: 1, replicas: 1, constraints: [], forceUpdate: 0, image: '', env: [], labels: {} });
    this.calls.push(`create ${name}`);
  }

  async removeService(idOrName: string): Promise<void> {
    const s = this.find(idOrName);
    this.serviceList = this.serviceList.filter((x) => x !== s);
    this.calls.push(`remove ${s.name}`);
  }

  hasNode(node: string): boolean {
    return this.nodeList.some((n) => n.hostname === node);
  }

  async containers(node: string, filter: ContainerFilter): Promise<TaskContainer[]> {
    return (this.containersOn.get(node) ?? [])
      .filter((c) => (filter.all || c.running) && (!filter.running || c.running) && (filter.service === undefined || c.service === filter.service))
      .map(({ id, service }) => ({ id, service }));
  }

  async kill(node: string, containerId: string, signal: string): Promise<void> {
    this.container(node, containerId).running = false;
    this.calls.push(`kill ${node} ${containerId} ${signal}`);
  }

  async containerStartedAt(node: string, containerId: string): Promise<string> {
    return this.container(node, containerId).startedAt ?? '';
  }

  async logs(node: string, containerId: string): Promise<string> {
    return this.container(node, containerId).log ?? '';
  }

  async engineEvents(node: string, _query: EngineEventQuery): Promise<Readable> {
    return Readable.from(this.engineLines.get(node) ?? []);
  }

  nodeFaults(): NodeFaults {
    const state = (node: string, to: string) => {
      const n = this.nodeList.find((x) => x.hostname === node);
      if (n) n.state = to;
      this.calls.push(`node ${node} ${to}`);
    };
    return { how: 'in memory', stopDocker: async (n) => state(n, 'down'), startDocker: async (n) => (state(n, 'ready'), 'started'), settle: async () => [], close: () => undefined };
  }

  storeFaults(): TsdbFaults {
    const set = (up: boolean) => {
      this.storeUp = up;
      this.calls.push(`store ${up ? 'up' : 'down'}`);
    };
    return { how: 'in memory', stop: async () => set(false), start: async () => (set(true), 'started'), close: () => undefined };
  }

  async engineVersion(): Promise<EngineVersion> {
    return { version: 'fake', apiVersion: 'fake' };
  }

  async timingEvents(sinceMs: number, services?: string[]): Promise<TimingEvent[]> {
    return (services ?? [...this.logged.keys()]).flatMap((s) => this.logged.get(s) ?? []).filter((e) => e.t >= sinceMs - 1000);
  }

  private find(idOrName: string): ServiceView {
    const s = this.serviceList.find((x) => x.name === idOrName || x.id === idOrName);
    if (!s) throw new Error(`no such service: ${idOrName}`);
    return s;
  }

  private container(node: string, id: string): FakeContainer {
    const c = (this.containersOn.get(node) ?? []).find((x) => x.id === id);
    if (!c) throw new Error(`no such container: ${id} on ${node}`);
    return c;
  }
}
