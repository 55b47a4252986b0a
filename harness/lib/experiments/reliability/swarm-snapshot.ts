import type { LabSwarm } from '../../cluster/lab-port.ts';

/** What a "swarm change" would show: a service's version, a task replaced, a node's state or availability. */
export interface SwarmSnapshot {
  services: Record<string, number>;
  /** service → ids of its tasks that the swarm wants running, sorted. */
  tasks: Record<string, string[]>;
  nodes: Record<string, string>;
}

export async function swarmSnapshot(swarm: LabSwarm): Promise<SwarmSnapshot> {
  const [services, tasks, nodes] = await Promise.all([swarm.services(), swarm.tasks({ desiredState: 'running' }), swarm.nodes()]);
  const nameOf = new Map(services.map((s) => [s.id, s.name]));
  const byService: Record<string, string[]> = {};
  for (const t of tasks) (byService[nameOf.get(t.serviceId) ?? t.serviceId] ??= []).push(t.id);
  for (const ids of Object.values(byService)) ids.sort();
  return {
    services: Object.fromEntries(services.map((s) => [s.name, s.version])),
    tasks: byService,
    nodes: Object.fromEntries(nodes.map((n) => [n.hostname, `${n.state}/${n.availability}`])),
  };
}

/** Every difference between two snapshots, one line each ("web-stress: version 120 → 131"). */
export function swarmChanges(before: SwarmSnapshot, after: SwarmSnapshot): string[] {
  const out: string[] = [];
  const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const s of keys(before.services, after.services)) {
    if (before.services[s] !== after.services[s]) out.push(`service ${s}: version ${before.services[s] ?? 'absent'} → ${after.services[s] ?? 'absent'}`);
  }
  for (const s of keys(before.tasks, after.tasks)) {
    const a = (before.tasks[s] ?? []).join(',');
    const b = (after.tasks[s] ?? []).join(',');
    if (a !== b) out.push(`service ${s}: tasks ${a || 'none'} → ${b || 'none'}`);
  }
  for (const n of keys(before.nodes, after.nodes)) {
    if (before.nodes[n] !== after.nodes[n]) out.push(`node ${n}: ${before.nodes[n] ?? 'absent'} → ${after.nodes[n] ?? 'absent'}`);
  }
  return out;
}

const MOVING = new Set(['updating', 'rollback_started']);

/**
 * Waits until no service is in a rolling update: swarm bumps a service's version when the update's
 * state changes (e.g. to completed after the monitor period), which is no change made by anyone.
 */
export async function waitSwarmSettled(swarm: LabSwarm, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const services = await swarm.services();
    const moving = services.filter((s) => MOVING.has(s.updateState ?? ''));
    if (moving.length === 0) return;
    if (Date.now() > deadline) throw new Error(`services still updating after ${timeoutMs} ms: ${moving.map((s) => `${s.name} (${s.updateState})`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
