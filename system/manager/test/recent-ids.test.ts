import { describe, expect, it } from 'vitest';
import { RecentIds } from '../src/recent-ids.ts';
import { alertFor, setup } from './helpers.ts';

describe('RecentIds', () => {
  it('remembers ids up to the size bound, oldest forgotten first', () => {
    const ids = new RecentIds(3, 60_000);
    for (const id of ['a', 'b', 'c', 'd']) expect(ids.seen(id, 0)).toBe(false);
    expect(ids.size).toBe(3);
    expect(ids.seen('d', 1)).toBe(true);
    expect(ids.seen('a', 1)).toBe(false); // evicted by size
  });

  it('forgets ids older than the age bound', () => {
    const ids = new RecentIds(100, 1000);
    expect(ids.seen('a', 0)).toBe(false);
    expect(ids.seen('a', 1000)).toBe(true);
    expect(ids.seen('a', 2001)).toBe(false);
  });
});

describe('duplicate alert ids', () => {
  it('with scale_up_cooldown 0 a late copy of an alert does not scale up a second time', async () => {
    const h = setup({ yaml: 'scenarios: {scenario2_scaling: {scale_up_cooldown: 0}}' });
    const alert = alertFor(h.swarm, {}, 'scenario2_scaling');
    expect(await h.manager.handleAlert(alert, h.clock.now())).toMatchObject({ accepted: true, decision: 'scale_up' });
    await h.manager.idle();
    h.clock.t += 5000;
    const copy = await h.manager.handleAlert(alert, h.clock.now());
    expect(copy).toMatchObject({ accepted: false, reason: 'duplicate' });
    await h.manager.idle();
    expect(h.swarm.spec('web-stress').Mode?.Replicated?.Replicas).toBe(2);
    expect(h.named('alert_ignored')).toEqual([expect.objectContaining({ reason: 'duplicate', alertId: alert.id })]);
    // a new alert (new id) about the same breach run is acted on
    expect(await h.manager.handleAlert(alertFor(h.swarm, {}, 'scenario2_scaling'), h.clock.now())).toMatchObject({ accepted: true });
  });
});
