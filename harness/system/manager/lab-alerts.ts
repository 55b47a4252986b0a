/**
 * Forged-but-valid alerts for the lab tests and the lab benchmark: the same payload an agent sends
 * (DESIGN.md §2.4), posted to the real manager over HTTP.
 */
import type Docker from 'dockerode';
import type { Alert } from '../../../system/shared/alert-schema.ts';
import type { LabConfig } from '../../lib/config/lab-config.ts';
import { managerEvents } from '../../lib/cluster/manager-api.ts';
import type { TimingEvent } from '../../lib/config/types.ts';
import { waitFor } from '../../lib/events/wait-for.ts';

export const epochNow = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The metrics of each scenario's rule (lab rules: cpu > 75, net < 35 → scenario 1; net > 65 → scenario 2). */
export const SCENARIO_METRICS = {
  scenario1_migration: { cpu: 90, mem: 20, mem_mb: 100, net: 1, rx: 0.1, tx: 0.1 },
  scenario2_scaling: { cpu: 90, mem: 20, mem_mb: 100, net: 80, rx: 8, tx: 8 },
} as const;

export interface AlertSubject {
  node: string;
  containerId: string;
  taskId: string;
}

let seq = 0;

export function forgeAlert(service: string, subject: AlertSubject, scenario: Alert['scenario']): Alert {
  const now = Date.now();
  seq += 1;
  return {
    id: `labtest-${subject.node}:${now}:${process.pid}-${seq}`,
    t0: now - 1000,
    t1: now,
    node: subject.node,
    service,
    container: subject.containerId.slice(0, 12),
    task: subject.taskId,
    scenario,
    m: { ...SCENARIO_METRICS[scenario] },
  };
}

export interface PostResult {
  status: number;
  body: Record<string, unknown>;
}

/** POST /alert with the given token (undefined: no Authorization header) and a raw or object body. */
export async function postAlert(lab: LabConfig, token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<PostResult> {
  const res = await fetch(`${lab.manager_api}/alert`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/** The manager's events of one action (by actionId) since `since`, once one of `until` is among them. */
export async function waitActionEvents(lab: LabConfig, since: number, actionId: string, timeoutMs: number, until = ['action_completed', 'action_failed']): Promise<TimingEvent[]> {
  return waitFor(
    `manager events of ${actionId} up to ${until.join('/')}`,
    async () => {
      const mine = (await managerEvents(lab, since)).filter((e) => e.actionId === actionId);
      return mine.some((e) => until.includes(e.event)) ? mine : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

export function eventOf(events: readonly TimingEvent[], name: string): TimingEvent {
  const e = events.find((x) => x.event === name);
  if (!e) throw new Error(`no ${name} among ${events.map((x) => x.event).join(', ')}`);
  return e;
}

export interface ServiceView {
  version: number;
  constraints: string[];
  labels: Record<string, string>;
  replicas: number | null;
  updateState: string | null;
  forceUpdate: number;
}

export async function serviceView(docker: Docker, name: string): Promise<ServiceView> {
  const s = (await docker.getService(name).inspect()) as {
    Version: { Index: number };
    Spec: {
      Labels?: Record<string, string>;
      Mode: { Replicated?: { Replicas: number } };
      TaskTemplate: { Placement?: { Constraints?: string[] }; ForceUpdate?: number };
    };
    UpdateStatus?: { State?: string };
  };
  return {
    version: s.Version.Index,
    constraints: s.Spec.TaskTemplate.Placement?.Constraints ?? [],
    labels: s.Spec.Labels ?? {},
    replicas: s.Spec.Mode.Replicated?.Replicas ?? null,
    updateState: s.UpdateStatus?.State ?? null,
    forceUpdate: s.Spec.TaskTemplate.ForceUpdate ?? 0,
  };
}

interface ManagerStateView {
  cooldowns: { service: string; action: string; remainingMs: number }[];
  inFlight: { service: string; actionId: string }[];
  reportingNodes: Record<string, unknown>;
}

export async function managerStateView(lab: LabConfig): Promise<ManagerStateView> {
  const res = await fetch(`${lab.manager_api}/state`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`GET /state answered ${res.status}`);
  return (await res.json()) as ManagerStateView;
}

/** Until every worker's agent has reported to the manager (so it can pick the least-loaded target). */
export async function waitReportsFromWorkers(lab: LabConfig, timeoutMs = 15_000): Promise<void> {
  const workers = lab.swarm.workers.map((w) => w.name);
  let seen: string[] = [];
  await waitFor(
    'reports from every worker',
    async () => {
      seen = Object.keys((await managerStateView(lab)).reportingNodes);
      return workers.every((w) => seen.includes(w));
    },
    { timeoutMs, intervalMs: 250, lastSeen: () => `reporting: ${seen.join(', ')}` },
  );
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
