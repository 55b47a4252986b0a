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
  /** The task this one replaces in a rolling update (its slot's previous task). */
  replaces?: string;
}

interface FakeService {
  id: string;
  version: number;
  spec: ServiceSpec;
  /** What `rollback=previous` (and swarm's own rollback) restores: the spec before the last update. */
  previousSpec?: ServiceSpec;
  updateState?: string;
  updateMessage?: string;
  tasks: FakeTask[];
}

export function node(hostname: string, role: 'manager' | 'worker' = 'worker', extra: Partial<NodeInfo> = {}): NodeInfo {
  return { id: `id-${hostname}`, hostname, role, state: 'ready', availability: 'active', labels: {}, engineLabels: {}, ...extra };
}

const outOfSequence = () => new Error('(HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence');

/** The task template without its placement: a change here makes every task dirty. */
function templateWithoutPlacement(spec: ServiceSpec): string {
  const { Placement: _p, ...rest } = spec.TaskTemplate ?? {};
  return JSON.stringify(rest);
}

/**
 * An in-memory swarm that behaves like the real one (Docker 20.10) where the manager depends on it:
 * versions and `update out of sequence`; which tasks an update replaces — a ForceUpdate bump or any
 * other task-template change replaces every task, a placement-only change replaces only the tasks
 * whose node violates the new constraints, and relaxing a constraint replaces none; start-first
 * replacement in the same slot (new task starting → running after `startMs`, old one shut down
 * `stopMs` later); `FailureAction` rollback (previous spec restored) or pause; `rollback=previous`
 * restoring the previous spec; one task per node (host-mode publishing); replicas by slot. Every
 * call yields to the event loop like real I/O; `hang` makes the named calls never answer, like a
 * stuck dockerd.
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
  /** New tasks fail instead of running, and swarm applies the update's FailureAction. */
  failNewTasks = false;
  /** Calls (by method name) that never answer. */
  readonly hang = new Set<keyof SwarmPort>();
  /** Calls (by method name) that fail at once with this message. */
  readonly fail = new Map<keyof SwarmPort, string>();
  private seq = 0;

  constructor(
    readonly clock: Clock,
    public nodes: NodeInfo[],
  ) {}

  addService(name: string, opts: { replicas?: number; on?: string[]; constraints?: string[]; global?: boolean; labels?: Record<string, string> } = {}): FakeService {
    const spec: ServiceSpec = {
      Name: name,
      Labels: { ...(opts.labels ?? {}) },
      TaskTemplate: { ContainerSpec: { Image: 'web-stress' }, Placement: { Constraints: [...(opts.constraints ?? [])] }, ForceUpdate: 0 },
      Mode: opts.global ? { Global: {} } : { Replicated: { Replicas: opts.replicas ?? 1 } },
    };
    const svc: FakeService = { id: `svc-${name}`, version: 10, spec, tasks: [] };
    this.services.set(name, svc);
    (opts.on ?? []).forEach((hostname, i) => svc.tasks.push(this.newTask(svc, hostname, 'running', opts.global ? undefined : i + 1)));
    return svc;
  }

  private newTask(svc: FakeService, hostname: string | undefined, state: string, slot: number | undefined): FakeTask {
    this.seq += 1;
    const id = `task${this.seq.toString().padStart(4, '0')}`;
    const nodeId = hostname ? (this.nodes.find((n) => n.hostname === hostname)?.id ?? '') : '';
    return { id, serviceId: svc.id, nodeId, slot, state, desiredState: 'running', containerId: `c0ffee${this.seq.toString(16).padStart(6, '0')}aa` };
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
        t.failAt = undefined;
        this.onTaskFailure(svc);
      }
      if (t.runningAt !== undefined && now >= t.runningAt && t.state === 'starting') t.state = 'running';
      if (t.retireAt !== undefined && now >= t.retireAt) t.desiredState = 'shutdown';
      if (t.stopAt !== undefined && now >= t.stopAt) t.state = 'shutdown';
    }
    if (svc.updateState === 'updating' && svc.tasks.every((t) => t.desiredState !== 'running' || t.state === 'running')) {
      if (svc.tasks.every((t) => t.desiredState === 'running' || t.state === 'shutdown' || t.state === 'failed')) svc.updateState = 'completed';
    }
  }

  /** A new task of an update failed: swarm applies the update's FailureAction. */
  private onTaskFailure(svc: FakeService): void {
    if (svc.updateState !== 'updating') return;
    if (svc.spec.UpdateConfig?.FailureAction === 'pause') {
      svc.updateState = 'paused';
      svc.updateMessage = 'update paused due to failure or early termination of task';
      return;
    }
    this.restorePrevious(svc);
    svc.updateState = 'rollback_completed';
    svc.updateMessage = 'update rolled back due to failure or early termination of task';
  }

  /** Back to the previous spec: the replacements not yet running go, the old tasks stay (start-first). */
  private restorePrevious(svc: FakeService): void {
    if (svc.previousSpec) {
      const current = svc.spec;
      svc.spec = svc.previousSpec;
      svc.previousSpec = current;
      svc.version += 1;
    }
    for (const t of svc.tasks) {
      if (t.replaces && t.state !== 'running' && t.desiredState === 'running') {
        t.desiredState = 'shutdown';
        t.state = 'shutdown';
        t.runningAt = undefined;
        t.failAt = undefined;
        const old = svc.tasks.find((o) => o.id === t.replaces);
        if (old && old.state === 'running') {
          old.retireAt = undefined;
          old.stopAt = undefined;
          old.desiredState = 'running';
        }
      }
    }
  }

  private live(svc: FakeService): FakeTask[] {
    return svc.tasks.filter((t) => t.desiredState === 'running');
  }

  private pickNode(svc: FakeService, spec: ServiceSpec): string | undefined {
    const constraints = spec.TaskTemplate?.Placement?.Constraints ?? [];
    const occupied = new Set(this.live(svc).map((t) => t.nodeId));
    return this.nodes
      .filter((n) => n.state === 'ready' && n.availability === 'active' && !occupied.has(n.id))
      .filter((n) => nodeSatisfiesAll(n, constraints) === true)
      .sort((a, b) => a.hostname.localeCompare(b.hostname))[0]?.hostname;
  }

  private async io(call: keyof SwarmPort): Promise<void> {
    this.calls += 1;
    if (this.hang.has(call)) await new Promise<never>(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.fail.get(call);
    if (failure) throw new Error(failure);
  }

  private info(name: string, svc: FakeService): ServiceInfo {
    this.settle(svc);
    return { id: svc.id, name, version: svc.version, spec: structuredClone(svc.spec), updateState: svc.updateState, updateMessage: svc.updateMessage };
  }

  async listServices(): Promise<ServiceInfo[]> {
    await this.io('listServices');
    return [...this.services].map(([name, svc]) => this.info(name, svc));
  }

  async inspectService(idOrName: string): Promise<ServiceInfo> {
    await this.io('inspectService');
    const svc = this.find(idOrName);
    return this.info(svc.spec.Name ?? idOrName, svc);
  }

  async updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    await this.io('updateService');
    const svc = this.find(id);
    if (this.outOfSequenceNext > 0) {
      this.outOfSequenceNext -= 1;
      svc.version += 1;
      throw outOfSequence();
    }
    if (version !== svc.version) throw outOfSequence();
    this.settle(svc);
    const previous = svc.spec;
    svc.previousSpec = previous;
    svc.spec = structuredClone(spec);
    svc.version += 1;
    this.updates.push({ service: spec.Name ?? id, version, spec: structuredClone(spec), at: this.clock.now() });
    const now = this.clock.now();

    const wanted = spec.Mode?.Replicated?.Replicas;
    if (wanted !== undefined) {
      const live = this.live(svc).sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
      const used = new Set(live.map((t) => t.slot));
      for (let slot = 1, added = live.length; added < wanted; slot += 1) {
        if (used.has(slot)) continue;
        const host = this.pickNode(svc, spec);
        const t = this.newTask(svc, host, host ? 'starting' : 'pending', slot);
        if (host) t.runningAt = now + this.startMs;
        svc.tasks.push(t);
        added += 1;
      }
      for (const t of live.slice(wanted)) {
        t.desiredState = 'shutdown';
        t.stopAt = now + this.stopMs;
      }
    }

    const forced = (spec.TaskTemplate?.ForceUpdate ?? 0) !== (previous.TaskTemplate?.ForceUpdate ?? 0);
    const templateChanged = forced || templateWithoutPlacement(spec) !== templateWithoutPlacement(previous);
    const constraints = spec.TaskTemplate?.Placement?.Constraints ?? [];
    // A placement-only change makes dirty only the tasks whose node no longer satisfies it.
    const dirty = this.live(svc).filter((t) => {
      if (t.replaces !== undefined && t.state !== 'running') return false; // a replacement already on its way
      if (templateChanged) return true;
      const host = this.nodes.find((n) => n.id === t.nodeId);
      return host !== undefined && nodeSatisfiesAll(host, constraints) === false;
    });
    if (dirty.length === 0) return;
    svc.updateState = 'updating';
    svc.updateMessage = 'update in progress';
    for (const old of dirty) {
      const host = this.pickNode(svc, spec);
      const fresh = this.newTask(svc, host, host ? 'starting' : 'pending', old.slot);
      fresh.replaces = old.id;
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

  async rollbackService(id: string, _version: number, _spec: ServiceSpec): Promise<void> {
    await this.io('rollbackService');
    const svc = this.find(id);
    this.rollbacks.push(id);
    this.settle(svc);
    this.restorePrevious(svc);
    svc.updateState = 'rollback_completed';
    svc.updateMessage = 'rollback completed';
  }

  async listTasks(service: string): Promise<TaskInfo[]> {
    await this.io('listTasks');
    const svc = this.find(service);
    this.settle(svc);
    return svc.tasks.map(({ runningAt: _r, stopAt: _s, retireAt: _x, failAt: _f, replaces: _p, ...t }) => ({ ...t }));
  }

  async listNodes(): Promise<NodeInfo[]> {
    await this.io('listNodes');
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
