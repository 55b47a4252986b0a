import { describe, expect, it } from 'vitest';
import { compareCounts, journalCounts, parseManagerCounters } from './manager-counters.ts';
import type { TimingEvent } from '../config/types.ts';

function exposition(startedAt: number, accepted: number, migrateCompleted: number, extra = ''): string {
  return [
    '# HELP swarmguard_manager_alerts_accepted_total Alerts decided to act on.',
    '# TYPE swarmguard_manager_alerts_accepted_total counter',
    `swarmguard_manager_alerts_accepted_total{scenario="scenario1_migration",action="migrate"} ${accepted}`,
    'swarmguard_manager_actions_started_total{action="migrate"} ' + migrateCompleted,
    'swarmguard_manager_actions_started_total{action="scale_up"} 0',
    `swarmguard_manager_actions_total{action="migrate",outcome="completed"} ${migrateCompleted}`,
    'swarmguard_manager_actions_total{action="migrate",outcome="failed"} 0',
    'swarmguard_manager_decision_latency_seconds_bucket{scenario="scenario1_migration",le="0.005"} 3',
    `process_start_time_seconds ${startedAt}`,
    extra,
  ].join('\n');
}

const ev = (event: string, fields: Record<string, unknown> = {}, component = 'manager'): TimingEvent => ({ component, node: 'manager', event, t: 1, ...fields }) as TimingEvent;

const migration = [
  ev('breach_detected', {}, 'agent'),
  ev('alert_received', { alertId: 'a1' }),
  ev('decision_made', { alertId: 'a1', decision: 'migrate' }),
  ev('action_started', { action: 'migrate', actionId: 'x' }),
  ev('action_completed', { action: 'migrate', actionId: 'x' }),
];

describe('parseManagerCounters', () => {
  it('reads the accepted alerts summed over labels, actions by kind and outcome, and the start time', () => {
    const text = exposition(1700000000.5, 2, 2, 'swarmguard_manager_alerts_accepted_total{scenario="scenario2_scaling",action="scale_up"} 3');
    expect(parseManagerCounters(text)).toEqual({
      startedAt: 1700000000.5,
      accepted: 5,
      actions: { 'migrate/started': 2, 'scale_up/started': 0, 'migrate/completed': 2, 'migrate/failed': 0 },
    });
  });

  it('names what is missing from a text that is not the manager\'s', () => {
    expect(() => parseManagerCounters('up 1\n')).toThrow(/process_start_time_seconds/);
    expect(() => parseManagerCounters('process_start_time_seconds 5\n')).toThrow(/actions_total/);
  });
});

describe('compareCounts', () => {
  it('counts the decisions to act and the actions of the manager events, not the agent\'s or ignored ones', () => {
    const events = [...migration, ev('decision_made', { alertId: 'a2', decision: 'ignore' }), ev('decision_made', { decision: 'scale_down' })];
    expect(journalCounts(events)).toEqual({ accepted: 1, actions: { 'migrate/started': 1, 'migrate/completed': 1 } });
  });

  it('matches when the counters rose by what the journal holds', () => {
    const check = compareCounts(parseManagerCounters(exposition(10, 4, 3)), parseManagerCounters(exposition(10, 5, 4)), migration);
    expect(check).toEqual({
      metrics: { accepted: 1, actions: { 'migrate/completed': 1, 'migrate/started': 1 } },
      journal: { accepted: 1, actions: { 'migrate/completed': 1, 'migrate/started': 1 } },
      match: true,
    });
  });

  it('differs when the manager acted more than the journal shows', () => {
    const check = compareCounts(parseManagerCounters(exposition(10, 4, 3)), parseManagerCounters(exposition(10, 6, 5)), migration);
    expect(check.match).toBe(false);
    expect(check.metrics?.accepted).toBe(2);
  });

  it('compares from 0 when the manager restarted before any of the journal\'s events, and not at all when after some', () => {
    // the events are at t = 1 ms: a restart at 0.0005 s precedes them, one at 99 s follows them
    const fresh = compareCounts(parseManagerCounters(exposition(10, 4, 3)), parseManagerCounters(exposition(0.0005, 1, 1)), migration);
    expect(fresh).toMatchObject({ match: true, metrics: { accepted: 1 }, note: 'counted since the manager restarted at the start of the iteration' });
    const freshButMore = compareCounts(parseManagerCounters(exposition(10, 4, 3)), parseManagerCounters(exposition(0.0005, 2, 2)), migration);
    expect(freshButMore.match).toBe(false);
    const midway = compareCounts(parseManagerCounters(exposition(10, 4, 3)), parseManagerCounters(exposition(99, 1, 1)), migration);
    expect(midway.match).toBeNull();
    expect(midway.note).toBe('the manager restarted during the iteration, after 4 of its events the journal holds');
  });

  it('does not compare with an unreachable manager, and says why', () => {
    const down = compareCounts('GET http://m/metrics: fetch failed', parseManagerCounters(exposition(10, 1, 1)), migration);
    expect(down).toMatchObject({ metrics: null, match: null, note: 'before the iteration: GET http://m/metrics: fetch failed' });
  });
});
