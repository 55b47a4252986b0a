import { readFile } from 'node:fs/promises';
import { appTasks, nodeNames, resetApp, stopAllStress, type AppTask } from '../../cluster/app-control.ts';
import { corrections } from '../../events/clock-offset.ts';
import { resolveToken } from '../../cluster/deploy.ts';
import { managerEvents } from '../../cluster/manager-api.ts';
import { MANAGER_SERVICE } from '../../config/system-specs.ts';
import type { ClockOffset, TimingEvent } from '../../config/types.ts';
import { epochNow, type ExperimentContext, type IterationResult } from '../context.ts';
import { restartManager } from '../manager-control.ts';
import type { BadInputOptions } from './bad-input.ts';
import { fuzzLabYaml, type LabYamlTally } from './lab-yaml-fuzz.ts';
import { mergeTallies, sendBadRequests, type BadInputTally } from './manager-bad-input.ts';
import { handWrittenRequests, randomRequests, type BadRequest, type PayloadTarget } from './manager-payloads.ts';
import { swarmChanges, swarmSnapshot, waitSwarmSettled, type SwarmSnapshot } from './swarm-snapshot.ts';
import { badQueries, sendBadQueries, type BadQuery, type QueryAnswer } from './web-stress-bad-input.ts';

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

/** The running task and the real names the payloads aim at, with an old task's container if swarm kept one. */
async function payloadTarget(ctx: ExperimentContext, task: AppTask): Promise<PayloadTarget> {
  const { lab, cluster } = ctx;
  const all = await cluster.tasks({ service: lab.app.service });
  const names = await nodeNames(cluster);
  const old = all.find((t) => t.desiredState !== 'running' && t.containerId);
  return {
    token: await resolveToken(lab),
    service: lab.app.service,
    task: { id: task.id, node: task.node, containerId: task.containerId },
    otherNode: lab.swarm.workers.map((w) => w.name).find((n) => n !== task.node) ?? lab.swarm.manager.name,
    ...(old?.containerId ? { oldTask: { id: old.id, node: names.get(old.nodeId) ?? old.nodeId, containerId: old.containerId } } : {}),
    nodes: [lab.swarm.manager.name, ...lab.swarm.workers.map((w) => w.name)],
    bodyLimit: BODY_LIMIT,
  };
}

/** What was sent, how it was answered, and how long the sending took. */
interface Sent {
  manager: BadInputTally;
  web: QueryAnswer[];
  labYaml: LabYamlTally;
  sendStart: number;
  managerMs: number;
  webMs: number;
  duty: number;
  /** From the control host's clock to the manager's. */
  shift: number;
}

/** What the system looked like afterwards, and every way it broke the contract. */
interface Checked {
  changes: string[];
  managerRestarts: number;
  unexpected: number;
  problems: string[];
}

/** One bad-input iteration in progress: the target, the inputs drawn from the seed, the swarm before. */
export class BadInputRun {
  readonly seed: number;
  private readonly managerTaskBefore: string | undefined;
  private readonly hand: BadRequest[];
  private readonly random: BadRequest[];
  private readonly queries: BadQuery[];

  private constructor(
    readonly ctx: ExperimentContext,
    readonly iteration: number,
    readonly offsets: ClockOffset[],
    readonly o: BadInputOptions,
    readonly startedAt: number,
    readonly task: AppTask,
    target: PayloadTarget,
    readonly before: SwarmSnapshot,
  ) {
    this.seed = o.seed + iteration;
    this.managerTaskBefore = before.tasks[MANAGER_SERVICE]?.join(',');
    this.hand = handWrittenRequests(target);
    this.random = randomRequests(target, this.seed, o.payloads);
    this.queries = badQueries(this.seed, o.queries);
  }

  /** A fresh manager: no action of an earlier test in flight, no cooldown; "before" is taken after it. */
  static async prepare(ctx: ExperimentContext, iteration: number, offsets: ClockOffset[], o: BadInputOptions): Promise<BadInputRun> {
    const startedAt = epochNow();
    await restartManager(ctx);
    const [task] = await resetApp(ctx.lab, ctx.cluster);
    await waitSwarmSettled(ctx.cluster);
    const target = await payloadTarget(ctx, task);
    const before = await swarmSnapshot(ctx.cluster);
    return new BadInputRun(ctx, iteration, offsets, o, startedAt, task, target, before);
  }

