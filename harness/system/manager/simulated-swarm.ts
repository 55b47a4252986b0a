import type { Clock } from '../../../system/manager/src/clock.ts';
import { isSchedulable, nodeSatisfiesAll } from '../../../system/manager/src/placement.ts';
import { TERMINAL_TASK_STATES, type NodeInfo, type ServiceInfo, type ServiceSpec, type SwarmPort, type TaskInfo } from '../../../system/manager/src/swarm-port.ts';
import type { SwarmLayout } from './swarm-layout.ts';

/** How long the simulated swarm takes to move a task: its calls answer at once. */
export interface SwarmTiming {
  /** Update → replacement running (healthy). */
  startMs: number;
  /** Replacement running → old task shut down (start-first). */
  stopMs: number;
}

/** A migration's T5 − T4 and T6 − T5 on the local lab (README, "Known limits"). */
export const LAB_TIMING: SwarmTiming = { startMs: 1900, stopMs: 1400 };

interface SimTask extends TaskInfo {
  runningAt?: number;
  /** start-first: desired state turns to shutdown when the replacement runs. */
  retireAt?: number;
  stopAt?: number;
}

interface SimService {
  id: string;
  name: string;
  version: number;
  /** Frozen and replaced on update, never changed in place, so answers can share it. */
  spec: ServiceSpec;
  updateState?: string;
  tasks: SimTask[];
}

/** Terminal tasks a service keeps, like swarm's task history (5 per slot by default). */
const HISTORY_PER_SLOT = 5;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * A lean in-memory swarm for the manager's scale benchmark: everything indexed (service by name and
 * id, tasks per service), so that its answers cost next to nothing at 1,000 services and 10,000
 * tasks and the benchmark measures the manager. Each call yields to the event loop once, like I/O,
 * and answers at once. Updates do what the manager relies on: version check (`update out of
 * sequence`), replicas up or down, and a placement change replaces, start-first in the same slot,
 * exactly the tasks whose node violates it (a relaxed placement replaces none). Failures, rollbacks
 * and task-history subtleties are the unit tests' fake's (system/manager/test/fake-swarm.ts).
 */
export class SimulatedSwarm implements SwarmPort {
  readonly nodes: NodeInfo[];
  calls = 0;
  updates = 0;
  private readonly byName = new Map<string, SimService>();
  private readonly byId = new Map<string, SimService>();
  /** Services with a task still starting or stopping. */
  private readonly moving = new Set<SimService>();
  private readonly load = new Map<string, number>();
  private seq = 0;

  constructor(
    layout: SwarmLayout,
    private readonly clock: Clock,
    private readonly timing: SwarmTiming = LAB_TIMING,
  ) {
    this.nodes = layout.nodes.map((n) => deepFreeze({ ...n, labels: { ...n.labels }, engineLabels: { ...n.engineLabels } }));
    const since = clock.now() - 3_600_000;
    for (const s of layout.services) {
      const spec: ServiceSpec = {
        Name: s.name,
        Labels: {},
        TaskTemplate: { ContainerSpec: { Image: `registry.example/${s.name}:1` }, Placement: { Constraints: [...s.constraints] }, ForceUpdate: 0 },
        Mode: s.replicas === null ? { Global: {} } : { Replicated: { Replicas: s.replicas } },
      };
      const svc: SimService = { id: s.id, name: s.name, version: 10, spec: deepFreeze(spec), tasks: [] };
      this.byName.set(s.name, svc);
      this.byId.set(s.id, svc);
    }
    for (const t of layout.tasks) {
      const svc = this.byId.get(t.serviceId)!;
      svc.tasks.push({ id: t.id, serviceId: t.serviceId, nodeId: t.nodeId, slot: t.slot, state: 'running', desiredState: 'running', containerId: t.containerId, since });
      this.load.set(t.nodeId, (this.load.get(t.nodeId) ?? 0) + 1);
    }
  }

  private async io(): Promise<void> {
    this.calls += 1;
    await new Promise((resolve) => setImmediate(resolve));
  }

  private find(idOrName: string): SimService {
    const svc = this.byName.get(idOrName) ?? this.byId.get(idOrName);
    if (!svc) throw new Error(`(HTTP code 404) no such service - service ${idOrName} not found`);
    return svc;
  }

  private info(svc: SimService): ServiceInfo {
    return { id: svc.id, name: svc.name, version: svc.version, spec: svc.spec, updateState: svc.updateState };
  }

  /** Advances the service's starting and stopping tasks to the clock's time. */
  private settle(svc: SimService): void {
    if (!this.moving.has(svc)) return;
    const now = this.clock.now();
    let pending = false;
    for (const t of svc.tasks) {
      if (t.runningAt !== undefined && now >= t.runningAt) {
        t.state = 'running';
        t.since = t.runningAt;
        t.runningAt = undefined;
      }
      if (t.retireAt !== undefined && now >= t.retireAt) this.retire(t, t.retireAt);
      if (t.stopAt !== undefined && now >= t.stopAt) {
        t.state = 'shutdown';
        t.since = t.stopAt;
        t.stopAt = undefined;
      }
      // a task waiting for a node keeps the update going, as swarm's does
      pending ||= t.runningAt !== undefined || t.retireAt !== undefined || t.stopAt !== undefined || (t.state === 'pending' && t.desiredState === 'running');
    }
    if (pending) return;
    this.moving.delete(svc);
    if (svc.updateState === 'updating') svc.updateState = 'completed';
    const dead = svc.tasks.filter((t) => TERMINAL_TASK_STATES.has(t.state));
    const slots = new Set(svc.tasks.map((t) => t.slot)).size;
    if (dead.length > HISTORY_PER_SLOT * slots) {
      const drop = new Set(dead.slice(0, dead.length - HISTORY_PER_SLOT * slots));
      svc.tasks = svc.tasks.filter((t) => !drop.has(t));
    }
  }

