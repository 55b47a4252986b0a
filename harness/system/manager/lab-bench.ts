/**
 * The manager's benchmark on the real lab, over HTTP: valid alerts that arrive while web-stress is
 * cooling down after a real migration (so the manager decides "ignore: cooldown" and acts on none).
 * The alerts name the task that migrated away, so even one arriving after the cooldown ends would
 * be refused as stale: the benchmark can never move the service.
 */
import type { LabConfig } from '../../lib/config/lab-config.ts';
import { appTasks, resetApp } from '../../lib/cluster/app-control.ts';
import { managerDocker } from '../../lib/cluster/docker-clients.ts';
import { makeContext, type ExperimentContext } from '../../lib/experiments/context.ts';
import { restartManager } from '../../lib/experiments/manager-control.ts';
import { managerEvents } from '../../lib/cluster/manager-api.ts';
import { resolveToken } from '../../lib/cluster/deploy.ts';
import { AlertClient } from '../../../system/manager/bench/alert-client.ts';
import { startCpuMeter } from './cpu-meter.ts';
import {
  epochNow,
  forgeAlert,
  managerStateView,
  median,
  percentile,
  postAlert,
  serviceView,
  waitActionEvents,
  waitReportsFromWorkers,
  type AlertSubject,
} from './lab-alerts.ts';

export interface LabBenchOptions {
  sequential: number;
  seconds: number;
  maxRequests: number;
  concurrency: number;
  log: (line: string) => void;
}

const CHUNK = 250; // alerts per /events read: 3 events each, the manager keeps the last 2,000

export async function runLabBench(lab: LabConfig, o: LabBenchOptions): Promise<void> {
  const ctx = makeContext(lab, o.log);
  const docker = managerDocker(lab);
  const service = lab.app.service;
  const token = await resolveToken(lab);
  const client = new AlertClient(lab.manager_api, token, o.concurrency);
  try {
    await resetApp(lab, ctx.cluster);

    let subject = await armCooldown(ctx, token);
    const remaining = async () => (await managerStateView(lab)).cooldowns.find((c) => c.service === service && c.action === 'migrate')?.remainingMs ?? 0;
    const alert = () => JSON.stringify(forgeAlert(service, subject, 'scenario1_migration'));
    for (let i = 0; i < 200; i++) await client.post(alert()); // warm-up: JIT, pool, inventory cache

    // decision latency: one alert at a time, T2 and T3 from the manager's own events
    const lat: number[] = [];
    const rtt: number[] = [];
    const reasons = new Map<string, number>();
    const versionBefore = (await serviceView(docker, service)).version;
    for (let done = 0; done < o.sequential; ) {
      if ((await remaining()) < 3000) {
        o.log(`cooldown nearly over after ${done} sequential alerts: re-arming it`);
        subject = await armCooldown(ctx, token);
      }
      const since = epochNow() - 1;
      const ids = new Set<string>();
      for (let i = 0; i < CHUNK && done < o.sequential; i++, done++) {
        const body = forgeAlert(service, subject, 'scenario1_migration');
        ids.add(body.id);
        const a = await client.post(JSON.stringify(body));
        if (a.status !== 202) throw new Error(`sequential alert answered ${a.status}`);
        rtt.push(a.ms);
        reasons.set(a.reason, (reasons.get(a.reason) ?? 0) + 1);
      }
      const t2 = new Map<string, number>();
      const t3 = new Map<string, number>();
      for (const e of await managerEvents(lab, since)) {
        if (!e.alertId || !ids.has(e.alertId)) continue;
        if (e.event === 'alert_received') t2.set(e.alertId, e.t);
        if (e.event === 'decision_made') t3.set(e.alertId, e.t);
      }
      for (const id of ids) {
        const a = t2.get(id);
        const b = t3.get(id);
        if (a === undefined || b === undefined) throw new Error(`alert ${id}: T2 or T3 missing from /events`);
        lat.push(b - a);
      }
    }

    // sustained: `concurrency` alerts in flight, for `seconds` or `maxRequests`, inside one cooldown
    if ((await remaining()) < o.seconds * 1000 + 3000) subject = await armCooldown(ctx, token);
    const version2 = (await serviceView(docker, service)).version;
    const window = Math.min(o.seconds * 1000, (await remaining()) - 2000);
    const meter = await startCpuMeter(lab, docker);
    const sustained = await sustain(client, alert, o.concurrency, window, o.maxRequests);
    const cpu = await meter.stop(sustained.sent);
    const versionAfter = (await serviceView(docker, service)).version;

    const f = (x: number) => x.toFixed(3);
    o.log('');
    o.log(`manager on the lab (${lab.manager_api}), valid scenario-1 alerts for ${service} while it cools down after a migration`);
    o.log(`decision latency T3−T2 (manager clock, /events), ${lat.length} sequential alerts: median ${f(median(lat))} ms, p99 ${f(percentile(lat, 99))} ms, max ${f(Math.max(...lat))} ms`);
    o.log(`  client round trip per alert (keep-alive): median ${f(median(rtt))} ms, p99 ${f(percentile(rtt, 99))} ms`);
    o.log(`  answers: ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}`);
    o.log(
      `sustained: ${sustained.sent} alerts in ${(sustained.ms / 1000).toFixed(2)} s, ${o.concurrency} in flight → ${Math.round(sustained.sent / (sustained.ms / 1000))} alerts/s; ` +
        `round trip median ${f(median(sustained.rtt))} ms, p99 ${f(percentile(sustained.rtt, 99))} ms; non-202: ${sustained.errors}`,
    );
    o.log(`  answers: ${[...sustained.reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}`);
    o.log(`  ${cpu}`);
    o.log(`service version unchanged by the alerts: sequential ${versionBefore === version2 || 'n/a (re-armed)'}, sustained ${version2 === versionAfter}`);
  } finally {
    client.close();
    await resetApp(lab, ctx.cluster);
  }
}

