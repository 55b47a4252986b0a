import type { LabConfig } from '../config/lab-config.ts';
import type { TimingEvent } from '../config/types.ts';
import { waitFor } from '../events/wait-for.ts';

/** The manager's recent events (GET /events?since=), as it logs them. */
export async function managerEvents(lab: LabConfig, since: number): Promise<TimingEvent[]> {
  const res = await fetch(`${lab.manager_api}/events?since=${since}`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`GET ${lab.manager_api}/events answered ${res.status}`);
  return ((await res.json()) as { events: TimingEvent[] }).events;
}

export async function managerState(lab: LabConfig): Promise<Record<string, unknown>> {
  const res = await fetch(`${lab.manager_api}/state`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`GET ${lab.manager_api}/state answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** The manager's action_completed or action_failed on `service` since `since`, if one was logged. */
export async function actionEnd(lab: LabConfig, since: number, service: string): Promise<TimingEvent | undefined> {
  return (await managerEvents(lab, since)).find((e) => (e.event === 'action_completed' || e.event === 'action_failed') && e.service === service);
}

/** Waits (bounded) for the manager's action_completed or action_failed on `service` since `since`. */
export function waitActionEnd(lab: LabConfig, since: number, service: string, timeoutMs: number): Promise<TimingEvent> {
  return waitFor(`an action of the manager on ${service} to end`, () => actionEnd(lab, since, service), { timeoutMs, intervalMs: 250 });
}