  /** Swarm turns the task's desired state to shutdown; it stops `stopMs` later. */
  private retire(t: SimTask, at: number): void {
    t.retireAt = undefined;
    if (t.desiredState !== 'running') return;
    t.desiredState = 'shutdown';
    this.load.set(t.nodeId, (this.load.get(t.nodeId) ?? 1) - 1);
    t.stopAt = at + this.timing.stopMs;
  }

  /** The node with the fewest tasks that fits and runs no task of the service (host-mode: one per node). */
  private pickNode(svc: SimService, constraints: string[]): NodeInfo | undefined {
    const occupied = new Set(svc.tasks.filter((t) => t.desiredState === 'running').map((t) => t.nodeId));
    let best: NodeInfo | undefined;
    for (const n of this.nodes) {
      if (occupied.has(n.id) || !isSchedulable(n) || nodeSatisfiesAll(n, constraints) !== true) continue;
      if (!best || (this.load.get(n.id) ?? 0) < (this.load.get(best.id) ?? 0)) best = n;
    }
    return best;
  }

  private start(svc: SimService, slot: number, constraints: string[]): SimTask {
    this.seq += 1;
    const node = this.pickNode(svc, constraints);
    const id = `sim${this.seq.toString(36).padStart(22, '0')}`;
    const t: SimTask = { id, serviceId: svc.id, nodeId: node?.id ?? '', slot, state: node ? 'starting' : 'pending', desiredState: 'running', containerId: `${this.seq.toString(16).padStart(12, '0')}${'0'.repeat(52)}` };
    if (node) {
      t.runningAt = this.clock.now() + this.timing.startMs;
      this.load.set(node.id, (this.load.get(node.id) ?? 0) + 1);
    }
    svc.tasks.push(t);
    return t;
  }

  /** What swarm's orchestrator and updater do after a new spec: replica count, then placement. */
  private reconcile(svc: SimService): boolean {
    const wanted = svc.spec.Mode?.Replicated?.Replicas;
    if (wanted === undefined) return false; // the manager never updates a global service
    const constraints = svc.spec.TaskTemplate?.Placement?.Constraints ?? [];
    const now = this.clock.now();
    let changed = false;
    const live = () => svc.tasks.filter((t) => t.desiredState === 'running' && t.retireAt === undefined);
    const slots = [...new Set(live().map((t) => t.slot ?? 0))].sort((a, b) => a - b);
    for (let slot = 1; slots.length < wanted; slot += 1) {
      if (slots.includes(slot)) continue;
      this.start(svc, slot, constraints);
      slots.push(slot);
      changed = true;
    }
    for (const slot of slots.sort((a, b) => a - b).slice(wanted)) {
      for (const t of live().filter((x) => x.slot === slot)) this.retire(t, now);
      changed = true;
    }
    for (const old of live()) {
      const node = this.nodes.find((n) => n.id === old.nodeId);
      // a pending task has no node to violate anything; one that fits stays where it is
      if (!node || nodeSatisfiesAll(node, constraints) !== false) continue;
      const fresh = this.start(svc, old.slot ?? 0, constraints);
      if (fresh.runningAt !== undefined) old.retireAt = fresh.runningAt; // no node: the old task keeps running
      changed = true;
    }
    return changed;
  }

  async listServices(): Promise<ServiceInfo[]> {
    await this.io();
    for (const svc of this.moving) this.settle(svc);
    return [...this.byName.values()].map((s) => this.info(s));
  }

  async inspectService(idOrName: string): Promise<ServiceInfo> {
    await this.io();
    const svc = this.find(idOrName);
    this.settle(svc);
    return this.info(svc);
  }

  async updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    await this.io();
    const svc = this.find(id);
    if (version !== svc.version) throw new Error('(HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence');
    this.settle(svc);
    svc.spec = deepFreeze(structuredClone(spec));
    svc.version += 1;
    this.updates += 1;
    // swarm resets the update status with every new spec; one that changes no task gets none
    const changed = this.reconcile(svc);
    svc.updateState = changed ? 'updating' : undefined;
    if (changed) this.moving.add(svc);
  }

  async listTasks(service: string): Promise<TaskInfo[]> {
    await this.io();
    const svc = this.find(service);
    this.settle(svc);
    return svc.tasks.map((t) => ({ id: t.id, serviceId: t.serviceId, nodeId: t.nodeId, slot: t.slot, state: t.state, desiredState: t.desiredState, containerId: t.containerId, since: t.since }));
  }

  async listNodes(): Promise<NodeInfo[]> {
    await this.io();
    return [...this.nodes];
  }

  /** Bench and test helpers (no call counted). */
  tasksOf(service: string): TaskInfo[] {
    const svc = this.find(service);
    this.settle(svc);
    return svc.tasks.map((t) => ({ ...t }));
  }

  hostOf(nodeId: string): string | undefined {
    return this.nodes.find((n) => n.id === nodeId)?.hostname;
  }
}