/** A fresh manager and one real migration: its cooldown is the benchmark's window. Returns the migrated task (the alerts' subject). */
async function armCooldown(ctx: ExperimentContext, token: string): Promise<AlertSubject> {
  const { lab } = ctx;
  await restartManager(ctx);
  await waitReportsFromWorkers(lab);
  const [task] = (await appTasks(ctx.cluster, lab.app.service)).filter((t) => t.state === 'running');
  if (!task) throw new Error(`${lab.app.service} has no running task`);
  const subject = { node: task.node, containerId: task.containerId, taskId: task.id };
  const since = epochNow() - 1;
  const answer = await postAlert(lab, token, forgeAlert(lab.app.service, subject, 'scenario1_migration'));
  if (answer.body.decision !== 'migrate') throw new Error(`arming alert: ${JSON.stringify(answer.body)}`);
  const events = await waitActionEvents(lab, since, String(answer.body.actionId), 90_000);
  if (!events.some((e) => e.event === 'action_completed')) throw new Error(`arming migration failed: ${JSON.stringify(events.at(-1))}`);
  ctx.log(`cooldown armed by a migration from ${task.node}`);
  return subject;
}

async function sustain(client: AlertClient, alert: () => string, concurrency: number, windowMs: number, maxRequests: number) {
  const rtt: number[] = [];
  const reasons = new Map<string, number>();
  let sent = 0;
  let errors = 0;
  const began = performance.now();
  const end = began + windowMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < maxRequests && performance.now() < end) {
        sent += 1;
        const a = await client.post(alert());
        rtt.push(a.ms);
        if (a.status !== 202) errors += 1;
        reasons.set(a.reason, (reasons.get(a.reason) ?? 0) + 1);
      }
    }),
  );
  return { sent, ms: performance.now() - began, rtt, reasons, errors };
}
