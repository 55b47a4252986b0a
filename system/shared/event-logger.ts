import { pino, type Logger, type DestinationStream } from 'pino';
import type { Phase } from './types.ts';

/** The phase each timing event stands for (DESIGN.md §4). */
export const PHASE_OF_EVENT: Readonly<Record<string, Phase>> = {
  breach_detected: 'T0',
  alert_sent: 'T1',
  alert_received: 'T2',
  decision_made: 'T3',
  action_started: 'T4',
  replacement_ready: 'T5',
  old_task_removed: 'T6',
};

export type EventName =
  | keyof typeof PHASE_OF_EVENT
  | 'action_completed'
  | 'action_failed'
  | 'alert_ignored'
  | 'alert_failed'
  | (string & {});

export interface EventFields {
  service?: string;
  alertId?: string;
  actionId?: string;
  /** Epoch ms with sub-ms precision; defaults to now. */
  t?: number;
  [key: string]: unknown;
}

/** Epoch milliseconds with sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface EventRecord extends EventFields {
  component: string;
  node: string;
  event: string;
  phase?: Phase;
  t: number;
}

/**
 * Writes one JSON line per event to stdout (pino), the lines the harness scrapes.
 * Keeps the last `keep` events in memory so that a component can serve them (GET /events).
 */
export class EventLogger {
  readonly log: Logger;
  private readonly recent: EventRecord[] = [];

  constructor(
    readonly component: string,
    readonly node: string,
    destination?: DestinationStream,
    private readonly keep = 2000,
  ) {
    // epoch ms: formatting an ISO date for every line cost ~2 % of the manager's CPU under an alert
    // flood, and `t` (sub-ms) is the timestamp that counts
    this.log = pino({ base: { component, node }, timestamp: pino.stdTimeFunctions.epochTime }, destination);
  }

  event(event: EventName, fields: EventFields = {}): EventRecord {
    // One copy of the fields for the line (component and node are pino's base fields) and one for
    // the record: the manager writes three of these per alert, so copies and spreads show up.
    const line: Record<string, unknown> = Object.assign({}, fields);
    line.event = event;
    const phase = PHASE_OF_EVENT[event];
    if (phase) line.phase = phase;
    line.t = fields.t ?? nowMs();
    delete line.component;
    delete line.node;
    const record = Object.assign({}, line, { component: this.component, node: this.node }) as EventRecord;
    this.recent.push(record);
    // trim in batches: splicing the front of the array on every event costs O(keep) each time
    if (this.recent.length >= 2 * this.keep) this.recent.splice(0, this.recent.length - this.keep);
    this.log.info(line);
    return record;
  }

  /** Events with t > since, oldest first. */
  since(since = 0): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = Math.max(0, this.recent.length - this.keep); i < this.recent.length; i += 1) {
      const r = this.recent[i]!;
      if (r.t > since) out.push(r);
    }
    return out;
  }
}
