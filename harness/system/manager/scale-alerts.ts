import type { Alert } from '../../../system/shared/alert-schema.ts';
import type { EventRecord } from '../../../system/shared/event-logger.ts';
import { nowMs } from '../../../system/shared/event-logger.ts';
import { EventReader } from './event-reader.ts';
import type { JsonPoster } from './json-poster.ts';
import { mulberry32 } from '../../lib/report/bootstrap.ts';
import type { SwarmLayout } from './swarm-layout.ts';

/** Shares of the stream: scale-up alerts (high network), and late alerts naming a node the task is not on. */
export interface AlertMix {
  scaling: number;
  late: number;
}

export const DEFAULT_MIX: AlertMix = { scaling: 0.3, late: 0.1 };

export type AlertSubject = Omit<Alert, 'id' | 't0' | 't1'>;

const tenth = (v: number) => Math.round(v * 10) / 10;

/**
 * The alerts of the stream, each about a task drawn uniformly from all tasks (so services with more
 * replicas and every node take part), with metrics that match the alert's scenario as an agent's
 * would. A late alert names another node than the task's, as one sent before the task moved does.
 */
export function alertSubjects(layout: SwarmLayout, count: number, seed: number, mix: AlertMix = DEFAULT_MIX): AlertSubject[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const task = layout.tasks[Math.floor(rand() * layout.tasks.length)];
    const scaling = rand() < mix.scaling;
    const late = rand() < mix.late;
    const other = layout.nodes[Math.floor(rand() * layout.nodes.length)].hostname;
    const node = late && other !== task.hostname ? other : task.hostname;
    const cpu = tenth(80 + rand() * 15);
    const net = tenth(scaling ? 66 + rand() * 30 : rand() * 30);
    return {
      node,
      service: task.service,
      container: task.containerId.slice(0, 12),
      task: task.id,
      scenario: scaling ? 'scenario2_scaling' : 'scenario1_migration',
      m: { cpu, mem: tenth(20 + rand() * 50), mem_mb: tenth(100 + rand() * 400), net, rx: tenth(net / 2), tx: tenth(net / 2) },
    };
  });
}

export interface AlertSample {
  id: string;
  service: string;
  /** T3 − T2 from the manager's own events, ms. */
  decisionMs: number;
  /** Client round trip of the POST, ms. */
  rttMs: number;
  /** When it was sent, s from the start of the phase. */
  atS: number;
  decision: string;
  reason: string;
}

export interface DecisionPhase {
  samples: AlertSample[];
  warmUp: number;
  seconds: number;
  /** The most actions the manager had in flight at once (from decision to completion, its events). */
  peakInFlight: number;
  /** Action ids decided during the phase, and how each ended (undefined: still running). */
  actions: Map<string, 'action_completed' | 'action_failed' | undefined>;
  events: Map<string, number>;
}

/** Alerts read back from /events between chunks of this many: 3 events each, the manager keeps 2,000. */
const CHUNK = 100;

/**
 * Posts the alerts one at a time (never before the answer to the previous one has come), so a
 * decision's latency is its own and not time spent queued behind other alerts, at `ratePerS` alerts
 * a second (0: each as soon as the previous is answered); the first `warmUp` ones are not counted.
 * T2 and T3 come from the manager's /events.
 */
export async function runDecisionPhase(poster: JsonPoster, baseUrl: string, subjects: AlertSubject[], warmUp: number, ratePerS = 0): Promise<DecisionPhase> {
  const reader = new EventReader(baseUrl, nowMs() - 1);
  const t2 = new Map<string, number>();
  const t3 = new Map<string, EventRecord>();
  const actionStart = new Map<string, number>();
  const actionEnd = new Map<string, { t: number; event: 'action_completed' | 'action_failed' }>();
  const events = new Map<string, number>();
  const absorb = (list: EventRecord[]) => {
    for (const e of list) {
      events.set(e.event, (events.get(e.event) ?? 0) + 1);
      if (e.event === 'alert_received' && e.alertId) t2.set(e.alertId, e.t);
      if (e.event === 'decision_made' && e.alertId) t3.set(e.alertId, e);
      if (e.event === 'decision_made' && e.actionId && e.decision !== 'ignore') actionStart.set(e.actionId, e.t);
      if ((e.event === 'action_completed' || e.event === 'action_failed') && e.actionId) actionEnd.set(e.actionId, { t: e.t, event: e.event });
    }
  };
  const sent: { id: string; service: string; rttMs: number; atS: number }[] = [];
  const began = performance.now();
  for (let i = 0; i < subjects.length; i += 1) {
    const due = ratePerS > 0 ? began + (i * 1000) / ratePerS - performance.now() : 0;
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    const t = nowMs();
    const alert: Alert = { id: `${subjects[i].node}:${Math.floor(t)}:${i}`, t0: t - 1000, t1: t, ...subjects[i] };
    const answer = await poster.post('/alert', JSON.stringify(alert));
    if (answer.status !== 202) throw new Error(`alert ${i} (${alert.service} on ${alert.node}) answered ${answer.status}: ${answer.body}`);
    if (i >= warmUp) sent.push({ id: alert.id, service: alert.service, rttMs: answer.ms, atS: (performance.now() - answer.ms - began) / 1000 });
    if ((i + 1) % CHUNK === 0 || i === subjects.length - 1) absorb(await reader.pull());
  }
  const seconds = (performance.now() - began) / 1000;

  // let the actions decided here end, so the next phase does not pay for them; bounded
  const until = performance.now() + 20_000;
  while ([...actionStart.keys()].some((id) => !actionEnd.has(id)) && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    absorb(await reader.pull());
  }

  const samples = sent.map(({ id, service, rttMs, atS }) => {
    const a = t2.get(id);
    const b = t3.get(id);
    if (a === undefined || b === undefined) throw new Error(`alert ${id}: T2 or T3 missing from /events`);
    return { id, service, rttMs, atS, decisionMs: b.t - a, decision: String(b.decision), reason: String(b.reason) };
  });
  const actions = new Map([...actionStart.keys()].map((id) => [id, actionEnd.get(id)?.event] as const));
  return { samples, warmUp, seconds, peakInFlight: peak(actionStart, actionEnd), actions, events };
}

function peak(starts: Map<string, number>, ends: Map<string, { t: number }>): number {
  const steps = [...starts].flatMap(([id, t]) => {
    const end = ends.get(id)?.t;
    return end === undefined ? [[t, 1]] : [[t, 1], [end, -1]];
  });
  steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, step] of steps) max = Math.max(max, (now += step));
  return max;
}
