import { describe, expect, it } from 'vitest';
import { applyCorrections, correlate, correlateAll, oldTaskGoneBeforeReplacement, parseEventLine, parseEvents, phaseDeltas } from './events.ts';
import type { TimingEvent } from '../config/types.ts';

const T = 1_795_373_000_000;
const agent = (event: string, phase: string, t: number, alertId: string) =>
  JSON.stringify({ level: 30, time: '2026-11-22T19:00:00.000Z', component: 'agent', node: 'worker-2', event, phase, t, service: 'web-stress', alertId });
const manager = (event: string, phase: string | undefined, t: number, alertId: string | undefined, actionId: string) =>
  JSON.stringify({ level: 30, component: 'manager', node: 'manager-1', event, ...(phase ? { phase } : {}), t, service: 'web-stress', alertId, actionId });

const LOG = [
  'web-stress banner, not JSON',
  `2026-11-22T19:00:00.123456789Z ${agent('breach_detected', 'T0', T, 'w2:1')}`,
  `2026-11-22T19:00:00.124000000Z ${agent('alert_sent', 'T1', T + 1000.5, 'w2:1')}`,
  '\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0042' + manager('alert_received', 'T2', T + 1003, 'w2:1', 'act-1'),
  `swarmguard_manager.1.abc@manager-1    | ${manager('decision_made', 'T3', T + 1010, 'w2:1', 'act-1')}`,
  manager('action_started', 'T4', T + 1020, 'w2:1', 'act-1'),
  manager('replacement_ready', 'T5', T + 4020, undefined, 'act-1'),
  manager('old_task_removed', 'T6', T + 5020, undefined, 'act-1'),
  manager('action_completed', undefined, T + 5500, undefined, 'act-1'),
  '{"msg":"listening","level":30}',
  // a stream header whose size byte is '{'
  '\u0002\u0000\u0000\u0000\u0000\u0000\u0000{' + manager('alert_ignored', undefined, T + 6000, 'w2:7', 'act-9'),
  '{"broken json',
  // an unrelated action
  agent('breach_detected', 'T0', T + 9000, 'w3:9').replace('worker-2', 'worker-3'),
  manager('alert_received', 'T2', T + 9100, 'w3:9', 'act-2'),
].join('\r\n');

describe('parseEvents', () => {
  it('keeps event lines and skips prefixes, banners, non-events and broken JSON', () => {
    const events = parseEvents(LOG);
    expect(events.map((e) => e.event)).toEqual([
      'breach_detected', 'alert_sent', 'alert_received', 'decision_made', 'action_started',
      'replacement_ready', 'old_task_removed', 'action_completed', 'alert_ignored', 'breach_detected', 'alert_received',
    ]);
    expect(events[1]).toMatchObject({ component: 'agent', node: 'worker-2', phase: 'T1', t: T + 1000.5, alertId: 'w2:1' });
    expect(events[5].alertId).toBeUndefined();
  });

  it('drops duplicates fetched twice and rejects unknown phases', () => {
    expect(parseEvents(`${LOG}\n${LOG}`)).toHaveLength(11);
    const e = parseEventLine(JSON.stringify({ component: 'a', node: 'n', event: 'x', t: 1, phase: 'T9' }));
    expect(e).not.toBeNull();
    expect(e!.phase).toBeUndefined();
    expect(parseEventLine('{"component":"a","node":"n","event":"x","t":"soon"}')).toBeNull();
  });
});

