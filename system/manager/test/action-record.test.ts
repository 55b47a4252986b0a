import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../shared/event-logger.ts';
import { ActionRecorder, mttrSeconds, type RecoveryActionRecord } from '../src/action-record.ts';
import { toActionLine } from '../src/action-store.ts';
import type { ActionStore } from '../src/action-store.ts';
import { alertFor, setup } from './helpers.ts';

const T = 1_795_373_000_000;
const ev = (event: string, t: number, fields: Record<string, unknown> = {}): EventRecord => {
  const phase = ({ alert_received: 'T2', decision_made: 'T3', action_started: 'T4', replacement_ready: 'T5', old_task_removed: 'T6' } as const)[event as 'alert_received'];
  return { component: 'manager', node: 'manager-1', event, t, ...(phase ? { phase } : {}), ...fields };
};

function record(events: EventRecord[]): RecoveryActionRecord[] {
  const out: RecoveryActionRecord[] = [];
  const r = new ActionRecorder((x) => out.push(x));
  for (const e of events) r.observe(e);
  return out;
}

class MemoryStore implements ActionStore {
  readonly records: RecoveryActionRecord[] = [];
  write(r: RecoveryActionRecord): void {
    this.records.push(r);
  }
  async close(): Promise<void> {}
}

describe('ActionRecorder', () => {
  it('puts a migration together from its events: T0 … T6, nodes, MTTR = max(T5, T6) − T0', () => {
    const [r] = record([
      ev('alert_received', T + 30, { alertId: 'a1', service: 'web-stress', scenario: 'scenario1_migration', t0: T, t1: T + 20 }),
      ev('decision_made', T + 31, { alertId: 'a1', actionId: 'migrate-x-1', service: 'web-stress', decision: 'migrate' }),
      ev('action_started', T + 40, { actionId: 'migrate-x-1', service: 'web-stress', action: 'migrate', fromNode: 'worker-3' }),
      ev('replacement_ready', T + 2500, { actionId: 'migrate-x-1', service: 'web-stress', action: 'migrate', toNode: 'worker-1' }),
      ev('old_task_removed', T + 3200, { actionId: 'migrate-x-1', service: 'web-stress', action: 'migrate', fromNode: 'worker-3' }),
      ev('action_completed', T + 3300, { actionId: 'migrate-x-1', service: 'web-stress', action: 'migrate', fromNode: 'worker-3', toNode: 'worker-1' }),
    ]);
    expect(r).toEqual({
      actionId: 'migrate-x-1',
      service: 'web-stress',
      kind: 'migrate',
      outcome: 'completed',
      scenario: 'scenario1_migration',
      fromNode: 'worker-3',
      toNode: 'worker-1',
      phases: { T0: T, T1: T + 20, T2: T + 30, T3: T + 31, T4: T + 40, T5: T + 2500, T6: T + 3200 },
      endedAt: T + 3300,
      mttrSeconds: 3.2,
    });
    expect(toActionLine(r!)).toBe(
      'recovery_actions,action_id=migrate-x-1,from_node=worker-3,kind=migrate,outcome=completed,scenario=scenario1_migration,service=web-stress,to_node=worker-1 ' +
        `duration_seconds=3.26,mttr_seconds=3.2,t0_ms=${T}i,t1_ms=${T + 20}i,t2_ms=${T + 30}i,t3_ms=${T + 31}i,t4_ms=${T + 40}i,t5_ms=${T + 2500}i,t6_ms=${T + 3200}i ${T}`,
    );
  });

  it('a failed action has no MTTR; a scale-down (no alert) starts at T3 and has none either', () => {
    const out = record([
      ev('alert_received', T, { alertId: 'a2', scenario: 'scenario2_scaling', t0: T - 900, t1: T - 10 }),
      ev('decision_made', T + 1, { alertId: 'a2', actionId: 'scale_up-1', service: 'web-stress', decision: 'scale_up' }),
      ev('action_failed', T + 5, { actionId: 'scale_up-1', service: 'web-stress', action: 'scale_up', reason: 'boom' }),
      ev('decision_made', T + 100, { actionId: 'scale_down-2', service: 'web-stress', decision: 'scale_down' }),
      ev('action_started', T + 101, { actionId: 'scale_down-2', service: 'web-stress', action: 'scale_down' }),
      ev('action_completed', T + 900, { actionId: 'scale_down-2', service: 'web-stress', action: 'scale_down' }),
    ]);
    expect(out.map((r) => [r.kind, r.outcome, r.mttrSeconds])).toEqual([
      ['scale_up', 'failed', undefined],
      ['scale_down', 'completed', undefined],
    ]);
    expect(out[1]!.phases).toEqual({ T3: T + 100, T4: T + 101 });
    expect(toActionLine(out[1]!)).toMatch(new RegExp(`^recovery_actions,action_id=scale_down-2,kind=scale_down,outcome=completed,service=web-stress duration_seconds=0.799,t3_ms=${T + 100}i,t4_ms=${T + 101}i ${T + 100}$`));
  });

  it('ignored alerts leave no action behind, and open entries stay bounded', () => {
    const r = new ActionRecorder(() => undefined);
    for (let i = 0; i < 5000; i++) {
      r.observe(ev('alert_received', T + i, { alertId: `a${i}`, t0: T, t1: T }));
      r.observe(ev('decision_made', T + i, { alertId: `a${i}`, decision: 'ignore', reason: 'cooldown' }));
    }
    const sizes = r as unknown as { alerts: Map<string, unknown>; open: Map<string, unknown> };
    expect(sizes.alerts.size).toBeLessThanOrEqual(1000);
    expect(sizes.open.size).toBe(0);
  });

  it('MTTR by kind: scale-up T5 − T0; a migration without T6 has none', () => {
    expect(mttrSeconds('scale_up', { T0: 0, T5: 1500 })).toBe(1.5);
    expect(mttrSeconds('migrate', { T0: 0, T5: 1500 })).toBeUndefined();
    expect(mttrSeconds('migrate', { T0: 0, T5: 1500, T6: 1200 })).toBe(1.5);
  });
});

describe('RecoveryManager → action store', () => {
  it('a migration on the fake swarm reaches the store once, with every phase and its MTTR', async () => {
    const store = new MemoryStore();
    const h = setup({ actions: store });
    const alert = alertFor(h.swarm);
    await h.manager.handleAlert(alert, h.clock.now());
    await h.manager.idle();
    expect(store.records).toHaveLength(1);
    const r = store.records[0]!;
    expect(r).toMatchObject({ service: 'web-stress', kind: 'migrate', outcome: 'completed', fromNode: 'worker-3', scenario: 'scenario1_migration' });
    expect(Object.keys(r.phases).sort()).toEqual(['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6']);
    expect(r.phases.T0).toBe(alert.t0);
    expect(r.mttrSeconds).toBeCloseTo((Math.max(r.phases.T5!, r.phases.T6!) - alert.t0) / 1000, 6);
    expect(r.toNode).toBe(h.named('action_completed')[0]!.toNode);
  });

  it('a store that throws is logged, never thrown into the decision', async () => {
    const h = setup({
      actions: {
        write: () => {
          throw new Error('store exploded');
        },
        close: async () => undefined,
      },
    });
    await expect(h.manager.handleAlert(alertFor(h.swarm), h.clock.now())).resolves.toMatchObject({ accepted: true });
    await h.manager.idle();
    expect(h.named('action_completed')).toHaveLength(1);
  });
});
