/**
 * On the real local lab: after one scenario-1 migration (an alert for web-stress's task, as the
 * agent would send it) and that iteration's test_results written as the harness writes them, every
 * query of the provisioned Grafana dashboard (panels and annotations) is run against the lab's
 * VictoriaMetrics (lab.yaml influxdb.url, its Prometheus API /api/v1/query_range) and must return
 * the series just written: the web-stress container's metrics, this action's recovery_actions,
 * this run's test_results. Bounded: the test itself takes well under 3 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../config/lab-config.ts';
import { deploySystem, resolveInfluxToken, resolveToken } from '../cluster/deploy.ts';
import { appTasks, pastStartupGrace, resetApp } from '../cluster/app-control.ts';
import { makeContext } from '../experiments/context.ts';
import { restartManager } from '../experiments/manager-control.ts';
import { dashboardQueries, loadDashboard, type PanelQuery } from './grafana-queries.ts';
import type { IterationRecord } from './journal-schema.ts';
import { InfluxResultsStore } from './results-store.ts';
import { compareCounts, scrapeManagerCounters } from '../cluster/manager-counters.ts';
import { managerEvents } from '../cluster/manager-api.ts';
import { waitFor } from '../events/wait-for.ts';
import { epochNow, eventOf, forgeAlert, postAlert, waitActionEvents, waitReportsFromWorkers } from '../../system/manager/lab-alerts.ts';

const lab = await loadLab();
const ctx = makeContext(lab);
const service = lab.app.service;
const vm = lab.influxdb.url;
const runId = `grafana-panels-${Date.now()}`;
let token = '';

interface Series {
  metric: Record<string, string>;
  values: [number, string][];
}

/** The lab's VictoriaMetrics, as Grafana's Prometheus data source asks it. */
async function queryRange(expr: string, start: number, end: number): Promise<Series[]> {
  const params = new URLSearchParams({ query: expr, start: String(start / 1000), end: String(end / 1000), step: '5s', nocache: '1' });
  const res = await fetch(`${vm}/api/v1/query_range`, { method: 'POST', body: params, signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Series[] } };
  if (!res.ok || body.status !== 'success') throw new Error(`${vm} answered ${res.status} to ${expr}: ${body.error ?? JSON.stringify(body).slice(0, 300)}`);
  return body.data!.result;
}

/** The labels that tell this experiment's series from any other, by the measurement a query reads. */
function expectedLabels(q: PanelQuery, actionId: string): Record<string, string> {
  if (q.resolved.includes('container_metrics_')) return { service_name: service };
  if (q.resolved.includes('recovery_actions_')) return { action_id: actionId, service, kind: 'migrate' };
  return { run_id: runId, test_case: 'scenario1', scenario: 'proactive' };
}

/** A series that carries at least one of the expected labels and contradicts none (aggregations drop some). */
function ours(result: Series[], expected: Record<string, string>): Series | undefined {
  return result.find((s) => {
    const shared = Object.keys(expected).filter((k) => k in s.metric);
    return shared.length > 0 && shared.every((k) => s.metric[k] === expected[k]) && s.values.length > 0;
  });
}

beforeAll(async () => {
  await deploySystem(lab); // the manager of this tree, with the store's address and token
  token = await resolveToken(lab);
  // a fresh manager: the lab test before this one may have migrated the app within its cooldown,
  // and the forged alert would then be accepted but ignored
  await restartManager(ctx);
  await resetApp(lab, ctx.cluster);
});

afterAll(async () => {
  await resetApp(lab, ctx.cluster);
});

describe.sequential('Grafana dashboard queries on the lab', () => {
  it('every panel and annotation query returns the series a migration and its test_results just wrote', { timeout: 180_000 }, async () => {
    const started = Date.now();
    await waitReportsFromWorkers(lab);
    const running = (await appTasks(ctx.cluster, service)).filter((t) => t.state === 'running');
    expect(running).toHaveLength(1);
    await pastStartupGrace(lab, running);
    const old = running[0]!;

    const since = epochNow() - 1;
    const countersBefore = await scrapeManagerCounters(lab);
    const alert = forgeAlert(service, { node: old.node, containerId: old.containerId, taskId: old.id }, 'scenario1_migration');
    const answer = await postAlert(lab, token, alert);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body.actionId, `no action started: ${JSON.stringify(answer.body)}`).toBeDefined();
    const actionId = String(answer.body.actionId);
    const events = await waitActionEvents(lab, since, actionId, 90_000);
    expect(events.find((e) => e.event === 'action_completed'), JSON.stringify(events.find((e) => e.event === 'action_failed'))).toBeDefined();
    // /metrics, scraped around the action, counts what the manager's own events of the span hold
    const counts = compareCounts(countersBefore, await scrapeManagerCounters(lab), await managerEvents(lab, since));
    expect(counts, JSON.stringify(counts)).toMatchObject({ match: true, metrics: { accepted: 1, actions: { 'migrate/started': 1, 'migrate/completed': 1 } } });
    const mttrMs = Math.max(eventOf(events, 'replacement_ready').t, eventOf(events, 'old_task_removed').t) - alert.t0;

    // the iteration's figures, as ExperimentRun writes them at the end of an iteration
    const record: IterationRecord = {
      experiment: 'scenario1', iteration: 1, params: {}, startedAt: started, endedAt: Date.now(), events: [], outcome: 'passed', slo: [],
      probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } },
      measurements: { mttr_ms: mttrMs, downtime_ms: 0, failed_requests: 0 },
    };
    const note = await new InfluxResultsStore({ url: vm, org: lab.influxdb.org, bucket: lab.influxdb.bucket, token: await resolveInfluxToken(lab) }).write(record, runId);
    expect(note, JSON.stringify(note)).toMatchObject({ written: true });

    // VictoriaMetrics shows a point some seconds after it took it (-search.latencyOffset), and the
    // agent sends its batch every 10 s: each query is asked again until its series is there
    const range = `${Math.ceil((Date.now() - started) / 60_000) + 5}m`;
    const queries = dashboardQueries(loadDashboard(), range);
    expect(queries.length).toBeGreaterThan(8);
    const missing: string[] = [];
    const deadline = started + 170_000;
    for (const q of queries) {
      const expected = expectedLabels(q, actionId);
      let last: Series[] = [];
      try {
        await waitFor(
          `${q.panel} (${q.refId})`,
          async () => {
            last = await queryRange(q.resolved, started - 60_000, Date.now() + 5000);
            return ours(last, expected);
          },
          { timeoutMs: Math.max(1000, Math.min(75_000, deadline - Date.now())), intervalMs: 2000, lastSeen: () => `${last.length} series: ${JSON.stringify(last.map((s) => s.metric)).slice(0, 400)}` },
        );
      } catch (err) {
        missing.push(`${q.panel} ${q.refId}: ${q.resolved}\n  ${(err as Error).message}`);
      }
    }
    expect(missing, missing.join('\n')).toEqual([]);

    // the annotation marks this action at its decision: the value is T3 in epoch ms
    const t3 = eventOf(events, 'decision_made').t;
    const annotation = queries.find((q) => q.refId === 'annotation')!;
    const marks = await queryRange(annotation.resolved, started - 60_000, Date.now() + 5000);
    const mark = ours(marks, { action_id: actionId });
    expect(Math.abs(Number(mark!.values.at(-1)![1]) - t3)).toBeLessThan(2);
  });
});