describe('correlate', () => {
  it('follows alertId → actionId → events that carry only the actionId', () => {
    const chain = correlate(parseEvents(LOG), { alertId: 'w2:1' });
    expect(chain.actionIds).toEqual(['act-1']);
    expect(chain.phases).toEqual({ T0: T, T1: T + 1000.5, T2: T + 1003, T3: T + 1010, T4: T + 1020, T5: T + 4020, T6: T + 5020 });
    expect(chain.events).toHaveLength(8);
    expect(correlate(parseEvents(LOG), { actionId: 'act-1' }).phases).toEqual(chain.phases);
  });

  it('lists every action', () => {
    const all = correlateAll(parseEvents(LOG));
    expect(all.map((c) => c.actionIds[0])).toEqual(['act-1', 'act-9', 'act-2']);
    expect(all[2].phases).toEqual({ T0: T + 9000, T2: T + 9100 });
  });

  it('corrects per-host clocks before computing deltas', () => {
    // the agent's clock runs 300 ms ahead: correction −300
    const corrected = applyCorrections(parseEvents(LOG), { 'worker-2': -300, 'worker-3': 0, 'manager-1': 0 });
    const d = phaseDeltas(correlate(corrected, { actionId: 'act-1' }).phases, 'migration');
    expect(d).toEqual({ mttrMs: 5320, t1_t0_ms: 1000.5, t2_t1_ms: 302.5, t3_t2_ms: 7, t4_t3_ms: 10, t5_t4_ms: 3000, t6_t5_ms: 1000 });
    expect(phaseDeltas(correlate(corrected, { actionId: 'act-1' }).phases, 'scale_up').mttrMs).toBe(4320);
  });

  it('refuses events from a node without a measured offset', () => {
    expect(() => applyCorrections(parseEvents(LOG), { 'worker-2': 0 })).toThrow(/node manager-1 .*measured: worker-2/);
  });

  it('gives null deltas for missing phases', () => {
    expect(phaseDeltas({ T0: 1, T1: 2 }, 'migration')).toMatchObject({ mttrMs: null, t1_t0_ms: 1, t2_t1_ms: null });
  });
});

describe('migration MTTR = max(T5, T6) − T0', () => {
  const base = { T0: 1000, T1: 1500, T2: 1503, T3: 1510, T4: 1520 };

  it('ends at T6 when the old task is shut down after the replacement is ready', () => {
    const d = phaseDeltas({ ...base, T5: 3500, T6: 4800 }, 'migration');
    expect(d.mttrMs).toBe(3800);
    expect(d.t6_t5_ms).toBe(1300);
  });

  it('ends at T5 when the old task was gone before the replacement was ready', () => {
    const d = phaseDeltas({ ...base, T5: 3500, T6: 2500 }, 'migration');
    expect(d.mttrMs).toBe(2500); // not T6 − T0 = 1500: nothing healthy served until T5
    expect(d.t6_t5_ms).toBe(-1000);
  });

  it('has no value when T5, T6 or T0 is missing', () => {
    expect(phaseDeltas({ ...base, T6: 4800 }, 'migration').mttrMs).toBeNull();
    expect(phaseDeltas({ ...base, T5: 3500 }, 'migration').mttrMs).toBeNull();
    expect(phaseDeltas({ T5: 3500, T6: 4800 }, 'migration').mttrMs).toBeNull();
  });

  it('is T5 − T0 for a scale-up, with or without a T6', () => {
    expect(phaseDeltas({ ...base, T5: 3500 }, 'scale_up').mttrMs).toBe(2500);
  });
});

describe('oldTaskGoneBeforeReplacement', () => {
  const removed = (extra: Record<string, unknown>): TimingEvent => ({ component: 'manager', node: 'manager-1', event: 'old_task_removed', phase: 'T6', t: 2500, actionId: 'a', ...extra });

  it("takes the manager's beforeReplacement flag on the T6 event", () => {
    expect(oldTaskGoneBeforeReplacement({ events: [removed({ beforeReplacement: true })], phases: { T6: 2500 } })).toBe(true);
    expect(oldTaskGoneBeforeReplacement({ events: [removed({ beforeReplacement: false })], phases: { T5: 2000, T6: 2500 } })).toBe(false);
  });

  it('falls back to the phase times for events without the flag', () => {
    expect(oldTaskGoneBeforeReplacement({ events: [removed({})], phases: { T5: 3500, T6: 2500 } })).toBe(true);
    expect(oldTaskGoneBeforeReplacement({ events: [removed({})], phases: { T5: 2000, T6: 2500 } })).toBe(false);
  });

  it('says it does not know rather than no', () => {
    expect(oldTaskGoneBeforeReplacement({ events: [], phases: { T5: 2000 } })).toBeNull();
  });
});
