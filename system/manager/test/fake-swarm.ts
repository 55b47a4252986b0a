import type { Clock } from '../src/clock.ts';
import { nodeSatisfiesAll } from '../src/placement.ts';
import type { NodeInfo, ServiceInfo, ServiceSpec, SwarmPort, TaskInfo } from '../src/swarm-port.ts';

/** Virtual time: sleeping advances it at once. */
export class FakeClock implements Clock {
  constructor(public t = 1_800_000_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
    await Promise.resolve();
  }
}

interface FakeTask extends TaskInfo {
  runningAt?: number;
  stopAt?: number;
  /** start-first: the old task's desired state turns to shutdown when its replacement runs. */
  retireAt?: number;
  failAt?: number;
}

interface FakeService {
  id: string;
  version: number;
  spec: ServiceSpec;
  updateState?: string;
  updateMessage?: string;
  tasks: FakeTask[];
}

export function node(hostname: string, role: 'manager' | 'worker' = 'worker', extra: Partial<NodeInfo> = {}): NodeInfo {
  return { id: `id-${hostname}`, hostname, role, state: 'ready', availability: 'active', labels: {}, engineLabels: {}, ...extra };
}

const outOfSequence = () => new Error('(HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence');

/**
 * An in-memory swarm that behaves like the real one where the manager depends on it: versions and
 * `update out of sequence`, start-first rolling updates on ForceUpdate (new task starting →
 * running after `startMs`, old task shut down `stopMs` later), placement constraints, one task per
 * node (host-mode publishing), replicas. Every call yields to the event loop like real I/O.
 */
export class FakeSwarm implements SwarmPort {
  readonly services = new Map<string, FakeService>();
  readonly updates: { service: string; version: number; spec: ServiceSpec; at: number }[] = [];
  readonly rollbacks: string[] = [];
  calls = 0;
  /** The next n updates fail with `update out of sequence` (and the version moves on, as swarm's own status writes do). */
  outOfSequenceNext = 0;
  startMs = 1200;
  stopMs = 300;
  /** New tasks fail instead of running, and swarm rolls the update back. */
  failNewTasks = false;
  private seq = 0;

  constructor(
    readonly clock: Clock,
    public nodes: NodeInfo[],
  ) {}

  addService(name: string, opts: { replicas?: number; on?: string[]; constraints?: string[]; global?: boolean } = {}): FakeService {
    const spec: ServiceSpec = {
      Name: name,
      Labels: {},
      TaskTemplate: { ContainerSpec: { Image: 'web-stress' }, Placement: { Constraints: [...(opts.constraints ?? [])] }, ForceUpdate: 0 },
      Mode: opts.global ? { Global: {} } : { Replicated: { Replicas: opts.replicas ?? 1 } },
    };
    const svc: FakeService = { id: `svc-${name}`, version: 10, spec, tasks: [] };
    this.services.set(name, svc);
    for (const hostname of opts.on ?? []) svc.tasks.push(this.newTask(svc, hostname, 'running'));
    return svc;
  }

  private newTask(svc: FakeService, hostname: string | undefined, state: string): FakeTask {
    this.seq += 1;
    const id = `task${this.seq.toString().padStart(4, '0')}`;
    const nodeId = hostname ? (this.nodes.find((n) => n.hostname === hostname)?.id ?? '') : '';
    return { id, serviceId: svc.id, nodeId, state, desiredState: 'running', containerId: `c0ffee${this.seq.toString(16).padStart(6, '0')}aa` };
  }

  private find(idOrName: string): FakeService {
    const svc = this.services.get(idOrName) ?? [...this.services.values()].find((s) => s.id === idOrName);
    if (!svc) throw new Error(`(HTTP code 404) no such service - service ${idOrName} not found`);
    return svc;
  }

  /** Advances task states to the clock's time. */
  private settle(svc: FakeService): void {
    const now = this.clock.now();
    for (const t of svc.tasks) {
      if (t.failAt !== undefined && now >= t.failAt && t.state !== 'failed') {
        t.state = 'failed';
        t.desiredState = 'shutdown';
        svc.updateState = 'rollback_completed';
        svc.updateMessage = 'update rolled back due to failure or early termination of task';
      }
      if (t.runningAt !== undefined && now >= t.runningAt && t.state === 'starting') t.state = 'running';
      if (t.retireAt !== undefined && now >= t.retireAt) t.desiredState = 'shutdown';
      if (t.stopAt !== undefined && now >= t.stopAt) t.state = 'shutdown';
    }
    if (svc.updateState === 'updating' && svc.tasks.every((t) => t.desiredState !== 'running' || t.state === 'running')) {
      if (svc.tasks.every((t) => t.desiredState === 'running' || t.state === 'shutdown')) svc.updateState = 'completed';
    }
  }

