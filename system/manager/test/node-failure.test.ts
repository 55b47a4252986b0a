import { describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../shared/alert-schema.ts';
import { chooseTarget } from '../src/placement.ts';
import { NodeWatch, nodeChanges } from '../src/node-watch.ts';
import { node } from './fake-swarm.ts';
import { alertFor, setup } from './helpers.ts';

const idle = (container: string): ReportEntry => ({ service: 'other', container, task: 'x', m: { cpu: 1, mem: 1, mem_mb: 1, net: 0, rx: 0, tx: 0 } });
const busy = (container: string): ReportEntry => ({ service: 'other', container, task: 'y', m: { cpu: 60, mem: 40, mem_mb: 1, net: 0, rx: 0, tx: 0 } });

describe('a dead node is never a migration target', () => {
  it('chooseTarget skips a node swarm sees Down even with a fresh (pre-death) report, and a Ready node whose agent is silent', () => {
    const nodes = [node('w1', 'worker', { state: 'down' }), node('w2'), node('w3'), node('w4', 'worker', { state: 'unknown' })];
    // w1 and w4 look the least loaded, w3 (silent) is not in the loads at all
    const loads = new Map([['w1', { load: 0 }], ['w4', { load: 0 }], ['w2', { load: 90 }]]);
    expect(chooseTarget(nodes, [], 'w9', loads, new Set())).toBe('w2');
    expect(chooseTarget(nodes, [], 'w2', loads, new Set())).toBeUndefined();
  });

  it('the manager migrates onto the live idle worker, not the idle worker that went Down', async () => {
    const h = setup({ yaml: 'manager: {migration: {placement: least_loaded}}' });
    const now = h.clock.now();
    h.manager.handleReport({ node: 'worker-1', t: now, containers: [idle('aaaaaaaaaaaa')] }, now);
    h.manager.handleReport({ node: 'worker-2', t: now, containers: [busy('bbbbbbbbbbbb')] }, now);
    h.swarm.nodes = h.swarm.nodes.map((n) => (n.hostname === 'worker-1' ? { ...n, state: 'down' } : n));
    await h.manager.inventory.refresh();
    await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    await h.manager.idle();
    expect(h.swarm.updates[0]!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname==worker-2']);
    expect(h.swarm.hostOf(h.swarm.liveTasks('web-stress')[0]!)).toBe('worker-2');
  });

  it('a Ready node whose agent stopped reporting past the TTL is not chosen either', async () => {
    const h = setup({ yaml: 'manager: {migration: {placement: least_loaded}}' });
    const then = h.clock.now();
    h.manager.handleReport({ node: 'worker-1', t: then, containers: [idle('aaaaaaaaaaaa')] }, then);
    h.clock.t += 10_000; // worker-1 silent since; TTL is 3 polls of 1 s
    const now = h.clock.now();
    h.manager.handleReport({ node: 'worker-2', t: now, containers: [busy('bbbbbbbbbbbb')] }, now);
    await h.manager.inventory.refresh();
    await h.manager.handleAlert(alertFor(h.swarm), h.clock.now());
    await h.manager.idle();
    expect(h.swarm.updates[0]!.spec.TaskTemplate?.Placement?.Constraints).toEqual(['node.role==worker', 'node.hostname==worker-2']);
  });
});

describe('node watch', () => {
  it('nodeChanges: state changes both ways, agent silence and return, a first picture only of nodes not Ready', () => {
    const first = nodeChanges(new Map(), new Map([['a', { state: 'ready', reporting: false }], ['b', { state: 'down', reporting: false }]]));
    expect(first).toEqual([{ event: 'node_state_changed', node: 'b', fields: { from: 'ready', to: 'down', unreachable: true } }]);
    const prev = new Map([['a', { state: 'ready', reporting: true }], ['b', { state: 'down', reporting: false }]]);
    const next = new Map([['a', { state: 'down', reporting: false }], ['b', { state: 'ready', reporting: true }]]);
    expect(nodeChanges(prev, next).map((c) => `${c.event} ${c.node}`)).toEqual([
      'node_state_changed a',
      'agent_reports_stopped a',
      'node_state_changed b',
      'agent_reports_resumed b',
    ]);
    expect(nodeChanges(next, next)).toEqual([]);
  });

  it('logs a node going Down and its agent falling silent, once each, then their recovery', async () => {
    const h = setup();
    const watch = new NodeWatch(h.manager, h.clock, () => 1000);
    const reportAll = () => {
      for (const n of h.swarm.nodes.filter((x) => x.state === 'ready')) h.manager.handleReport({ node: n.hostname, t: h.clock.now(), containers: [] }, h.clock.now());
    };
    reportAll();
    expect(await watch.tick()).toEqual([]);
    h.swarm.nodes = h.swarm.nodes.map((n) => (n.hostname === 'worker-2' ? { ...n, state: 'down' } : n));
    for (let s = 0; s < 6; s += 1) {
      h.clock.t += 1000;
      reportAll();
      await watch.tick();
    }
    expect(h.named('node_state_changed')).toHaveLength(1);
    expect(h.named('node_state_changed')[0]).toMatchObject({ hostname: 'worker-2', from: 'ready', to: 'down', unreachable: true });
    expect(h.named('agent_reports_stopped')).toHaveLength(1);
    expect(h.named('agent_reports_stopped')[0]).toMatchObject({ hostname: 'worker-2', swarmState: 'down' });
    expect(h.named('agent_reports_stopped')[0]!.silentForMs).toBeGreaterThan(3000);

    h.swarm.nodes = h.swarm.nodes.map((n) => (n.hostname === 'worker-2' ? { ...n, state: 'ready' } : n));
    h.clock.t += 1000;
    reportAll();
    await watch.tick();
    expect(h.named('node_state_changed')[1]).toMatchObject({ hostname: 'worker-2', from: 'down', to: 'ready', unreachable: false });
    expect(h.named('agent_reports_resumed')).toHaveLength(1);
    expect(h.manager.inventory.node('worker-2')?.state).toBe('ready');
  });
});
