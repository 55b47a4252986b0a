import { describe, expect, it } from 'vitest';
import { BreachTracker } from '../src/breach-tracker.ts';
import { rules } from './fakes.ts';

const hot = { cpu: 90, mem: 20, net: 5 }; // scenario 1 (high CPU, little network)
const busy = { cpu: 90, mem: 20, net: 80 }; // scenario 2 (high CPU, much network)
const calm = { cpu: 10, mem: 20, net: 5 };
const between = { cpu: 90, mem: 20, net: 50 }; // between the two network thresholds

describe('BreachTracker', () => {
  it('alerts when the run reaches consecutive_breaches, with T0 = first breach of the run', () => {
    const t = new BreachTracker(rules().scenarios);
    expect(t.observe('c', 1000, hot)).toBeNull();
    expect(t.observe('c', 2000, hot)).toEqual({ scenario: 'scenario1_migration', t0: 1000, count: 2, t: 2000 });
  });

  it('re-alerts every consecutive_breaches samples while the breach persists, keeping the run T0', () => {
    const t = new BreachTracker(rules({ scenarios: { scenario1_migration: { consecutive_breaches: 3 } } }).scenarios);
    const alerts = [1, 2, 3, 4, 5, 6, 7].map((i) => t.observe('c', i * 1000, hot));
    expect(alerts.map((a) => a?.count ?? null)).toEqual([null, null, 3, null, null, 6, null]);
    expect(alerts[5]?.t0).toBe(1000);
  });

  it('a calm sample ends the run', () => {
    const t = new BreachTracker(rules().scenarios);
    t.observe('c', 1000, hot);
    t.observe('c', 2000, calm);
    expect(t.observe('c', 3000, hot)).toBeNull();
    expect(t.observe('c', 4000, hot)?.t0).toBe(3000);
  });

  it('a change of scenario starts a new run', () => {
    const t = new BreachTracker(rules().scenarios);
    t.observe('c', 1000, hot);
    expect(t.observe('c', 2000, busy)).toBeNull();
    expect(t.observe('c', 3000, busy)).toEqual({ scenario: 'scenario2_scaling', t0: 2000, count: 2, t: 3000 });
  });

  it('between the network thresholds nothing counts', () => {
    const t = new BreachTracker(rules().scenarios);
    for (let i = 0; i < 5; i++) expect(t.observe('c', i, between)).toBeNull();
    expect(t.run('c')).toBeUndefined();
  });

  it('uses the configured thresholds (shared evaluate) and counts containers separately', () => {
    const t = new BreachTracker(rules({ scenarios: { scenario1_migration: { cpu_threshold: 95, consecutive_breaches: 1 } } }).scenarios);
    expect(t.observe('a', 1, hot)).toBeNull(); // 90 is not > 95
    expect(t.observe('b', 1, { cpu: 96, mem: 0, net: 0 })?.count).toBe(1);
    expect(t.run('a')).toBeUndefined();
  });

  it('forgets containers that are gone', () => {
    const t = new BreachTracker(rules().scenarios);
    t.observe('a', 1, hot);
    t.observe('b', 1, hot);
    t.retain(new Set(['b']));
    expect(t.run('a')).toBeUndefined();
    expect(t.run('b')?.count).toBe(1);
  });
});
