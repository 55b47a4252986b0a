import { readFile } from 'node:fs/promises';
import { appTasks, resetApp, stopAllStress } from '../../cluster/app-control.ts';
import { corrections } from '../../events/clock-offset.ts';
import { resolveToken } from '../../cluster/deploy.ts';
import { MANAGER_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset, TimingEvent } from '../../config/types.ts';
import { epochNow, type ExperimentContext, type IterationResult } from '../context.ts';
import { managerEvents } from '../../cluster/manager-api.ts';
import { restartManager } from '../manager-control.ts';
import { fuzzLabYaml } from './lab-yaml-fuzz.ts';
import { mergeTallies, sendBadRequests } from './manager-bad-input.ts';
import { handWrittenRequests, randomRequests, type PayloadTarget } from './manager-payloads.ts';
import { swarmChanges, swarmSnapshot, waitSwarmSettled } from './swarm-snapshot.ts';
import { badQueries, sendBadQueries } from './web-stress-bad-input.ts';

export interface BadInputOptions {
  /** Random manager payloads (10,000 in total over a run). */
  payloads: number;
  /** Random web-stress queries and lab.yaml mutations. */
  queries: number;
  labMutations: number;
  /** Seed of iteration i is seed + i, so each iteration tries other inputs and every one can be replayed. */
  seed: number;
  concurrency: number;
  labFile: string;
}

export const BAD_INPUT_DEFAULTS: BadInputOptions = { payloads: 10_000, queries: 300, labMutations: 300, seed: 7000, concurrency: 16, labFile: 'lab.yaml' };

/** SWARMGUARD_BAD_INPUT_PAYLOADS: random manager payloads per iteration (default 10,000). */
export function payloadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SWARMGUARD_BAD_INPUT_PAYLOADS;
  if (raw === undefined || raw === '') return BAD_INPUT_DEFAULTS.payloads;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0 || v > 100_000) throw new Error(`SWARMGUARD_BAD_INPUT_PAYLOADS: got ${JSON.stringify(raw)}, expected a whole number from 0 to 100000`);
  return v;
}
const LIMIT_MS = 120_000;
const BODY_LIMIT = 16_384;

async function healthy(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
}

/**
 * The share of time the bad web-stress queries may keep the app busy: a fifth of its CPU limit, so
 * the agent sees at most ~20 % of the limit, far below any sensible threshold.
 */
export function queryDuty(cpus: number): number {
  return Math.min(1, Math.max(0.01, 0.2 * cpus));
}

/** Every decision to act that the manager logged since `since` (its clock), with the alert it came from. */
async function managerActions(ctx: ExperimentContext, since: number): Promise<string[]> {
  const events = await managerEvents(ctx.lab, since).catch((err: Error) => [{ event: 'unreadable', reason: err.message } as TimingEvent]);
  if (events[0]?.event === 'unreadable') return [`manager events unreadable: ${events[0].reason}`];
  const alerts = new Map(events.filter((e) => e.event === 'alert_received').map((e) => [e.alertId, e]));
  return events
    .filter((e) => e.event === 'decision_made' && e.decision !== 'ignore')
    .map((e) => {
      const a = alerts.get(e.alertId);
      const from = a ? `from ${String(a.alertNode)} for container ${String(a.container)}, ${String(a.scenario)}, m ${JSON.stringify(a.m)}` : 'alert not in the manager\'s recent events';
      return `manager decided ${String(e.decision)} (${e.reason ?? ''}) on alert ${e.alertId ?? '?'} ${from}`;
    });
}

/**
 * Bad input on the real system: the manager gets the hand-written cases and
 * `payloads` random ones, web-stress random bad queries, the lab.yaml loader random mutations.
 * Every answer must keep the contract, the manager must stay up and the swarm must not change.
 */
