import { Point } from '@influxdata/influxdb-client';
import type { RecoveryActionRecord } from './action-record.ts';
import type { BufferedLineWriter } from './buffered-line-writer.ts';

export const ACTION_MEASUREMENT = 'recovery_actions';

const PHASES = ['T0', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6'] as const;

/** Timestamps as epoch ms integers, the precision the writer declares. */
const msTime = (v: string | number | Date | undefined): string | undefined => (v instanceof Date ? String(v.getTime()) : v === undefined ? undefined : String(v));

/**
 * `recovery_actions`, one point per action at its first known phase (T0 for an alert's action).
 * Tags: service, kind, outcome, from_node, to_node, scenario, action_id. action_id is a tag, not
 * a string field, because VictoriaMetrics keeps numeric fields only and a dashboard's annotation
 * needs the id; actions are a few a minute, so a series each is cheap. Fields: t0_ms … t6_ms
 * (epoch ms, whole, so a float keeps them exact), mttr_seconds, duration_seconds (T4 to the end).
 */
export function toActionPoint(r: RecoveryActionRecord): Point {
  const p = new Point(ACTION_MEASUREMENT).tag('service', r.service).tag('kind', r.kind).tag('outcome', r.outcome).tag('action_id', r.actionId);
  if (r.fromNode) p.tag('from_node', r.fromNode);
  if (r.toNode) p.tag('to_node', r.toNode);
  if (r.scenario) p.tag('scenario', r.scenario);
  for (const phase of PHASES) {
    const t = r.phases[phase];
    if (t !== undefined) p.intField(`${phase.toLowerCase()}_ms`, Math.round(t));
  }
  if (r.mttrSeconds !== undefined) p.floatField('mttr_seconds', Math.round(r.mttrSeconds * 1000) / 1000);
  if (r.phases.T4 !== undefined) p.floatField('duration_seconds', Math.round(r.endedAt - r.phases.T4) / 1000);
  const first = PHASES.map((ph) => r.phases[ph]).find((t) => t !== undefined) ?? r.endedAt;
  return p.timestamp(new Date(Math.round(first)));
}

export function toActionLine(r: RecoveryActionRecord): string {
  // every record has t*_ms or duration at least once it ended; a record without any field is not a line
  return toActionPoint(r).toLineProtocol({ convertTime: msTime }) ?? '';
}

/** Where the manager keeps its recovery actions; write() must return at once and never throw. */
export interface ActionStore {
  write(record: RecoveryActionRecord): void;
  close(): Promise<void>;
}

export class NullActionStore implements ActionStore {
  write(): void {}
  async close(): Promise<void> {}
}

export class LineActionStore implements ActionStore {
  constructor(private readonly writer: BufferedLineWriter) {}

  write(record: RecoveryActionRecord): void {
    const line = toActionLine(record);
    if (line) this.writer.write([line]);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
