import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/alert-schema.ts';
import { decide } from '../src/decide.ts';
import type { DecisionState } from '../src/types.ts';
import { testConfig } from './helpers.ts';

const rules = testConfig().scenarios;
const now = 1_800_000_000_000;

const alert = (scenario: Alert['scenario'], m: Partial<Alert['m']> = {}): Alert => ({
  id: 'worker-3:1:1',
  t0: now - 1000,
  t1: now,
  node: 'worker-3',
  service: 'web-stress',
  container: '5e30b5e17ad4',
  task: 'i4izajy8i2mm',
  scenario,
  m: { cpu: 86, mem: 30, mem_mb: 100, net: scenario === 'scenario1_migration' ? 2 : 80, rx: 1, tx: 1, ...m },
});

const state = (s: Partial<DecisionState> = {}): DecisionState => ({
  service: { id: 'svc', name: 'web-stress', replicas: 1 },
  managed: true,
  nodeKnown: true,
  cooldownUntil: {},
  breaches: 2,
  possibleTargets: 2,
  ...s,
});

const running = { found: true, node: 'worker-3', state: 'running', desiredState: 'running' };

describe('decide', () => {
  it('migrates on a scenario-1 alert that passes every check', () => {
    expect(decide(rules, alert('scenario1_migration'), state({ task: running }), now)).toMatchObject({ kind: 'migrate' });
  });

  it('scales up on a scenario-2 alert that passes every check', () => {
    expect(decide(rules, alert('scenario2_scaling'), state({ task: running }), now)).toMatchObject({ kind: 'scale_up' });
  });

  it.each([
    ['unknown service', state({ service: undefined }), 'unknown_service'],
    ['unmanaged service', state({ managed: false }), 'unmanaged_service'],
    ['unknown node', state({ nodeKnown: false }), 'unknown_node'],
    ['too few breaches', state({ breaches: 1 }), 'waiting_breach'],
    ['action in flight', state({ inFlight: { actionId: 'a1', kind: 'migrate' } }), 'locked'],
    ['cooling down', state({ cooldownUntil: { migrate: now + 1 } }), 'cooldown'],
    ['nowhere to go', state({ possibleTargets: 0 }), 'no_target'],
    ['task gone', state({ task: { found: false } }), 'stale'],
    ['task moved', state({ task: { ...running, node: 'worker-1' } }), 'stale'],
    ['task not running', state({ task: { ...running, state: 'shutdown' } }), 'stale'],
    ['task being shut down', state({ task: { ...running, desiredState: 'shutdown' } }), 'stale'],
  ])('ignores a migration alert: %s', (_name, s, reason) => {
    expect(decide(rules, alert('scenario1_migration'), s, now)).toMatchObject({ kind: 'ignore', reason });
  });

  it('cooldown ends exactly at its end time and is per action', () => {
    const a = alert('scenario1_migration');
    expect(decide(rules, a, state({ cooldownUntil: { migrate: now } }), now).kind).toBe('migrate');
    expect(decide(rules, a, state({ cooldownUntil: { scale_up: now + 60_000 } }), now).kind).toBe('migrate');
    expect(decide(rules, alert('scenario2_scaling'), state({ cooldownUntil: { migrate: now + 60_000 } }), now).kind).toBe('scale_up');
    expect(decide(rules, alert('scenario2_scaling'), state({ cooldownUntil: { scale_up: now + 0.5 } }), now)).toMatchObject({ reason: 'cooldown' });
  });

  it('does not migrate a task within startup_grace_s of its start, and scales up regardless', () => {
    const grace = rules.scenario1_migration.startup_grace_s * 1000;
    const young = { ...running, since: now - grace + 1 };
    expect(decide(rules, alert('scenario1_migration'), state({ task: young }), now)).toMatchObject({ kind: 'ignore', reason: 'warming_up' });
    expect(decide(rules, alert('scenario1_migration'), state({ task: { ...running, since: now - grace } }), now).kind).toBe('migrate');
    expect(decide(rules, alert('scenario2_scaling'), state({ task: young }), now).kind).toBe('scale_up');
    const noGrace = { ...rules, scenario1_migration: { ...rules.scenario1_migration, startup_grace_s: 0 } };
    expect(decide(noGrace, alert('scenario1_migration'), state({ task: { ...running, since: now } }), now).kind).toBe('migrate');
  });

  it('stale branch is only taken once the task was looked up', () => {
    expect(decide(rules, alert('scenario1_migration'), state({ task: undefined }), now).kind).toBe('migrate');
  });

  it('max_replicas and global services stop a scale-up', () => {
    const a = alert('scenario2_scaling');
    const max = rules.scenario2_scaling.max_replicas;
    expect(decide(rules, a, state({ service: { id: 's', name: 'web-stress', replicas: max - 1 } }), now).kind).toBe('scale_up');
    expect(decide(rules, a, state({ service: { id: 's', name: 'web-stress', replicas: max } }), now)).toMatchObject({ reason: 'max_replicas' });
    expect(decide(rules, a, state({ service: { id: 's', name: 'web-stress', replicas: null } }), now)).toMatchObject({ reason: 'not_replicated' });
  });

  describe('rule re-check on the alert metrics', () => {
    it.each([
      ['scenario1 with network between the thresholds', 'scenario1_migration', { net: 50 }],
      ['scenario1 with network at the max threshold', 'scenario1_migration', { net: 35 }],
      ['scenario1 with cpu and mem at their thresholds', 'scenario1_migration', { cpu: 75, mem: 80 }],
      ['scenario1 whose metrics are scenario2', 'scenario1_migration', { net: 90 }],
      ['scenario2 with network at the min threshold', 'scenario2_scaling', { net: 65 }],
      ['scenario2 with low network', 'scenario2_scaling', { net: 10 }],
      ['scenario2 with low cpu and mem', 'scenario2_scaling', { cpu: 10, mem: 10 }],
    ] as const)('ignores %s', (_name, scenario, m) => {
      expect(decide(rules, alert(scenario, m), state(), now)).toMatchObject({ kind: 'ignore', reason: 'rule_mismatch' });
    });

    it.each([
      ['scenario1 on memory alone', 'scenario1_migration', { cpu: 10, mem: 80.1 }, 'migrate'],
      ['scenario1 on cpu just above', 'scenario1_migration', { cpu: 75.1, net: 34.9 }, 'migrate'],
      ['scenario2 on memory alone', 'scenario2_scaling', { cpu: 10, mem: 81, net: 65.1 }, 'scale_up'],
    ] as const)('acts on %s', (_name, scenario, m, kind) => {
      expect(decide(rules, alert(scenario, m), state(), now).kind).toBe(kind);
    });
  });

  it('checks in order: the first failing check names the reason', () => {
    const all = state({ breaches: 0, inFlight: { actionId: 'a', kind: 'migrate' }, cooldownUntil: { migrate: now + 1 }, task: { found: false } });
    expect(decide(rules, alert('scenario1_migration'), all, now)).toMatchObject({ reason: 'waiting_breach' });
    expect(decide(rules, alert('scenario1_migration'), { ...all, breaches: 2 }, now)).toMatchObject({ reason: 'locked' });
    expect(decide(rules, alert('scenario1_migration'), { ...all, breaches: 2, inFlight: undefined }, now)).toMatchObject({ reason: 'cooldown' });
  });

  it('a global service is neither migrated nor scaled: not_replicated', () => {
    const global = state({ service: { id: 'svc', name: 'agent', replicas: null }, task: running });
    expect(decide(rules, alert('scenario1_migration'), global, now)).toMatchObject({ kind: 'ignore', reason: 'not_replicated' });
    expect(decide(rules, alert('scenario2_scaling'), global, now)).toMatchObject({ kind: 'ignore', reason: 'not_replicated' });
  });
});