export async function badInputIteration(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], options: Partial<BadInputOptions> = {}): Promise<IterationResult> {
  const o = { ...BAD_INPUT_DEFAULTS, ...options };
  const { lab, docker } = ctx;
  const seed = o.seed + iteration;
  const startedAt = epochNow();
  // a fresh manager: no action of an earlier test in flight, no cooldown; "before" is taken after it
  await restartManager(ctx);
  const [task] = await resetApp(lab, docker);
  await waitSwarmSettled(docker);
  const all = (await docker.listTasks({ filters: { service: [lab.app.service] } })) as Array<{ ID: string; NodeID: string; DesiredState: string; Status: { ContainerStatus?: { ContainerID?: string } } }>;
  const names = new Map(((await docker.listNodes()) as Array<{ ID: string; Description: { Hostname: string } }>).map((n) => [n.ID, n.Description.Hostname]));
  const old = all.find((t) => t.DesiredState !== 'running' && t.Status.ContainerStatus?.ContainerID);
  const target: PayloadTarget = {
    token: await resolveToken(lab),
    service: lab.app.service,
    task: { id: task.id, node: task.node, containerId: task.containerId },
    otherNode: lab.swarm.workers.map((w) => w.name).find((n) => n !== task.node) ?? lab.swarm.manager.name,
    ...(old ? { oldTask: { id: old.ID, node: names.get(old.NodeID) ?? old.NodeID, containerId: old.Status.ContainerStatus!.ContainerID! } } : {}),
    nodes: [lab.swarm.manager.name, ...lab.swarm.workers.map((w) => w.name)],
    bodyLimit: BODY_LIMIT,
  };
  const before = await swarmSnapshot(docker);
  const managerTaskBefore = before.tasks[MANAGER_SERVICE]?.join(',');
  const hand = handWrittenRequests(target);
  const random = randomRequests(target, seed, o.payloads);
  const queries = badQueries(seed, o.queries);
  try {
    ctx.log(`bad-input #${iteration}: ${hand.length} + ${random.length} manager requests, ${queries.length} web-stress queries, ${o.labMutations} lab.yaml mutations (seed ${seed})`);
    const sendStart = epochNow();
    const shift = -(corrections(offsets)[lab.swarm.manager.name] ?? 0);
    // the hand-written cases one at a time, so each gets its own reason: alerts for one service arriving
    // together are answered `locked` while the first is checked, which is right, but says nothing here
    const manager = mergeTallies(
      await sendBadRequests(lab.manager_api, hand, { concurrency: 1, managerClockShift: shift, deadlineMs: LIMIT_MS }),
      await sendBadRequests(lab.manager_api, random, { concurrency: o.concurrency, managerClockShift: shift, deadlineMs: LIMIT_MS }),
    );
    const managerMs = epochNow() - sendStart;
    const webStart = epochNow();
    const duty = queryDuty(lab.app.limits.cpus);
    const web = await sendBadQueries(lab.entrypoint, queries, duty, LIMIT_MS);
    const webMs = epochNow() - webStart;
    const labYaml = fuzzLabYaml(await readFile(o.labFile, 'utf8'), seed, o.labMutations);

    const after = await swarmSnapshot(docker);
    const changes = swarmChanges(before, after);
    // a change names the action that made it, and the alert behind it: forged, or the agent's own
    const acted = changes.length ? await managerActions(ctx, sendStart + shift) : [];
    const managerUp = await healthy(`${lab.manager_api}/health`);
    const appUp = await healthy(`${lab.entrypoint}${lab.app.healthcheck.path}`);
    const metrics = (await (await fetch(`${lab.entrypoint}/metrics`, { signal: AbortSignal.timeout(2000) })).json()) as { active_stress: unknown[] };
    const appTask = (await appTasks(docker, lab.app.service)).find((t) => t.state === 'running');
    const managerRestarts = after.tasks[MANAGER_SERVICE]?.join(',') === managerTaskBefore ? 0 : 1;
    const webUnexpected = web.filter((a) => a.problem);
    const unexpected = manager.unexpected.length + webUnexpected.length + labYaml.unexpected.length;
    const problems = [
      ...manager.unexpected.slice(0, 10).map((a) => `manager ${a.request.label} ${a.request.method} ${a.request.path}: ${a.problem}`),
      ...webUnexpected.slice(0, 5).map((a) => `web-stress ${a.query.path}: ${a.problem}`),
      ...labYaml.unexpected.slice(0, 5).map((u) => `lab.yaml (${u.mutation}): ${u.error}`),
      ...changes.map((c) => `swarm changed: ${c}`),
      ...acted,
      ...(managerRestarts ? [`manager task ${managerTaskBefore} replaced by ${after.tasks[MANAGER_SERVICE]?.join(',')}`] : []),
      ...(managerUp ? [] : ['manager /health not 200 afterwards']),
      ...(appUp ? [] : ['web-stress /health through the entrypoint not 200 afterwards']),
      ...(metrics.active_stress.length ? [`web-stress runs stress afterwards: ${JSON.stringify(metrics.active_stress).slice(0, 200)}`] : []),
      ...(appTask?.id === task.id ? [] : [`web-stress task ${task.id} replaced by ${appTask?.id ?? 'none'}`]),
    ];
    const record = {
      experiment: 'bad-input',
      iteration,
      params: {
        seed, concurrency: o.concurrency, randomPayloads: o.payloads, byLabel: manager.byLabel, byStatus: manager.byStatus,
        labYaml: { parsed: labYaml.parsed, rejected: labYaml.rejected }, problems: problems.slice(0, 20),
      },
      startedAt,
      endedAt: epochNow(),
      events: [],
      probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } },
      outcome: problems.length ? ('failed' as const) : ('passed' as const),
      ...(problems.length ? { error: problems.slice(0, 8).join('; ') } : {}),
      measurements: {
        bad_inputs_tried: manager.tried + web.length + labYaml.tried,
        manager_requests: manager.tried,
        web_stress_queries: web.length,
        lab_yaml_mutations: labYaml.tried,
        unexpected_answers: unexpected,
        swarm_changes: changes.length,
        manager_restarts: managerRestarts,
        manager_send_ms: managerMs,
        web_send_ms: webMs,
      },
      slo: [],
    };
    ctx.log(`bad-input #${iteration}: ${record.measurements.bad_inputs_tried} tried in ${(managerMs / 1000).toFixed(1)} s (manager) + ${(webMs / 1000).toFixed(1)} s (web-stress, paced to ${Math.round(duty * 100)} % busy), ${unexpected} unexpected, ${changes.length} swarm changes, ${managerRestarts} manager restarts`);
    return { record, probes: [] };
  } finally {
    await stopAllStress(lab);
    // fake containers and nodes from the random reports live on in the manager's memory: start it clean
    await restartManager(ctx);
  }
}
