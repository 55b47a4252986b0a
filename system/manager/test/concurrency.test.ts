import { describe, expect, it } from 'vitest';
import { alertFor, setup } from './helpers.ts';

describe('one action per service, services in parallel', () => {
  it('alerts for two services at once both act; a second alert for a busy service is locked', async () => {
    const h = setup({ on: ['worker-3'] });
    h.swarm.addService('api', { replicas: 1, on: ['worker-1'], constraints: ['node.role==worker'] });
    await h.manager.inventory.refresh();
    const apiTask = h.swarm.liveTasks('api')[0]!;
    const apiAlert = alertFor(h.swarm, { service: 'api', node: 'worker-1', task: apiTask.id, container: apiTask.containerId!.slice(0, 12), id: 'api:1' });
    const [a, b, c] = await Promise.all([
      h.manager.handleAlert(alertFor(h.swarm), h.clock.now()),
      h.manager.handleAlert(apiAlert, h.clock.now()),
      h.manager.handleAlert(alertFor(h.swarm, { id: 'again' }), h.clock.now()),
    ]);
    expect(a).toMatchObject({ accepted: true });
    expect(b).toMatchObject({ accepted: true });
    expect(c).toMatchObject({ accepted: false, reason: 'locked' });
    expect(h.manager.ledger.inFlightList().map((x) => x.service).sort()).toEqual(['api', 'web-stress']);
    await h.manager.idle();
    expect(h.named('action_completed').map((e) => e.service).sort()).toEqual(['api', 'web-stress']);
    expect(h.swarm.hostOf(h.swarm.liveTasks('api')[0]!)).not.toBe('worker-1');
  });

  it('failure_action pause is passed to the update config', async () => {
    const h = setup({ yaml: 'manager: {migration: {failure_action: pause, monitor: 2}}' });
    await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    await h.manager.idle();
    expect(h.swarm.updates[0]!.spec.UpdateConfig).toMatchObject({ FailureAction: 'pause', Monitor: 2_000_000_000, Order: 'start-first' });
  });

  it('scale-down respects a min_replicas above 1 and waits while an action is in flight', async () => {
    const h = setup({ on: ['worker-1', 'worker-2', 'worker-3'], yaml: 'scenarios: {scenario2_scaling: {scale_down_cooldown: 2, min_replicas: 2}}\nmanager: {services: [web-stress]}' });
    const report = () => {
      for (const t of h.swarm.liveTasks('web-stress')) {
        h.manager.handleReport({ node: h.swarm.hostOf(t)!, t: h.clock.now(), containers: [{ service: 'web-stress', container: t.containerId!.slice(0, 12), task: t.id, m: { cpu: 1, mem: 1, mem_mb: 1, net: 0, rx: 0, tx: 0 } }] }, h.clock.now());
      }
    };
    const held = h.manager.ledger.reserve('web-stress', 'migrate', h.clock.now())!;
    for (let i = 0; i < 5; i += 1) { report(); await h.scaleDown.tick(); h.clock.t += 1000; }
    expect(h.scaleDown.statuses()[0]).toMatchObject({ state: 'action_in_flight' });
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(3);
    h.manager.ledger.release(held);
    for (let i = 0; i < 20; i += 1) { report(); await h.scaleDown.tick(); h.clock.t += 1000; }
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(2);
    expect(h.scaleDown.statuses()[0]).toMatchObject({ state: 'at_min_replicas' });
  });
});
