import { describe, expect, it } from 'vitest';
import { alertSchema, reportSchema } from '../../../system/shared/alert-schema.ts';
import { EventLogger } from '../../../system/shared/event-logger.ts';
import { parseConfig } from '../../../system/manager/src/config.ts';
import { nodeSatisfiesAll } from '../../../system/manager/src/placement.ts';
import { RecoveryManager } from '../../../system/manager/src/recovery-manager.ts';
import { FakeClock } from '../../../system/manager/test/fake-swarm.ts';
import { alertSubjects } from './scale-alerts.ts';
import { NodeReports } from './scale-reports.ts';
import { SimulatedSwarm } from './simulated-swarm.ts';
import { buildLayout, SCALE_SHAPE, type SwarmLayout } from './swarm-layout.ts';

const layout = buildLayout(SCALE_SHAPE);

function managerOn(l: SwarmLayout) {
  const clock = new FakeClock();
  const swarm = new SimulatedSwarm(l, clock, { startMs: 1900, stopMs: 1400 });
  const config = parseConfig('', {}, 'test');
  const events = new EventLogger('manager', 'test', { write: () => undefined }, 100_000);
  const manager = new RecoveryManager({ port: swarm, clock, events, config: () => config });
  return { clock, swarm, manager, events };
}

describe('the simulated swarm of the scale benchmark', () => {
  it('has 100 nodes, 1,000 services and 10,000 tasks, 100 tasks on every node', () => {
    expect(layout.nodes).toHaveLength(100);
    expect(layout.services).toHaveLength(1000);
    expect(layout.tasks).toHaveLength(10_000);
    const perNode = new Map<string, number>();
    for (const t of layout.tasks) perNode.set(t.nodeId, (perNode.get(t.nodeId) ?? 0) + 1);
    expect(new Set(perNode.values())).toEqual(new Set([100]));
  });

  it('replicated services have 1–20 replicas, all placed, one task per node, on nodes their constraints allow', () => {
    const nodes = new Map(layout.nodes.map((n) => [n.id, n]));
    const byService = new Map<string, typeof layout.tasks>();
    for (const t of layout.tasks) byService.set(t.serviceId, [...(byService.get(t.serviceId) ?? []), t]);
    for (const s of layout.services) {
      const tasks = byService.get(s.id) ?? [];
      expect(tasks.length).toBe(s.replicas ?? layout.nodes.length);
      expect(new Set(tasks.map((t) => t.nodeId)).size).toBe(tasks.length);
      for (const t of tasks) expect(nodeSatisfiesAll(nodes.get(t.nodeId)!, s.constraints), `${s.name} on ${t.hostname}`).toBe(true);
      if (s.replicas !== null) {
        expect(s.replicas).toBeGreaterThanOrEqual(1);
        expect(s.replicas).toBeLessThanOrEqual(20);
        expect(tasks.map((t) => t.slot).sort((a, b) => a! - b!)).toEqual(Array.from({ length: s.replicas }, (_, i) => i + 1));
      }
    }
    expect(layout.services.filter((s) => s.replicas === null)).toHaveLength(SCALE_SHAPE.globalServices);
  });

  it('is the same swarm for the same seed (the benchmark builds it in two processes)', () => {
    const again = buildLayout(SCALE_SHAPE);
    expect(again.tasks.map((t) => `${t.id}@${t.nodeId}`)).toEqual(layout.tasks.map((t) => `${t.id}@${t.nodeId}`));
    expect(buildLayout({ ...SCALE_SHAPE, seed: 21 }).tasks[0].id).not.toBe(layout.tasks[0].id);
  });

  it('refuses a shape it cannot place', () => {
    expect(() => buildLayout({ ...SCALE_SHAPE, tasks: 30_000 })).toThrow(/cannot hold 30000 tasks on 100 nodes/);
  });

  it('answers the port like the layout says', async () => {
    const swarm = new SimulatedSwarm(layout, new FakeClock());
    expect(await swarm.listServices()).toHaveLength(1000);
    expect(await swarm.listNodes()).toHaveLength(100);
    const svc = layout.services[7];
    const tasks = await swarm.listTasks(svc.name);
    expect(tasks.map((t) => t.id).sort()).toEqual(layout.tasks.filter((t) => t.serviceId === svc.id).map((t) => t.id).sort());
    expect((await swarm.inspectService(svc.id)).name).toBe(svc.name);
    await expect(swarm.updateService(svc.id, 9, (await swarm.inspectService(svc.id)).spec)).rejects.toThrow(/update out of sequence/);
  });

  it('carries a real migration of the manager through: the alerting task moves, the others stay, the constraint goes', async () => {
    const { clock, swarm, manager, events } = managerOn(layout);
    const svc = layout.services.find((s) => (s.replicas ?? 0) >= 3)!;
    const task = layout.tasks.find((t) => t.serviceId === svc.id)!;
    const others = layout.tasks.filter((t) => t.serviceId === svc.id && t !== task).map((t) => t.id);
    const outcome = await manager.handleAlert(
      { id: 'a1', t0: clock.now() - 1000, t1: clock.now(), node: task.hostname, service: svc.name, container: task.containerId.slice(0, 12), task: task.id, scenario: 'scenario1_migration', m: { cpu: 90, mem: 30, mem_mb: 100, net: 2, rx: 1, tx: 1 } },
      clock.now(),
    );
    expect(outcome.decision).toBe('migrate');
    await manager.idle();
    expect(events.since(0).filter((e) => e.event === 'action_completed')).toHaveLength(1);
    const after = swarm.tasksOf(svc.name);
    const live = after.filter((t) => t.state === 'running' && t.desiredState === 'running');
    expect(live).toHaveLength(svc.replicas!);
    expect(live.map((t) => t.id)).toEqual(expect.arrayContaining(others));
    expect(live.some((t) => t.nodeId === task.nodeId)).toBe(false);
    expect(after.find((t) => t.id === task.id)?.state).toBe('shutdown');
    expect((await swarm.inspectService(svc.name)).spec.TaskTemplate?.Placement?.Constraints).toEqual(svc.constraints);
  });

  it('carries a scale-up through: one more replica, in a new slot', async () => {
    const { clock, swarm, manager } = managerOn(layout);
    const svc = layout.services.find((s) => s.replicas === 4)!;
    const task = layout.tasks.find((t) => t.serviceId === svc.id)!;
    const outcome = await manager.handleAlert(
      { id: 'a2', t0: clock.now() - 1000, t1: clock.now(), node: task.hostname, service: svc.name, container: task.containerId.slice(0, 12), task: task.id, scenario: 'scenario2_scaling', m: { cpu: 90, mem: 30, mem_mb: 100, net: 80, rx: 40, tx: 40 } },
      clock.now(),
    );
    expect(outcome.decision).toBe('scale_up');
    await manager.idle();
    const live = swarm.tasksOf(svc.name).filter((t) => t.state === 'running' && t.desiredState === 'running');
    expect(live.map((t) => t.slot).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("gives the benchmark alerts and reports the manager's schemas accept", () => {
    for (const s of alertSubjects(layout, 200, 1)) {
      expect(alertSchema.safeParse({ id: 'x:1:1', t0: 1, t1: 2, ...s }).success).toBe(true);
    }
    const reports = new NodeReports(layout, 1);
    expect(reports.nodes.reduce((sum, n) => sum + n.containers, 0)).toBe(10_000);
    for (const n of reports.nodes) expect(reportSchema.safeParse(JSON.parse(n.body(1_800_000_000_000.5))).success).toBe(true);
  });
});
