import { PHASES, type Phase, type TimingEvent } from '../config/types.ts';

const PHASE_SET = new Set<string>(PHASES);

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * The JSON object that ends a line. Tries a few '{' positions because a Docker stream header's size
 * bytes can themselves be '{' (0x7b). Lines that are not JSON (banners, stack traces) give undefined.
 */
function parseJsonTail(line: string): unknown {
  let start = line.indexOf('{');
  for (let attempt = 0; start >= 0 && attempt < 4; attempt++) {
    try {
      return JSON.parse(line.slice(start).trim());
    } catch {
      start = line.indexOf('{', start + 1);
    }
  }
  return undefined;
}

/**
 * One log line → event, or null when the line is not an event. Tolerates whatever precedes the JSON:
 * Docker's `timestamps: true` prefix, `docker service logs` task prefixes, stream-header bytes.
 */
export function parseEventLine(line: string): TimingEvent | null {
  const obj = parseJsonTail(line);
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const o = obj as Record<string, unknown>;
  if (typeof o.event !== 'string' || typeof o.t !== 'number' || !Number.isFinite(o.t)) return null;
  if (typeof o.component !== 'string' || typeof o.node !== 'string') return null;
  const phase = typeof o.phase === 'string' && PHASE_SET.has(o.phase) ? (o.phase as Phase) : undefined;
  const event: TimingEvent = { ...o, component: o.component, node: o.node, event: o.event, t: o.t };
  delete event.phase;
  if (phase) event.phase = phase;
  const alertId = optionalString(o.alertId);
  const actionId = optionalString(o.actionId);
  if (alertId) event.alertId = alertId; else delete event.alertId;
  if (actionId) event.actionId = actionId; else delete event.actionId;
  return event;
}

/** All events in a block of log text (any line ending), in log order; duplicates removed. */
export function parseEvents(text: string): TimingEvent[] {
  const events: TimingEvent[] = [];
  for (const line of text.split(/\r?\n/)) {
    const e = parseEventLine(line);
    if (e) events.push(e);
  }
  return dedupeEvents(events);
}

function eventKey(e: TimingEvent): string {
  return [e.component, e.node, e.event, e.t, e.alertId ?? '', e.actionId ?? ''].join('\u0000');
}