  private live(svc: FakeService): FakeTask[] {
    return svc.tasks.filter((t) => t.desiredState === 'running');
  }

  private pickNode(svc: FakeService, spec: ServiceSpec, exclude: Set<string>): string | undefined {
    const constraints = spec.TaskTemplate?.Placement?.Constraints ?? [];
    const occupied = new Set(this.live(svc).map((t) => t.nodeId));
    return this.nodes
      .filter((n) => n.state === 'ready' && n.availability === 'active' && !occupied.has(n.id) && !exclude.has(n.id))
      .filter((n) => nodeSatisfiesAll(n, constraints) === true)
      .sort((a, b) => a.hostname.localeCompare(b.hostname))[0]?.hostname;
  }

  private async io(): Promise<void> {
    this.calls += 1;
    await new Promise((resolve) => setImmediate(resolve));
  }

  private info(name: string, svc: FakeService): ServiceInfo {
    this.settle(svc);
    return { id: svc.id, name, version: svc.version, spec: structuredClone(svc.spec), updateState: svc.updateState, updateMessage: svc.updateMessage };
  }

  async listServices(): Promise<ServiceInfo[]> {
    await this.io();
    return [...this.services].map(([name, svc]) => this.info(name, svc));
  }

  async inspectService(idOrName: string): Promise<ServiceInfo> {
    await this.io();
    const svc = this.find(idOrName);
    return this.info(svc.spec.Name ?? idOrName, svc);
  }

  async updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    await this.io();
    const svc = this.find(id);
    if (this.outOfSequenceNext > 0) {
      this.outOfSequenceNext -= 1;
      svc.version += 1;
      throw outOfSequence();
    }
    if (version !== svc.version) throw outOfSequence();
    this.settle(svc);
    const previous = svc.spec;
    svc.spec = structuredClone(spec);
    svc.version += 1;
    this.updates.push({ service: spec.Name ?? id, version, spec: structuredClone(spec), at: this.clock.now() });
    const now = this.clock.now();

    const wanted = spec.Mode?.Replicated?.Replicas;
    if (wanted !== undefined) {
      const live = this.live(svc);
      for (let i = live.length; i < wanted; i += 1) {
        const host = this.pickNode(svc, spec, new Set());
        const t = this.newTask(svc, host, host ? 'starting' : 'pending');
        if (host) t.runningAt = now + this.startMs;
        svc.tasks.push(t);
      }
      for (const t of live.slice(wanted)) {
        t.desiredState = 'shutdown';
        t.stopAt = now + this.stopMs;
      }
    }
    if ((spec.TaskTemplate?.ForceUpdate ?? 0) !== (previous.TaskTemplate?.ForceUpdate ?? 0)) {
      svc.updateState = 'updating';
      for (const old of this.live(svc)) {
        const host = this.pickNode(svc, spec, new Set([old.nodeId]));
        const fresh = this.newTask(svc, host, host ? 'starting' : 'pending');
        svc.tasks.push(fresh);
        if (!host) continue; // stays pending: no node fits
        if (this.failNewTasks) {
          fresh.failAt = now + this.startMs;
          continue;
        }
        fresh.runningAt = now + this.startMs;
        old.retireAt = fresh.runningAt;
        old.stopAt = fresh.runningAt + this.stopMs; // start-first: the old one stops after the new one runs
      }
    }
  }

  async rollbackService(id: string, _version: number, _spec: ServiceSpec): Promise<void> {
    await this.io();
    const svc = this.find(id);
    this.rollbacks.push(id);
    svc.updateState = 'rollback_completed';
    this.settle(svc);
    svc.tasks = svc.tasks.filter((t) => t.state === 'running' || t.state === 'shutdown');
    for (const t of svc.tasks) {
      if (t.state === 'running') {
        t.retireAt = undefined;
        t.stopAt = undefined;
        t.desiredState = 'running';
      }
    }
  }

  async listTasks(service: string): Promise<TaskInfo[]> {
    await this.io();
    const svc = this.find(service);
    this.settle(svc);
    return svc.tasks.map(({ runningAt: _r, stopAt: _s, retireAt: _x, failAt: _f, ...t }) => ({ ...t }));
  }

  async listNodes(): Promise<NodeInfo[]> {
    await this.io();
    return this.nodes.map((n) => ({ ...n }));
  }

  /** Test helpers. */
  liveTasks(name: string): FakeTask[] {
    const svc = this.find(name);
    this.settle(svc);
    return svc.tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
  }

  hostOf(task: TaskInfo): string | undefined {
    return this.nodes.find((n) => n.id === task.nodeId)?.hostname;
  }

  spec(name: string): ServiceSpec {
    return this.find(name).spec;
  }
}
