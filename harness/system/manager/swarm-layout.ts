import { nodeSatisfiesAll } from '../../../system/manager/src/placement.ts';
import { mulberry32 } from '../../lib/report/bootstrap.ts';
import type { NodeInfo } from '../../../system/manager/src/swarm-port.ts';

/** How big a simulated swarm is. Seeded: two processes that build the same shape get the same swarm. */
export interface LayoutShape {
  nodes: number;
  services: number;
  tasks: number;
  /** Services in global mode (one task per node), like the agent or a log shipper. */
  globalServices: number;
  /** Replicas of a replicated service: 1 … this. */
  maxReplicas: number;
  /** Nodes with the manager role (the first ones); the others are workers. */
  managers: number;
  /** Node label `zone` takes this many values, round robin over the nodes. */
  zones: number;
  seed: number;
}

/** The simulated swarm: 100 nodes, 1,000 services, 10,000 tasks. */
export const SCALE_SHAPE: LayoutShape = { nodes: 100, services: 1000, tasks: 10_000, globalServices: 5, maxReplicas: 20, managers: 3, zones: 4, seed: 20 };

export interface LayoutService {
  id: string;
  name: string;
  /** null: global mode. */
  replicas: number | null;
  constraints: string[];
}

export interface LayoutTask {
  id: string;
  serviceId: string;
  service: string;
  nodeId: string;
  hostname: string;
  /** Replicated tasks only. */
  slot?: number;
  /** 64 hex digits; agents and alerts use the first 12. */
  containerId: string;
}

export interface SwarmLayout {
  shape: LayoutShape;
  nodes: NodeInfo[];
  services: LayoutService[];
  tasks: LayoutTask[];
}


const BASE36 = 'abcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
function draw(rand: () => number, alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i += 1) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}
/** Swarm's object ids are 25 base-36 characters; the length of what the agents send matters for body sizes. */
const swarmId = (rand: () => number) => draw(rand, BASE36, 25);

/**
 * Replica counts of the replicated services: drawn uniformly from 1 … maxReplicas, then nudged one
 * at a time (random services) until they add up to the tasks left after the global services.
 */
function replicaCounts(shape: LayoutShape, rand: () => number): number[] {
  const count = shape.services - shape.globalServices;
  const wanted = shape.tasks - shape.globalServices * shape.nodes;
  if (count < 1 || wanted < count || wanted > count * shape.maxReplicas || shape.maxReplicas > shape.nodes) {
    throw new Error(
      `layout: ${shape.services} services (${shape.globalServices} global) cannot hold ${shape.tasks} tasks on ${shape.nodes} nodes ` +
        `with 1–${shape.maxReplicas} replicas each (one task of a service per node)`,
    );
  }
  const counts = Array.from({ length: count }, () => 1 + Math.floor(rand() * shape.maxReplicas));
  let sum = counts.reduce((s, c) => s + c, 0);
  while (sum !== wanted) {
    const i = Math.floor(rand() * count);
    const step = sum > wanted ? -1 : 1;
    const next = counts[i] + step;
    if (next < 1 || next > shape.maxReplicas) continue;
    counts[i] = next;
    sum += step;
  }
  return counts;
}

/** 60 % of services may run anywhere, 25 % on workers only, 15 % in one zone. */
function constraintsFor(shape: LayoutShape, rand: () => number): string[] {
  const r = rand();
  if (r < 0.6) return [];
  if (r < 0.85) return ['node.role==worker'];
  return [`node.labels.zone==z${Math.floor(rand() * shape.zones)}`];
}

const restrictiveness = (s: LayoutService) => (s.constraints.some((c) => c.includes('zone')) ? 0 : s.constraints.length > 0 ? 1 : 2);

/**
 * A swarm the size of `shape`: every task placed as swarm's spread strategy would (on the node with
 * the fewest tasks that satisfies the service's constraints and runs no task of it yet; one task per
 * node, as host-mode publishing requires), the most constrained services first, so the nodes end up
 * evenly loaded.
 */
export function buildLayout(shape: LayoutShape = SCALE_SHAPE): SwarmLayout {
  const rand = mulberry32(shape.seed);
  const nodes: NodeInfo[] = Array.from({ length: shape.nodes }, (_, i) => ({
    id: swarmId(rand),
    hostname: `node-${String(i).padStart(3, '0')}`,
    role: i < shape.managers ? 'manager' : 'worker',
    state: 'ready',
    availability: 'active',
    labels: { zone: `z${i % shape.zones}` },
    engineLabels: {},
    os: 'linux',
    arch: 'x86_64',
  }));
  const counts = replicaCounts(shape, rand);
  const services: LayoutService[] = [
    ...Array.from({ length: shape.globalServices }, (_, i) => ({ id: swarmId(rand), name: `global-${i}`, replicas: null, constraints: [] })),
    ...counts.map((replicas, i) => ({ id: swarmId(rand), name: `svc-${String(i).padStart(4, '0')}`, replicas, constraints: constraintsFor(shape, rand) })),
  ];

  const load = new Map(nodes.map((n) => [n.id, 0]));
  const tasks: LayoutTask[] = [];
  const place = (svc: LayoutService, node: NodeInfo, slot?: number) => {
    load.set(node.id, (load.get(node.id) ?? 0) + 1);
    tasks.push({ id: swarmId(rand), serviceId: svc.id, service: svc.name, nodeId: node.id, hostname: node.hostname, slot, containerId: draw(rand, HEX, 64) });
  };
  for (const svc of services.filter((s) => s.replicas === null)) for (const n of nodes) place(svc, n);
  const replicated = services.filter((s) => s.replicas !== null).sort((a, b) => restrictiveness(a) - restrictiveness(b) || (b.replicas ?? 0) - (a.replicas ?? 0));
  for (const svc of replicated) {
    // nodes are in hostname order and the sort is stable: equal loads stay in that order
    const eligible = nodes.filter((n) => nodeSatisfiesAll(n, svc.constraints) === true).sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0));
    const replicas = svc.replicas ?? 0;
    if (eligible.length < replicas) throw new Error(`layout: ${svc.name} needs ${replicas} nodes satisfying ${svc.constraints.join(', ')}, ${eligible.length} do`);
    eligible.slice(0, replicas).forEach((n, i) => place(svc, n, i + 1));
  }
  return { shape, nodes, services, tasks };
}
