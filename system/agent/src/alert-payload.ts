import type { Alert } from '../../shared/alert-schema.ts';
import type { ContainerMetrics } from '../../shared/types.ts';
import type { BreachAlert } from './breach-tracker.ts';
import { roundMetrics } from './metrics.ts';
import type { ContainerRef } from './types.ts';

/** DESIGN.md §2.4: the alert must fit well inside one small TCP segment. */
export const MAX_ALERT_BYTES = 500;

/** Docker's short id; the manager matches it as a prefix of the full id. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

const tenth = (t: number) => Math.round(t * 10) / 10;

export function alertId(node: string, t0: number, seq: number): string {
  return `${node}:${Math.floor(t0)}:${seq}`;
}

export function buildAlert(args: {
  id: string;
  node: string;
  container: ContainerRef;
  breach: BreachAlert;
  t1: number;
  m: ContainerMetrics;
}): Alert {
  return {
    id: args.id,
    t0: tenth(args.breach.t0),
    t1: tenth(args.t1),
    node: args.node,
    service: args.container.service,
    container: shortId(args.container.id),
    task: args.container.task,
    scenario: args.breach.scenario,
    m: roundMetrics(args.m),
  };
}
