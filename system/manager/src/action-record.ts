import type { EventRecord } from '../../shared/event-logger.ts';
import type { Phase } from '../../shared/types.ts';
import type { ActionKind } from './types.ts';

/** One recovery action as the time-series store keeps it: its T-phases, where it went, how it ended. */
export interface RecoveryActionRecord {
  actionId: string;
  service: string;
  kind: ActionKind;
  outcome: 'completed' | 'failed';
  /** The alert's scenario; scale-downs have none (the manager's own loop decides them). */
  scenario?: string;
  fromNode?: string;
  toNode?: string;
  /** Epoch ms of each phase the manager saw or the alert carried (T0 and T1 are the agent's clock). */
  phases: Partial<Record<Phase, number>>;
  /** action_completed or action_failed. */
  endedAt: number;
  /** DESIGN.md §5: max(T5, T6) − T0 for a migration, T5 − T0 for a scale-up or an evacuation; completed actions only. */
  mttrSeconds?: number;
}

/** Open alerts and actions kept at most; one whose closing event never came must not grow forever. */
const MAX_OPEN = 1000;

interface AlertTimes {
  t0?: number;
  t1?: number;
  t2: number;
  scenario?: string;
}

type Open = Omit<RecoveryActionRecord, 'outcome' | 'endedAt' | 'mttrSeconds'>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  if (map.size > MAX_OPEN) map.delete(map.keys().next().value as string);
}

export function mttrSeconds(kind: ActionKind, phases: Partial<Record<Phase, number>>): number | undefined {
  const { T0, T5, T6 } = phases;
  if (T0 === undefined || T5 === undefined) return undefined;
  if (kind === 'migrate') return T6 === undefined ? undefined : (Math.max(T5, T6) - T0) / 1000;
  // an evacuation's T0 is the failed node's first missed report; the old task is gone with its node
  if (kind === 'scale_up' || kind === 'evacuate') return (T5 - T0) / 1000;
  return undefined;
}

/**
 * Assembles each action's record from the events the manager logs anyway (alert_received …
 * action_completed), so the store sees exactly what the log says, and hands it on when the action
 * ends. A few map operations per event: it runs inside the decision path and must stay that cheap.
 */
export class ActionRecorder {
  private readonly alerts = new Map<string, AlertTimes>();
  private readonly open = new Map<string, Open>();

  constructor(private readonly onRecord: (record: RecoveryActionRecord) => void) {}

  observe(e: EventRecord): void {
    switch (e.event) {
      case 'alert_received':
        if (e.alertId) remember(this.alerts, e.alertId, { t0: num(e.t0), t1: num(e.t1), t2: e.t, scenario: str(e.scenario) });
        break;
      case 'decision_made': {
        if (!e.actionId || e.decision === 'ignore') break;
        const alert = e.alertId ? this.alerts.get(e.alertId) : undefined;
        if (e.alertId) this.alerts.delete(e.alertId);
        remember(this.open, e.actionId, {
          actionId: e.actionId,
          service: e.service ?? '',
          kind: e.decision as ActionKind,
          ...(alert?.scenario ? { scenario: alert.scenario } : {}),
          phases: { ...(alert?.t0 !== undefined ? { T0: alert.t0 } : num(e.t0) !== undefined ? { T0: num(e.t0) } : {}), ...(alert?.t1 !== undefined ? { T1: alert.t1 } : {}), ...(alert ? { T2: alert.t2 } : {}), T3: e.t },
        });
        break;
      }
      case 'action_started':
      case 'replacement_ready':
      case 'old_task_removed': {
        const a = e.actionId ? this.open.get(e.actionId) : undefined;
        if (!a || !e.phase) break;
        a.phases[e.phase] = e.t;
        a.fromNode ??= str(e.fromNode);
        a.toNode ??= str(e.toNode);
        break;
      }
      case 'action_completed':
      case 'action_failed': {
        if (!e.actionId) break;
        const a: Open = this.open.get(e.actionId) ?? { actionId: e.actionId, service: e.service ?? '', kind: e.action as ActionKind, phases: {} };
        this.open.delete(e.actionId);
        const outcome = e.event === 'action_completed' ? 'completed' : 'failed';
        const kind = (str(e.action) as ActionKind | undefined) ?? a.kind;
        const mttr = outcome === 'completed' ? mttrSeconds(kind, a.phases) : undefined;
        const fromNode = a.fromNode ?? str(e.fromNode);
        const toNode = str(e.toNode) ?? a.toNode;
        this.onRecord({
          ...a,
          kind,
          outcome,
          endedAt: e.t,
          ...(fromNode ? { fromNode } : {}),
          ...(toNode ? { toNode } : {}),
          ...(mttr !== undefined ? { mttrSeconds: mttr } : {}),
        });
        break;
      }
    }
  }
}