  /** The manager's requests, then web-stress's queries, then the lab.yaml mutations. */
  async send(): Promise<Sent> {
    const { lab } = this.ctx;
    const { o, seed } = this;
    this.ctx.log(`bad-input #${this.iteration}: ${this.hand.length} + ${this.random.length} manager requests, ${this.queries.length} web-stress queries, ${o.labMutations} lab.yaml mutations (seed ${seed})`);
    const sendStart = epochNow();
    const shift = -(corrections(this.offsets)[lab.swarm.manager.name] ?? 0);
    // the hand-written cases one at a time, so each gets its own reason: alerts for one service arriving
    // together are answered `locked` while the first is checked, which is right, but says nothing here
    const manager = mergeTallies(
      await sendBadRequests(lab.manager_api, this.hand, { concurrency: 1, managerClockShift: shift, deadlineMs: LIMIT_MS }),
      await sendBadRequests(lab.manager_api, this.random, { concurrency: o.concurrency, managerClockShift: shift, deadlineMs: LIMIT_MS }),
    );
    const managerMs = epochNow() - sendStart;
    const webStart = epochNow();
    const duty = queryDuty(lab.app.limits.cpus);
    const web = await sendBadQueries(lab.entrypoint, this.queries, duty, LIMIT_MS);
    const webMs = epochNow() - webStart;
    const labYaml = fuzzLabYaml(await readFile(o.labFile, 'utf8'), seed, o.labMutations);
    return { manager, web, labYaml, sendStart, managerMs, webMs, duty, shift };
  }

  /** Every unexpected answer, the swarm unchanged, the manager and the app up with the same tasks. */
  async check(sent: Sent): Promise<Checked> {
    const { lab, cluster } = this.ctx;
    const { manager, web, labYaml } = sent;
    const after = await swarmSnapshot(cluster);
    const changes = swarmChanges(this.before, after);
    // a change names the action that made it, and the alert behind it: forged, or the agent's own
    const acted = changes.length ? await managerActions(this.ctx, sent.sendStart + sent.shift) : [];
    const managerUp = await healthy(`${lab.manager_api}/health`);
    const appUp = await healthy(`${lab.entrypoint}${lab.app.healthcheck.path}`);
    const metrics = (await (await fetch(`${lab.entrypoint}/metrics`, { signal: AbortSignal.timeout(2000) })).json()) as { active_stress: unknown[] };
    const appTask = (await appTasks(cluster, lab.app.service)).find((t) => t.state === 'running');
    const managerRestarts = after.tasks[MANAGER_SERVICE]?.join(',') === this.managerTaskBefore ? 0 : 1;
    const webUnexpected = web.filter((a) => a.problem);
    const unexpected = manager.unexpected.length + webUnexpected.length + labYaml.unexpected.length;
    const problems = [
      ...manager.unexpected.slice(0, 10).map((a) => `manager ${a.request.label} ${a.request.method} ${a.request.path}: ${a.problem}`),
      ...webUnexpected.slice(0, 5).map((a) => `web-stress ${a.query.path}: ${a.problem}`),
      ...labYaml.unexpected.slice(0, 5).map((u) => `lab.yaml (${u.mutation}): ${u.error}`),
      ...changes.map((c) => `swarm changed: ${c}`),
      ...acted,
      ...(managerRestarts ? [`manager task ${this.managerTaskBefore} replaced by ${after.tasks[MANAGER_SERVICE]?.join(',')}`] : []),
      ...(managerUp ? [] : ['manager /health not 200 afterwards']),
      ...(appUp ? [] : ['web-stress /health through the entrypoint not 200 afterwards']),
      ...(metrics.active_stress.length ? [`web-stress runs stress afterwards: ${JSON.stringify(metrics.active_stress).slice(0, 200)}`] : []),
      ...(appTask?.id === this.task.id ? [] : [`web-stress task ${this.task.id} replaced by ${appTask?.id ?? 'none'}`]),
    ];
    return { changes, managerRestarts, unexpected, problems };
  }

  journal(sent: Sent, checked: Checked): IterationResult {
    const { o, seed } = this;
    const { manager, web, labYaml, managerMs, webMs } = sent;
    const { changes, managerRestarts, unexpected, problems } = checked;
    const record = {
      experiment: 'bad-input',
      iteration: this.iteration,
      params: {
        seed, concurrency: o.concurrency, randomPayloads: o.payloads, byLabel: manager.byLabel, byStatus: manager.byStatus,
        labYaml: { parsed: labYaml.parsed, rejected: labYaml.rejected }, problems: problems.slice(0, 20),
      },
      startedAt: this.startedAt,
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
    this.ctx.log(`bad-input #${this.iteration}: ${record.measurements.bad_inputs_tried} tried in ${(managerMs / 1000).toFixed(1)} s (manager) + ${(webMs / 1000).toFixed(1)} s (web-stress, paced to ${Math.round(sent.duty * 100)} % busy), ${unexpected} unexpected, ${changes.length} swarm changes, ${managerRestarts} manager restarts`);
    return { record, probes: [] };
  }

  async rollback(): Promise<void> {
    await stopAllStress(this.ctx.lab);
    // fake containers and nodes from the random reports live on in the manager's memory: start it clean
    await restartManager(this.ctx);
  }
}
