import { describe, expect, it } from 'vitest';
import { EventLogger } from './event-logger.ts';

describe('EventLogger', () => {
  it('keeps exactly the last `keep` events, oldest first, filtered by t', () => {
    const lines: string[] = [];
    const log = new EventLogger('test', 'node-1', { write: (l: string) => void lines.push(l) }, 5);
    for (let i = 1; i <= 23; i += 1) log.event('alert_received', { t: i, alertId: `a${i}` });
    expect(log.since(0).map((e) => e.t)).toEqual([19, 20, 21, 22, 23]);
    expect(log.since(20).map((e) => e.t)).toEqual([21, 22, 23]);
    expect(log.since(0)[0]).toMatchObject({ component: 'test', node: 'node-1', event: 'alert_received', phase: 'T2' });
    expect(lines).toHaveLength(23);
    expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'test', node: 'node-1', event: 'alert_received', phase: 'T2', t: 1 });
  });

  it('names its own component, node, event, phase and t, whatever the fields say; one key each in the line', () => {
    const lines: string[] = [];
    const log = new EventLogger('manager', 'node-1', { write: (l: string) => void lines.push(l) });
    const fields = { component: 'forged', node: 'elsewhere', event: 'x', phase: 'T9', alertId: 'a1', m: { cpu: 90 } };
    const record = log.event('decision_made', fields);
    expect(record).toMatchObject({ component: 'manager', node: 'node-1', event: 'decision_made', phase: 'T3', alertId: 'a1', m: { cpu: 90 } });
    expect(typeof record.t).toBe('number');
    expect(fields).toEqual({ component: 'forged', node: 'elsewhere', event: 'x', phase: 'T9', alertId: 'a1', m: { cpu: 90 } }); // not mutated
    for (const key of ['component', 'node', 'event', 'phase', '"t"']) {
      expect(lines[0]!.split(key.startsWith('"') ? key : `"${key}"`).length - 1, key).toBe(1);
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'manager', node: 'node-1', event: 'decision_made', phase: 'T3', t: record.t });
  });
});
