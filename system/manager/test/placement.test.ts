import { describe, expect, it } from 'vitest';
import { BreachTracker } from '../src/breach-tracker.ts';
import { baseConstraints, chooseTarget, nodeSatisfies, possibleTargets, withTemporaryConstraints, temporaryConstraints } from '../src/placement.ts';
import { bearerMatches } from '../src/auth.ts';
import { node } from './fake-swarm.ts';

describe('placement', () => {
  const nodes = [node('manager-1', 'manager'), node('worker-1'), node('worker-2', 'worker', { availability: 'drain' }), node('worker-3'), node('worker-4', 'worker', { state: 'down' })];

  it('evaluates the constraint kinds swarm has, and says when it cannot tell', () => {
    const w = node('worker-1', 'worker', { labels: { zone: 'a' }, engineLabels: { ssd: 'yes' }, os: 'linux' });
    expect(nodeSatisfies(w, 'node.role==worker')).toBe(true);
    expect(nodeSatisfies(w, 'node.role != worker')).toBe(false);
    expect(nodeSatisfies(w, 'node.hostname!=worker-3')).toBe(true);
    expect(nodeSatisfies(w, 'node.labels.zone==a')).toBe(true);
    expect(nodeSatisfies(w, 'node.labels.zone==b')).toBe(false);
    expect(nodeSatisfies(w, 'engine.labels.ssd==yes')).toBe(true);
    expect(nodeSatisfies(w, 'node.platform.os==linux')).toBe(true);
    expect(nodeSatisfies(w, 'node.something==x')).toBeUndefined();
  });

  it('possible targets: Ready, Active, not the source, constraints allow', () => {
    expect(possibleTargets(nodes, ['node.role==worker'], 'worker-3').map((n) => n.hostname)).toEqual(['worker-1']);
    expect(possibleTargets(nodes, [], 'worker-3').map((n) => n.hostname)).toEqual(['manager-1', 'worker-1']);
  });

  it('least-loaded target among reporting nodes, occupied nodes last', () => {
    const all = [node('w1'), node('w2'), node('w3'), node('w4')];
    const loads = new Map([['w1', { load: 50 }], ['w2', { load: 10 }], ['w3', { load: 0 }]]);
    expect(chooseTarget(all, [], 'w3', loads, new Set())).toBe('w2');
    expect(chooseTarget(all, [], 'w3', loads, new Set(['w2']))).toBe('w1');
    expect(chooseTarget(all, ['node.hostname!=w2'], 'w3', loads, new Set())).toBe('w1');
    expect(chooseTarget(all, [], 'w3', new Map(), new Set())).toBeUndefined(); // no reports: no target
    expect(chooseTarget(all, ['node.weird==1'], 'w3', loads, new Set())).toBeUndefined(); // cannot tell
  });

  it('temporary constraints replace each other and never accumulate', () => {
    let spec = { Labels: { keep: '1' }, TaskTemplate: { Placement: { Constraints: ['node.role==worker', 'node.hostname!=w9'] } } };
    for (const from of ['w1', 'w2', 'w3']) {
      spec = withTemporaryConstraints(spec, [`node.hostname!=${from}`]) as typeof spec;
      expect(spec.TaskTemplate.Placement.Constraints).toEqual(['node.role==worker', 'node.hostname!=w9', `node.hostname!=${from}`]);
    }
    expect(temporaryConstraints(spec)).toEqual(['node.hostname!=w3']);
    const relaxed = withTemporaryConstraints(spec, []);
    expect(baseConstraints(relaxed)).toEqual(['node.role==worker', 'node.hostname!=w9']);
    expect(relaxed.Labels).toEqual({ keep: '1' });
  });
});

describe('breach tracker', () => {
  it('counts consecutive samples of one scenario, resets on calm, restarts on another scenario', () => {
    const b = new BreachTracker();
    expect(b.recordSample('abcdef0123456789', 'scenario1_migration', 1)).toBe(1);
    expect(b.recordSample('abcdef012345', 'scenario1_migration', 2)).toBe(2); // same container by short id
    expect(b.recordSample('abcdef012345', 'scenario1_migration', 2)).toBe(2); // same sample twice counts once
    expect(b.recordSample('abcdef012345', 'scenario2_scaling', 3)).toBe(1);
    expect(b.recordSample('abcdef012345', null, 4)).toBe(0);
  });

  it('an alert is one more sample and at least the credit', () => {
    const b = new BreachTracker();
    expect(b.recordAlert('c1c1c1c1c1c1', 'scenario1_migration', 10, 2)).toBe(2);
    expect(b.recordAlert('c1c1c1c1c1c1', 'scenario1_migration', 11, 2)).toBe(3);
    expect(b.recordAlert('c2c2c2c2c2c2', 'scenario1_migration', 10, 1)).toBe(1);
    b.recordSample('c3c3c3c3c3c3', 'scenario1_migration', 5);
    expect(b.recordAlert('c3c3c3c3c3c3', 'scenario1_migration', 6, 1)).toBe(2);
    b.reset('c3c3c3c3c3c3');
    expect(b.list().map((c) => c.container)).toEqual(['c1c1c1c1c1c1', 'c2c2c2c2c2c2']);
  });
});

describe('bearer auth', () => {
  it('accepts exactly the token', () => {
    expect(bearerMatches('Bearer secret-token-123456', 'secret-token-123456')).toBe(true);
    expect(bearerMatches('bearer secret-token-123456', 'secret-token-123456')).toBe(true);
    expect(bearerMatches('Bearer secret-token-12345', 'secret-token-123456')).toBe(false);
    expect(bearerMatches('secret-token-123456', 'secret-token-123456')).toBe(false);
    expect(bearerMatches(undefined, 'secret-token-123456')).toBe(false);
  });
});
