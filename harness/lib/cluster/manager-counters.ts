import type { LabConfig } from '../config/lab-config.ts';
import type { TimingEvent } from '../config/types.ts';

/**
 * The manager's /metrics counters that an iteration's journal can vouch for: alerts acted on, and
 * actions started and ended, by kind and outcome. Ignored alerts are left out: the journal keeps an
 * action's chain, not the alerts turned away while it ran.
 */
export interface ManagerCounts {
  /** Alerts decided to act on (decision_made of an alert, not ignore). */
  accepted: number;
  /** `<action>/started`, `<action>/completed`, `<action>/failed` → count. */
  actions: Record<string, number>;
}

export interface ManagerCounterSample extends ManagerCounts {
  /** process_start_time_seconds: a change means the counters started again from 0. */
  startedAt: number;
}

/** The check written to the journal: what /metrics counted during the iteration against what the journal holds. */
export interface ManagerCountsCheck {
  metrics: ManagerCounts | null;
  journal: ManagerCounts;
  /** null when the comparison cannot be made (the note says why). */
  match: boolean | null;
  note?: string;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)$/;

function labelsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (text ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** Reads the counters out of the manager's exposition text; a counter it cannot find is an error. */
export function parseManagerCounters(text: string): ManagerCounterSample {
  let startedAt: number | undefined;
  let accepted: number | undefined;
  const actions: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line.trim());
    if (!m || line.startsWith('#')) continue;
    const [, name, labelText, raw] = m;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    const labels = labelsOf(labelText);
    if (name === 'process_start_time_seconds') startedAt = value;
    else if (name === 'swarmguard_manager_alerts_accepted_total') accepted = (accepted ?? 0) + value;
    else if (name === 'swarmguard_manager_actions_started_total' && labels.action) actions[`${labels.action}/started`] = value;
    else if (name === 'swarmguard_manager_actions_total' && labels.action && labels.outcome) actions[`${labels.action}/${labels.outcome}`] = value;
  }
  if (startedAt === undefined) throw new Error('the manager /metrics has no process_start_time_seconds');
  if (Object.keys(actions).length === 0) throw new Error('the manager /metrics has no swarmguard_manager_actions_total');
  // an accepted counter with no sample yet has no series: nothing was accepted
  return { startedAt, accepted: accepted ?? 0, actions };
}

/** GET /metrics of the lab's manager; the reason as a string when it cannot be read. */
export async function scrapeManagerCounters(lab: Pick<LabConfig, 'manager_api'>): Promise<ManagerCounterSample | string> {
  try {
    const res = await fetch(`${lab.manager_api}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return `GET ${lab.manager_api}/metrics answered ${res.status}`;
    return parseManagerCounters(await res.text());
  } catch (err) {
    return `GET ${lab.manager_api}/metrics: ${(err as Error).message}`;
  }
}

/** The same counts, from the manager's events an iteration's journal keeps. */
export function journalCounts(events: readonly TimingEvent[]): ManagerCounts {
  let accepted = 0;
  const actions: Record<string, number> = {};
  const add = (key: string) => (actions[key] = (actions[key] ?? 0) + 1);
  for (const e of events) {
    const f = e as TimingEvent & { decision?: unknown; action?: unknown };
    if (e.component !== 'manager') continue;
    if (e.event === 'decision_made' && e.alertId && f.decision !== 'ignore') accepted += 1;
    else if (e.event === 'action_started') add(`${String(f.action)}/started`);
    else if (e.event === 'action_completed') add(`${String(f.action)}/completed`);
    else if (e.event === 'action_failed') add(`${String(f.action)}/failed`);
  }
  return { accepted, actions };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, v]) => v !== 0).sort(([a], [b]) => a.localeCompare(b)));
}

/** What /metrics counted between two scrapes, against the journal's events of the same span. */
export function compareCounts(before: ManagerCounterSample | string, after: ManagerCounterSample | string, events: readonly TimingEvent[]): ManagerCountsCheck {
  const journal = { ...journalCounts(events), actions: nonZero(journalCounts(events).actions) };
  if (typeof before === 'string') return { metrics: null, journal, match: null, note: `before the iteration: ${before}` };
  if (typeof after === 'string') return { metrics: null, journal, match: null, note: `after the iteration: ${after}` };
  if (after.startedAt !== before.startedAt) {
    // a manager started afresh for the iteration (most experiments restart it, for a clean slate)
    // counted from 0 only what happened since: comparable when the journal holds nothing before that
    const restartMs = after.startedAt * 1000;
    const earlier = events.filter((e) => e.component === 'manager' && e.t < restartMs).length;
    if (earlier > 0) return { metrics: null, journal, match: null, note: `the manager restarted during the iteration, after ${earlier} of its events the journal holds` };
    const metrics = { accepted: after.accepted, actions: nonZero(after.actions) };
    return { metrics, journal, match: sameCounts(metrics, journal), note: 'counted since the manager restarted at the start of the iteration' };
  }
  const keys = new Set([...Object.keys(before.actions), ...Object.keys(after.actions)]);
  const actions = nonZero(Object.fromEntries([...keys].map((k) => [k, (after.actions[k] ?? 0) - (before.actions[k] ?? 0)])));
  const metrics = { accepted: after.accepted - before.accepted, actions };
  return { metrics, journal, match: sameCounts(metrics, journal) };
}

function sameCounts(a: ManagerCounts, b: ManagerCounts): boolean {
  return a.accepted === b.accepted && JSON.stringify(a.actions) === JSON.stringify(b.actions);
}
