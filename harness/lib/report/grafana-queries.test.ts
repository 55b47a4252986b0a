import { describe, expect, it } from 'vitest';
import { toPoint } from '../../../system/agent/src/influx-metrics-sink.ts';
import { toActionLine } from '../../../system/manager/src/action-store.ts';
import { dashboardQueries, loadDashboard, metricsOfLines, parseLabelValues, parsePromql } from './grafana-queries.ts';
import type { IterationRecord } from './journal-schema.ts';
import { toResultPoint } from './results-store.ts';

const T = 1_795_373_000_000;
const ms = { convertTime: (v: string | number | Date | undefined) => (v instanceof Date ? String(v.getTime()) : undefined) };

/** Every metric the system writes, as VictoriaMetrics names it, with its labels: one line of each writer, every field set. */
function writtenMetrics(): Map<string, Set<string>> {
  const agent = toPoint({ t: T, node: 'worker-1', service: 'web-stress', container: 'c'.repeat(64), task: 't1', m: { cpu: 1, mem: 2, mem_mb: 3, net: 4, rx: 5, tx: 6 } });
  const action = toActionLine({
    actionId: 'migrate-x-1',
    service: 'web-stress',
    kind: 'migrate',
    outcome: 'completed',
    scenario: 'scenario1_migration',
    fromNode: 'worker-3',
    toNode: 'worker-1',
    phases: { T0: T, T1: T, T2: T, T3: T, T4: T, T5: T, T6: T },
    endedAt: T,
    mttrSeconds: 1,
  });
  const iteration: IterationRecord = {
    experiment: 'scenario1', iteration: 1, params: {}, startedAt: T, endedAt: T, events: [], outcome: 'passed', slo: [],
    probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } },
    measurements: { mttr_ms: 1, downtime_ms: 0, failed_requests: 0 },
  };
  const result = toResultPoint(iteration, 'run')!;
  return metricsOfLines([agent.toLineProtocol(ms)!, action, result.toLineProtocol(ms)!]);
}

const dashboard = loadDashboard();
const queries = dashboardQueries(dashboard);
const known = writtenMetrics();

describe('the dashboard queries', () => {
  it('every panel has a query', () => {
    const panels = (dashboard.panels ?? []).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(5);
    for (const p of panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr?.trim(), `${p.title} ${t.refId}`).toBeTruthy();
    }
  });

  it('the writers give the metric names VictoriaMetrics will hold', () => {
    expect([...known.keys()]).toEqual(
      expect.arrayContaining(['container_metrics_cpu_percent', 'recovery_actions_t3_ms', 'recovery_actions_mttr_seconds', 'test_results_mttr_seconds', 'test_results_failed_requests']),
    );
  });

  it.each(queries.map((q) => [`${q.panel} ${q.refId}`, q] as const))('%s parses as PromQL and reads only metrics and labels the system writes', (_name, q) => {
    const parsed = parsePromql(q.resolved);
    expect(parsed.errors, q.resolved).toEqual([]);
    expect(parsed.metrics.length, q.resolved).toBeGreaterThan(0);
    const labels = new Set(parsed.metrics.flatMap((m) => [...(known.get(m) ?? [])]));
    for (const m of parsed.metrics) expect([...known.keys()], `${q.panel}: ${m}`).toContain(m);
    for (const l of parsed.labels) expect([...labels], `${q.panel}: label ${l}`).toContain(l);
  });

  it('the template variable lists the services of a written metric', () => {
    const vars = dashboard.templating?.list ?? [];
    expect(vars.map((v) => v.name)).toEqual(['service']);
    const lv = parseLabelValues(String(vars[0]!.query));
    expect(lv).toBeDefined();
    expect([...known.get(lv!.metric)!]).toContain(lv!.label);
  });

  it('a query that is not PromQL is caught', () => {
    expect(parsePromql('avg by (scenario (test_results_mttr_seconds)').errors).not.toEqual([]);
    expect(parsePromql('sum(rate(foo_total[5m]))').metrics).toEqual(['foo_total']);
  });
});
