import type { Clock } from '../src/clock.ts';
import { nodeSatisfiesAll } from '../src/placement.ts';
import type { NodeInfo, ServiceInfo, ServiceSpec, SwarmPort, TaskInfo, TaskTemplateSpec } from '../src/swarm-port.ts';

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
  /** The task template it was made from: swarm compares it with the service's to tell a dirty task. */
  template: TaskTemplateSpec;
  runningAt?: number;
  stopAt?: number;
  /** start-first: the old task's desired state turns to shutdown when its replacement runs. */
  retireAt?: number;
  failAt?: number;
  /** The tasks of its slot it retires once it runs (start-first). */
  replaces?: string[];
}

interface FakeService {
  id: string;
  version: number;
  spec: ServiceSpec;
  /** What a rollback (swarm's own, or `docker service rollback`) restores: the spec before the last update. */
  previousSpec?: ServiceSpec;
  updateState?: string;
  updateMessage?: string;
  tasks: FakeTask[];
}

/** A task whose desired state swarm turned to shutdown: which, when, and why. */
export interface ShutdownOrder {
  taskId: string;
  at: number;
  /** retired: its start-first replacement runs; slot_resolved: an update kept another task of its slot; scaled_down; failed. */
  by: 'retired' | 'slot_resolved' | 'scaled_down' | 'failed';
}

export function node(hostname: string, role: 'manager' | 'worker' = 'worker', extra: Partial<NodeInfo> = {}): NodeInfo {
  return { id: `id-${hostname}`, hostname, role, state: 'ready', availability: 'active', labels: {}, engineLabels: {}, ...extra };
}

const outOfSequence = () => new Error('(HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence');

const TERMINAL = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

/** The task template without its placement: a change here makes every task dirty. */
function templateWithoutPlacement(template: TaskTemplateSpec): string {
  const { Placement: _p, ...rest } = template;
  return JSON.stringify(rest);
}

/**
 * An in-memory swarm that behaves like the real one (Docker 20.10) where the manager depends on it:
 * versions and `update out of sequence`; which tasks an update touches, as swarmkit's updater
 * decides it slot by slot — a task is dirty when its template differs beyond the placement, or when
 * only the placement differs and its node violates the new one (no node yet: dirty); a slot with
 * one clean task is left alone; a slot with more than one task meant to run keeps the first clean
 * one in `slotOrder` and shuts the others down at once, even when the kept one is not running yet;
 * a slot with no clean task gets a start-first replacement (starting → running after `startMs`, the
 * old tasks shut down `stopMs` later). So a ForceUpdate or other template change replaces every
 * task, a placement-only change only the tasks whose node violates it, relaxing one none. A newer
 * spec cancels the running update (its pending retirements never happen); `FailureAction` rollback
 * (previous spec restored) or pause; one task per node (host-mode publishing); replicas by slot.
 * Every call yields to the event loop like real I/O; `hang` makes the named calls never answer,
 * like a stuck dockerd.
 */