/** Removes events seen twice (the same log fetched from two sources), keeping the first. */
export function dedupeEvents(events: readonly TimingEvent[]): TimingEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const k = eventKey(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Puts each event on the control host's clock: `corrections` maps node → ms to ADD to that host's
 * timestamps. An event from a node with no measured offset is an error: silently uncorrected times
 * would make the T-deltas wrong by the skew.
 */
export function applyCorrections(events: readonly TimingEvent[], corrections: Readonly<Record<string, number>>): TimingEvent[] {
  return events.map((e) => {
    const c = corrections[e.node];
    if (c === undefined) {
      throw new Error(`no clock offset measured for node ${e.node} (event ${e.event} at ${e.t}); measured: ${Object.keys(corrections).join(', ') || 'none'}`);
    }
    return { ...e, t: e.t + c };
  });
}

export type ActionKind = 'migration' | 'scale_up';

export interface ActionChain {
  alertIds: string[];
  actionIds: string[];
  /** Earliest time of each phase seen for the action. */
  phases: Partial<Record<Phase, number>>;
  events: TimingEvent[];
}

/**
 * The events of one action: start from an alertId or actionId and follow the links (manager events
 * carry both ids, agent events the alertId) until nothing new is found.
 */
export function correlate(events: readonly TimingEvent[], key: { alertId?: string; actionId?: string }): ActionChain {
  const alertIds = new Set<string>(key.alertId ? [key.alertId] : []);
  const actionIds = new Set<string>(key.actionId ? [key.actionId] : []);
  if (alertIds.size + actionIds.size === 0) throw new Error('correlate: give an alertId or an actionId');
  let grew = true;
  while (grew) {
    grew = false;
    for (const e of events) {
      const linked = (e.alertId && alertIds.has(e.alertId)) || (e.actionId && actionIds.has(e.actionId));
      if (!linked) continue;
      if (e.alertId && !alertIds.has(e.alertId)) { alertIds.add(e.alertId); grew = true; }
      if (e.actionId && !actionIds.has(e.actionId)) { actionIds.add(e.actionId); grew = true; }
    }
  }
  const chainEvents = events
    .filter((e) => (e.alertId && alertIds.has(e.alertId)) || (e.actionId && actionIds.has(e.actionId)))
    .sort((a, b) => a.t - b.t);
  const phases: Partial<Record<Phase, number>> = {};
  for (const e of chainEvents) if (e.phase && phases[e.phase] === undefined) phases[e.phase] = e.t;
  return { alertIds: [...alertIds].sort(), actionIds: [...actionIds].sort(), phases, events: chainEvents };
}

/** Every action in the events (by actionId, in order of their first event), as chains. */
export function correlateAll(events: readonly TimingEvent[]): ActionChain[] {
  const ids: string[] = [];
  for (const e of [...events].sort((a, b) => a.t - b.t)) if (e.actionId && !ids.includes(e.actionId)) ids.push(e.actionId);
  return ids.map((actionId) => correlate(events, { actionId }));
}

export interface PhaseDeltas {
  mttrMs: number | null;
  t1_t0_ms: number | null;
  t2_t1_ms: number | null;
  t3_t2_ms: number | null;
  t4_t3_ms: number | null;
  t5_t4_ms: number | null;
  t6_t5_ms: number | null;
}

export const DELTA_KEYS = ['t1_t0_ms', 't2_t1_ms', 't3_t2_ms', 't4_t3_ms', 't5_t4_ms', 't6_t5_ms'] as const;

function diff(p: Partial<Record<Phase, number>>, later: Phase, earlier: Phase): number | null {
  const a = p[later];
  const b = p[earlier];
  return a === undefined || b === undefined ? null : a - b;
}

/**
 * A migration has recovered once both a healthy replacement runs (T5) and the old task is gone (T6),
 * whichever came last: the old task can die before the replacement is ready, and T6 − T0 alone
 * would then end the MTTR while nothing healthy was serving yet. null unless T0, T5 and T6 are known.
 */
function migrationMttr(p: Partial<Record<Phase, number>>): number | null {
  const { T0, T5, T6 } = p;
  return T0 === undefined || T5 === undefined || T6 === undefined ? null : Math.max(T5, T6) - T0;
}

/** MTTR (max(T5, T6) − T0 for a migration, T5 − T0 for a scale-up) and each consecutive T-delta; null where a phase is missing. */
export function phaseDeltas(phases: Partial<Record<Phase, number>>, kind: ActionKind): PhaseDeltas {
  return {
    mttrMs: kind === 'migration' ? migrationMttr(phases) : diff(phases, 'T5', 'T0'),
    t1_t0_ms: diff(phases, 'T1', 'T0'),
    t2_t1_ms: diff(phases, 'T2', 'T1'),
    t3_t2_ms: diff(phases, 'T3', 'T2'),
    t4_t3_ms: diff(phases, 'T4', 'T3'),
    t5_t4_ms: diff(phases, 'T5', 'T4'),
    t6_t5_ms: diff(phases, 'T6', 'T5'),
  };
}

/**
 * Whether a migration's old task was gone before its replacement was ready (T6 < T5): the manager
 * flags its old_task_removed event with `beforeReplacement` when it saw the old task end while still
 * waiting for T5; the phase times catch the same case in logs from before the flag. null when the
 * chain has neither the flag nor both phases, so "unknown" is never reported as "no".
 */
export function oldTaskGoneBeforeReplacement(chain: Pick<ActionChain, 'events' | 'phases'>): boolean | null {
  const removed = chain.events.find((e) => e.event === 'old_task_removed' && typeof e.beforeReplacement === 'boolean');
  if (removed?.beforeReplacement === true) return true;
  const { T5, T6 } = chain.phases;
  if (T5 !== undefined && T6 !== undefined) return T6 < T5;
  return removed ? false : null;
}
