/**
 * The dashboard's queries as data: each panel's PromQL, with Grafana's variables replaced, and the
 * metric names each one reads. Shared by the unit test (every query parses and reads metrics the
 * system writes) and the lab test (every query returns what an experiment just wrote).
 */
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { DASHBOARD_FILE } from '../../../system/grafana/dashboard-file.ts';

export interface PanelQuery {
  panel: string;
  refId: string;
  /** As in the dashboard. */
  expr: string;
  /** Grafana's variables replaced, ready for the query API. */
  resolved: string;
  instant: boolean;
}

interface DashboardShape {
  panels?: { type: string; title?: string; targets?: { refId: string; expr?: string; instant?: boolean }[] }[];
  annotations?: { list?: { name: string; expr?: string }[] };
  templating?: { list?: { name: string; query?: unknown }[] };
}

export function loadDashboard(file = DASHBOARD_FILE): DashboardShape {
  return JSON.parse(readFileSync(file, 'utf8')) as DashboardShape;
}

/** Grafana's variables: `$service` as All, time ranges as given. */
export function resolveVariables(expr: string, range = '1h'): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', range)
    .replaceAll('$service', '.*');
}

/** Every query of every panel, of the annotations and of the template variables. */
export function dashboardQueries(d: DashboardShape, range = '1h'): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of d.panels ?? []) {
    for (const t of p.targets ?? []) {
      out.push({ panel: p.title ?? '(untitled)', refId: t.refId, expr: t.expr ?? '', resolved: resolveVariables(t.expr ?? '', range), instant: t.instant === true });
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.expr) out.push({ panel: `annotation ${a.name}`, refId: 'annotation', expr: a.expr, resolved: resolveVariables(a.expr, range), instant: false });
  }
  return out;
}

export interface ParsedQuery {
  errors: string[];
  metrics: string[];
  /** Label names in matchers, `by`/`without` and the like. */
  labels: string[];
}

/** Parses with Prometheus' own grammar (lezer-promql); errors name the position and the text there. */
export function parsePromql(expr: string): ParsedQuery {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics = new Set<string>();
  const labels = new Set<string>();
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`at ${n.from}: ${JSON.stringify(expr.slice(n.from, n.to + 10))}`);
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') metrics.add(expr.slice(n.from, n.to));
      if (n.name === 'LabelName') labels.add(expr.slice(n.from, n.to));
    },
  });
  return { errors, metrics: [...metrics], labels: [...labels] };
}

/** `label_values(metric, label)`, the template variable's query form. */
export function parseLabelValues(query: string): { metric: string; label: string } | undefined {
  const m = /^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(query.trim());
  return m ? { metric: m[1]!, label: m[2]! } : undefined;
}

/**
 * What VictoriaMetrics makes of InfluxDB lines: a metric `<measurement>_<field>` per field, the
 * tags as its labels. Line protocol without escaped spaces or commas, as the writers produce here.
 */
export function metricsOfLines(lines: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of lines) {
    const [head, fields] = line.split(' ');
    const [measurement, ...tags] = head!.split(',');
    const labels = new Set(tags.map((t) => t.split('=')[0]!));
    for (const f of fields!.split(',')) out.set(`${measurement}_${f.split('=')[0]}`, labels);
  }
  return out;
}
