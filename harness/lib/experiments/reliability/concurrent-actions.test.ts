import { describe, expect, it } from 'vitest';
import { judgeActions } from './concurrent-actions.ts';
import type { TimingEvent } from '../../config/types.ts';

let t = 1_000;
const ev = (event: string, fields: Record<string, unknown> = {}): TimingEvent => ({ component: 'manager', node: 'manager', event, t: (t += 10), ...fields }) as TimingEvent;
const EXPECTED = { a: 'migrate', b: 'scale_up', c: 'migrate' } as const;

/** One alert of `service` answered by `action`, started and ended as given. */
function action(service: string, kind: string, id: string, end: 'completed' | 'failed' | 'none' = 'completed'): TimingEvent[] {
  const ids = { alertId: `al-${id}`, actionId: `ac-${id}`, service };
  return [
    ev('alert_received', { alertId: ids.alertId, service }),
    ev('decision_made', { ...ids, decision: kind }),
    ev('action_started', { ...ids, action: kind }),
    ...(end === 'completed' ? [ev('action_completed', { ...ids, action: kind })] : end === 'failed' ? [ev('action_failed', { ...ids, action: kind, reason: 'timeout' })] : []),
  ];
}

describe('judgeActions', () => {
  it('accepts each service getting its own action, with retried out-of-sequence updates and ignored alerts', () => {
    const events = [
      ...action('a', 'migrate', '1'),
      ev('update_retry', { actionId: 'ac-2', service: 'b', attempt: 1, error: 'rpc error: code = Unknown desc = update out of sequence' }),
      ...action('b', 'scale_up', '2'),
      ...action('c', 'migrate', '3'),
      ev('alert_ignored', { alertId: 'x', service: 'a', reason: 'in_flight' }),
      ev('alert_ignored', { alertId: 'y', service: 'a', reason: 'cooldown' }),
      ev('alert_ignored', { alertId: 'z', service: 'c', reason: 'cooldown' }),
    ];
    const v = judgeActions(events, EXPECTED);
    expect(v.problems).toEqual([]);
    expect(v.actions.map((a) => `${a.service}:${a.action}:${a.completed}`)).toEqual(['a:migrate:true', 'b:scale_up:true', 'c:migrate:true']);
    expect(v.outOfSequenceRetried).toBe(1);
    expect(v.outOfSequenceUnhandled).toBe(0);
    expect(v.ignoredAlerts).toEqual({ in_flight: 1, cooldown: 2 });
  });

  it('flags an action on a service without a fault, an action of the wrong kind and a missing one', () => {
    const v = judgeActions([...action('web-stress', 'migrate', '1'), ...action('a', 'scale_up', '2'), ...action('b', 'scale_up', '3'), ...action('c', 'migrate', '4')], EXPECTED);
    expect(v.wrongActions).toBe(2);
    expect(v.problems).toEqual([
      'migrate on web-stress, which had no fault (action ac-1)',
      'scale_up on a, whose fault calls for migrate (action ac-2)',
      'no migrate of a',
    ]);
  });

  it('flags an action answering another service’s alert, a second migration and an action that never ended', () => {
    const crossed = [ev('alert_received', { alertId: 'al-x', service: 'c' }), ev('action_started', { alertId: 'al-x', actionId: 'ac-x', service: 'a', action: 'migrate' }), ev('action_completed', { actionId: 'ac-x', service: 'a' })];
    const v = judgeActions([...crossed, ...action('a', 'migrate', '1'), ...action('b', 'scale_up', '2', 'none'), ...action('c', 'migrate', '3')], EXPECTED);
    expect(v.problems).toEqual(['migrate ac-x on a answered alert al-x of c', 'scale_up ac-2 on b never completed', '2 migrations of a, expected 1']);
  });

  it('flags failed actions and out-of-sequence errors the manager gave up on', () => {
    const v = judgeActions(
      [
        ...action('a', 'migrate', '1', 'failed'),
        ...action('b', 'scale_up', '2'),
        ...action('c', 'migrate', '3'),
        ev('constraint_cleanup_failed', { actionId: 'ac-3', service: 'c', error: 'update of c still out of sequence after 5 attempts: update out of sequence' }),
      ],
      EXPECTED,
    );
    expect(v.failedActions).toBe(1);
    expect(v.outOfSequenceUnhandled).toBe(1);
    expect(v.problems).toEqual(['migrate ac-1 on a failed: timeout', 'constraint_cleanup_failed on c: update of c still out of sequence after 5 attempts: update out of sequence']);
  });
});