export class FakeSwarm implements SwarmPort {
  readonly services = new Map<string, FakeService>();
  readonly updates: { service: string; version: number; spec: ServiceSpec; at: number }[] = [];
  readonly shutdownOrders: ShutdownOrder[] = [];
  calls = 0;
  /** The next n updates fail with `update out of sequence` (and the version moves on, as swarm's own status writes do). */
  outOfSequenceNext = 0;
  startMs = 1200;
  stopMs = 300;
  /** New tasks fail instead of running, and swarm applies the update's FailureAction. */
  failNewTasks = false;
  /**
   * The order in which swarm meets the tasks of a slot, keeping the first clean one. Swarmkit walks
   * its store, ordered by (random) task id; newest-first is the draw seen on the lab, where a rollback
   * kept a replacement that had not started and stopped the original.
   */
  slotOrder: 'newest-first' | 'oldest-first' = 'newest-first';
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
    return {
      id,
      serviceId: svc.id,
      nodeId,
      slot,
      state,
      desiredState: 'running',
      containerId: `c0ffee${this.seq.toString(16).padStart(6, '0')}aa`,
      template: structuredClone(svc.spec.TaskTemplate ?? {}),
    };
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
        t.failAt = undefined;
        this.order(t, now, 'failed');
        this.onTaskFailure(svc, t);
      }
      if (t.runningAt !== undefined && now >= t.runningAt && t.state === 'starting') t.state = 'running';
      if (t.retireAt !== undefined && now >= t.retireAt) this.order(t, now, 'retired');
      if (t.stopAt !== undefined && now >= t.stopAt && t.desiredState !== 'running') t.state = 'shutdown';
    }
    const settled = svc.tasks.every((t) => (t.desiredState === 'running' ? t.state === 'running' : TERMINAL.has(t.state)));
    if (settled && svc.updateState === 'updating') svc.updateState = 'completed';
    if (settled && svc.updateState === 'rollback_started') svc.updateState = 'rollback_completed';
  }

  /** Swarm turns a task's desired state to shutdown; one not running yet never starts. */
  private order(t: FakeTask, now: number, by: ShutdownOrder['by']): void {
    if (t.desiredState !== 'running') return;
    t.desiredState = 'shutdown';
    t.retireAt = undefined;
    this.shutdownOrders.push({ taskId: t.id, at: now, by });
    if (t.state === 'running') t.stopAt = Math.min(t.stopAt ?? Number.POSITIVE_INFINITY, now + this.stopMs);
    else if (!TERMINAL.has(t.state)) {
      t.state = 'shutdown';
      t.runningAt = undefined;
      t.failAt = undefined;
    }
  }

  /** A new task of an update failed: swarm applies the update's FailureAction. */
  private onTaskFailure(svc: FakeService, failed: FakeTask): void {
    if (svc.updateState !== 'updating') return;
    for (const id of failed.replaces ?? []) {
      const old = svc.tasks.find((o) => o.id === id);
      if (old) old.retireAt = old.stopAt = undefined;
    }
    if (svc.spec.UpdateConfig?.FailureAction === 'pause') {
      svc.updateState = 'paused';
      svc.updateMessage = 'update paused due to failure or early termination of task';
      return;
    }
    this.restorePrevious(svc);
    this.reconcile(svc, 'rollback');
    svc.updateMessage = 'update rolled back due to failure or early termination of task';
  }

  private restorePrevious(svc: FakeService): void {
    if (!svc.previousSpec) return;
    const current = svc.spec;
    svc.spec = svc.previousSpec;
    svc.previousSpec = current;
    svc.version += 1;
  }

  /** Whether swarm counts a task as not matching the service's spec (swarmkit's IsTaskDirty). */
  private dirty(t: FakeTask, spec: ServiceSpec): boolean {
    const template = spec.TaskTemplate ?? {};
    if (templateWithoutPlacement(t.template) !== templateWithoutPlacement(template)) return true;
    const constraints = template.Placement?.Constraints ?? [];
    if (JSON.stringify(t.template.Placement?.Constraints ?? []) === JSON.stringify(constraints)) return false;
    const host = this.nodes.find((n) => n.id === t.nodeId);
    return host === undefined || nodeSatisfiesAll(host, constraints) === false;
  }

  /** The tasks meant to run, by slot (ascending), each slot in `slotOrder`. */
  private slots(svc: FakeService): Map<number, FakeTask[]> {
    const bySlot = new Map<number, FakeTask[]>();
    for (const t of this.live(svc).sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0))) {
      if (t.slot === undefined) continue;
      bySlot.set(t.slot, [...(bySlot.get(t.slot) ?? []), t]);
    }
    const newestFirst = this.slotOrder === 'newest-first';
    for (const tasks of bySlot.values()) tasks.sort((a, b) => (newestFirst ? b.id.localeCompare(a.id) : a.id.localeCompare(b.id)));
    return bySlot;
  }

  /** Swarm's orchestrator and updater after a new spec (an update, or a rollback to the previous one). */
  private reconcile(svc: FakeService, kind: 'update' | 'rollback'): void {
    const now = this.clock.now();
    const spec = svc.spec;
    // the update a newer spec cancels never retires what it meant to
    for (const t of this.live(svc)) t.retireAt = t.stopAt = undefined;

    const wanted = spec.Mode?.Replicated?.Replicas;
    if (wanted !== undefined) {
      const slots = this.slots(svc);
      for (let slot = 1, have = slots.size; have < wanted; slot += 1) {
        if (slots.has(slot)) continue;
        const host = this.pickNode(svc, spec);
        const t = this.newTask(svc, host, host ? 'starting' : 'pending', slot);
        if (host) t.runningAt = now + this.startMs;
        svc.tasks.push(t);
        have += 1;
      }
      for (const tasks of [...slots.values()].slice(wanted)) for (const t of tasks) this.order(t, now, 'scaled_down');
    }

    let work = false;
    for (const [slot, tasks] of this.slots(svc)) {
      const keeper = tasks.find((t) => !this.dirty(t, spec));
      if (tasks.length === 1 && keeper) continue;
      work = true;
      if (keeper) {
        for (const t of tasks) if (t !== keeper) this.order(t, now, 'slot_resolved');
        continue;
      }
      const host = this.pickNode(svc, spec);
      const fresh = this.newTask(svc, host, host ? 'starting' : 'pending', slot);
      fresh.replaces = tasks.map((t) => t.id);
      svc.tasks.push(fresh);
      if (!host) continue; // stays pending: no node fits
      if (this.failNewTasks) {
        fresh.failAt = now + this.startMs;
        continue;
      }
      fresh.runningAt = now + this.startMs;
      for (const old of tasks) {
        old.retireAt = fresh.runningAt;
        old.stopAt = fresh.runningAt + this.stopMs; // start-first: the old ones stop after the new one runs
      }
    }
    if (kind === 'rollback') {
      svc.updateState = work ? 'rollback_started' : 'rollback_completed';
      svc.updateMessage = work ? 'rollback in progress' : 'rollback completed';
    } else {
      // swarm resets the status with every new spec; one that changes no task gets none
      svc.updateState = work ? 'updating' : undefined;
      svc.updateMessage = work ? 'update in progress' : undefined;
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
    svc.previousSpec = svc.spec;
    svc.spec = structuredClone(spec);
    svc.version += 1;
    this.updates.push({ service: spec.Name ?? id, version, spec: structuredClone(spec), at: this.clock.now() });
    this.reconcile(svc, 'update');
  }

  async listTasks(service: string): Promise<TaskInfo[]> {
    await this.io('listTasks');
    const svc = this.find(service);
    this.settle(svc);
    return svc.tasks.map(({ template: _t, runningAt: _r, stopAt: _s, retireAt: _x, failAt: _f, replaces: _p, ...t }) => ({ ...t }));
  }

  async listNodes(): Promise<NodeInfo[]> {
    await this.io('listNodes');
    return this.nodes.map((n) => ({ ...n }));
  }

  /** Test helpers. */

  /** `docker service rollback` (`update?rollback=previous`): the previous spec, through the same updater. */
  rollback(name: string): void {
    const svc = this.find(name);
    this.settle(svc);
    this.restorePrevious(svc);
    this.reconcile(svc, 'rollback');
  }

  liveTasks(name: string): FakeTask[] {
    const svc = this.find(name);
    this.settle(svc);
    return svc.tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
  }

  /** Every task of a service as swarm holds it now, any state. */
  tasks(name: string): FakeTask[] {
    const svc = this.find(name);
    this.settle(svc);
    return [...svc.tasks];
  }

  hostOf(task: TaskInfo): string | undefined {
    return this.nodes.find((n) => n.id === task.nodeId)?.hostname;
  }

  spec(name: string): ServiceSpec {
    return this.find(name).spec;
  }
}
