import { describe, expect, it } from 'vitest';
import { EVACUATED_LABEL, excludeNode, readmitNode } from '../src/node-evacuation.ts';
import { NodeFailureWatch } from '../src/node-failure-watch.ts';
import { node } from './fake-swarm.ts';
import { report, setup } from './helpers.ts';

const addr = (hostname: string) => `10.9.0.${hostname.slice(-1)}`;

/**
 * A manager over the fake swarm (web-stress on worker-3, published on 8080), the agents reporting
 * every second (poll_interval 1 s), the watch ticking every 100 ms. `dead` nodes neither report nor
 * answer on their ports; `silent` ones only stop reporting.
 */
function lab(yaml = '') {
  const h = setup({ yaml: yaml || 'manager: {node_detection: {probe_ports: [8080]}}' });
  h.swarm.nodes = [node('manager-1', 'manager', { addr: '10.9.0.1' }), ...['worker-1', 'worker-2', 'worker-3'].map((w) => node(w, 'worker', { addr: addr(w) }))];
  const dead = new Set<string>();
  const silent = new Set<string>();
  const connects: string[] = [];
  const watch = new NodeFailureWatch(h.manager, h.swarm, h.clock, async (host, port) => {
    connects.push(`${host}:${port}`);
    return ![...dead].some((n) => addr(n) === host);
  });
  const start = h.clock.now();
  const advance = async (ms: number) => {
    const until = h.clock.now() + ms;
    while (h.clock.now() < until) {
      h.clock.t += 100;
      const at = h.clock.now() - start;
      if (Math.round(at) % 1000 === 0) {
        for (const w of ['worker-1', 'worker-2', 'worker-3']) if (!dead.has(w) && !silent.has(w)) h.manager.handleReport(report(w, h.clock.now(), []), h.clock.now());
        await h.manager.inventory.refresh();
      }
      await watch.tick();
    }
  };
  return { ...h, dead, silent, connects, watch, advance };
}

const constraints = (h: ReturnType<typeof lab>) => h.swarm.spec('web-stress').TaskTemplate?.Placement?.Constraints;

describe('node-failure watch on the fake swarm', () => {
  it('a dead node: detected from missed reports and closed ports, its task moved off at once, T0 the first missed report', async () => {
    const h = lab();
    await h.advance(2000);
    const original = h.swarm.liveTasks('web-stress')[0]!;
    h.dead.add('worker-3');
    await h.advance(3000);
    await h.manager.idle();
    const detected = h.named('node_failure_detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]).toMatchObject({ hostname: 'worker-3', services: ['web-stress'], unreachable: ['10.9.0.3:8080'] });
    expect(detected[0]!.t0).toBe(h.named('node_failure_suspected')[0]!.t0);
    expect(h.named('decision_made').find((e) => e.decision === 'evacuate')).toMatchObject({ reason: 'node_failed', hostname: 'worker-3' });
    expect(h.named('action_completed')).toEqual([expect.objectContaining({ action: 'evacuate', fromNode: 'worker-3' })]);
    const live = h.swarm.liveTasks('web-stress');
    expect(live).toHaveLength(1);
    expect(live[0]!.id).not.toBe(original.id);
    expect(h.swarm.hostOf(live[0]!)).not.toBe('worker-3');
    expect(constraints(h)).toEqual(['node.role==worker', 'node.hostname!=worker-3']);
    expect(JSON.parse(h.swarm.spec('web-stress').Labels![EVACUATED_LABEL]!)).toEqual(['worker-3']);
  });

  it('the node back: its exclusion lifted once it is Ready and reporting, and no task moves a second time', async () => {
    const h = lab();
    await h.advance(2000);
    h.dead.add('worker-3');
    await h.advance(3000);
    await h.manager.idle();
    const moved = h.swarm.liveTasks('web-stress').map((t) => t.id);
    const orders = h.swarm.shutdownOrders.length;
    await h.advance(5000);
    expect(h.named('node_restored')).toEqual([]); // still dead
    h.dead.delete('worker-3');
    await h.advance(2000);
    await h.manager.idle();
    expect(h.named('node_restored')).toEqual([expect.objectContaining({ hostname: 'worker-3', services: ['web-stress'] })]);
    expect(constraints(h)).toEqual(['node.role==worker']);
    expect(h.swarm.spec('web-stress').Labels?.[EVACUATED_LABEL]).toBeUndefined();
    expect(h.swarm.liveTasks('web-stress').map((t) => t.id)).toEqual(moved);
    expect(h.swarm.shutdownOrders.length).toBe(orders);
    expect(h.watch.detector.failed()).toEqual([]);
  });

  it('an agent restart (silent, ports open) moves nothing and updates nothing', async () => {
    const h = lab();
    await h.advance(2000);
    h.silent.add('worker-3');
    await h.advance(6000);
    h.silent.delete('worker-3');
    await h.advance(2000);
    expect(h.named('node_failure_ruled_out')).toEqual([expect.objectContaining({ hostname: 'worker-3', reachable: '10.9.0.3:8080' })]);
    expect(h.named('node_suspicion_cleared')).toHaveLength(1);
    expect(h.named('node_failure_detected')).toEqual([]);
    expect(h.swarm.updates).toEqual([]);
  });

  it('detection off: a dead node is left to swarm', async () => {
    const h = lab('manager: {node_detection: {enabled: false, probe_ports: [8080]}}');
    await h.advance(2000);
    h.dead.add('worker-3');
    await h.advance(5000);
    expect(h.named('node_failure_suspected')).toEqual([]);
    expect(h.swarm.updates).toEqual([]);
    expect(h.connects).toEqual([]);
  });

  it('a node without managed tasks (and no probe_ports) is unconfirmed and nothing is updated', async () => {
    const h = lab('manager: {node_detection: {probe_ports: []}}');
    await h.advance(2000);
    h.dead.add('worker-1');
    await h.advance(4000);
    expect(h.named('node_failure_unconfirmed')).toEqual([expect.objectContaining({ hostname: 'worker-1' })]);
    expect(h.swarm.updates).toEqual([]);
  });

  it('an exclusion left by an earlier manager is lifted once its node reports; one this manager has not seen back stays', async () => {
    const h = lab();
    const svc = h.swarm.services.get('web-stress')!;
    svc.spec = excludeNode(excludeNode(svc.spec, 'worker-1')!, 'worker-9')!;
    await h.manager.inventory.refresh();
    await h.advance(1000);
    expect(h.named('node_restored')).toEqual([expect.objectContaining({ hostname: 'worker-1', fromEarlierManager: true })]);
    expect(constraints(h)).toEqual(['node.role==worker', 'node.hostname!=worker-9']);
  });

  it('excludeNode / readmitNode keep the user\'s own constraints and never add one twice', () => {
    const spec = { Labels: { a: 'b' }, TaskTemplate: { Placement: { Constraints: ['node.role==worker', 'node.hostname!=worker-1'] } } };
    const one = excludeNode(spec, 'worker-2')!;
    expect(one.TaskTemplate!.Placement!.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-1', 'node.hostname!=worker-2']);
    expect(excludeNode(one, 'worker-2')).toBeNull();
    const back = readmitNode(one, 'worker-2')!;
    expect(back.TaskTemplate!.Placement!.Constraints).toEqual(['node.role==worker', 'node.hostname!=worker-1']);
    expect(back.Labels).toEqual({ a: 'b' });
    expect(readmitNode(back, 'worker-2')).toBeNull();
    // the user's own exclusion of worker-1 is not the manager's to lift
    expect(readmitNode(spec, 'worker-1')).toBeNull();
  });
});
