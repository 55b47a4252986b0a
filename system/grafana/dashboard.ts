/**
 * The SwarmGuard dashboard, as data typed by Grafana's own published schema (@grafana/schema):
 * `npm run grafana:dashboard` writes it to dashboards/swarmguard.json for provisioning, and a unit
 * test fails when that file and this source part ways. Threshold lines come from the rules'
 * defaults (system/shared/rules-schema.ts), the numbers the agent and manager act on.
 *
 * Queries are PromQL (MetricsQL) against VictoriaMetrics, which stores each InfluxDB line's field
 * as `<measurement>_<field>` with the tags as labels (README, "Dashboards" has the Flux for InfluxDB 2).
 */
import {
  DashboardCursorSync,
  FieldColorModeId,
  GraphDrawStyle,
  GraphThresholdsStyleMode,
  ThresholdsMode,
  type AnnotationQuery,
  type Dashboard,
  type DataSourceRef,
  type FieldConfigSource,
  type Panel,
  type RowPanel,
  type VariableModel,
} from '@grafana/schema';
import { rulesConfigSchema, type RulesConfig } from '../shared/rules-schema.ts';

export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: 'swarmguard-victoriametrics' };
export const DASHBOARD_UID = 'swarmguard';

/**
 * A Prometheus query as Grafana's Prometheus data source stores it in a panel (a type, not an
 * interface: the schema types a panel's targets as records, which an interface does not satisfy).
 */
export type PromTarget = {
  refId: string;
  datasource: DataSourceRef;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
};

const SERVICE = 'service_name=~"$service"';

function target(refId: string, expr: string, legendFormat: string, instant = false): PromTarget {
  return { refId, datasource: DATASOURCE, expr, legendFormat, ...(instant ? { instant: true, range: false } : { range: true }) };
}

/** Threshold lines drawn on a time series: `[value, color]`, lowest first. */
function thresholdLines(lines: [number, string][]): FieldConfigSource['defaults']['thresholds'] {
  return { mode: ThresholdsMode.Absolute, steps: [{ color: 'transparent', value: null }, ...lines.map(([value, color]) => ({ color, value }))] };
}

interface SeriesPanel {
  id: number;
  title: string;
  description: string;
  y: number;
  x: number;
  w?: number;
  unit: string;
  targets: PromTarget[];
  lines?: [number, string][];
  max?: number;
  points?: boolean;
}

function timeSeries(p: SeriesPanel): Panel {
  return {
    id: p.id,
    type: 'timeseries',
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { x: p.x, y: p.y, w: p.w ?? 12, h: 8 },
    targets: p.targets,
    fieldConfig: {
      defaults: {
        unit: p.unit,
        min: 0,
        ...(p.max !== undefined ? { max: p.max } : {}),
        color: { mode: FieldColorModeId.PaletteClassic },
        ...(p.lines ? { thresholds: thresholdLines(p.lines) } : {}),
        custom: {
          drawStyle: p.points ? GraphDrawStyle.Points : GraphDrawStyle.Line,
          pointSize: p.points ? 8 : 4,
          lineWidth: 1,
          spanNulls: false,
          thresholdsStyle: { mode: p.lines ? GraphThresholdsStyleMode.Line : GraphThresholdsStyleMode.Off },
        },
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['max', 'mean'] }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

function barGauge(p: { id: number; title: string; description: string; x: number; y: number; unit: string; targets: PromTarget[] }): Panel {
  return {
    id: p.id,
    type: 'bargauge',
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { x: p.x, y: p.y, w: 8, h: 8 },
    targets: p.targets,
    fieldConfig: { defaults: { unit: p.unit, min: 0, color: { mode: FieldColorModeId.PaletteClassic } }, overrides: [] },
    options: { orientation: 'horizontal', displayMode: 'basic', showUnfilled: true, reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
  };
}

function row(id: number, title: string, y: number): RowPanel {
  return { id, type: 'row', title, collapsed: false, panels: [], gridPos: { x: 0, y, w: 24, h: 1 } };
}

export function swarmguardDashboard(rules: RulesConfig = rulesConfigSchema.parse({})): Dashboard {
  const s1 = rules.scenarios.scenario1_migration;
  const s2 = rules.scenarios.scenario2_scaling;
  // the CPU and memory rules are one line each when both scenarios agree, as they do by default
  const cpuLines: [number, string][] = [...new Set([s1.cpu_threshold, s2.cpu_threshold])].sort((a, b) => a - b).map((v) => [v, 'red']);
  const memLines: [number, string][] = [...new Set([s1.memory_threshold, s2.memory_threshold])].sort((a, b) => a - b).map((v) => [v, 'red']);

  const annotation: AnnotationQuery & Record<string, unknown> = {
    name: 'Recovery actions',
    datasource: DATASOURCE,
    enable: true,
    iconColor: 'orange',
    // one event per action at its decision (T3): every action has one, scale-downs included
    expr: 'max by (action_id, kind, service, outcome, from_node, to_node) (recovery_actions_t3_ms{service=~"$service"})',
    step: '10s',
    useValueForTime: true,
    titleFormat: '{{kind}} {{service}} ({{outcome}})',
    textFormat: '{{action_id}}: {{from_node}} → {{to_node}}',
    tagKeys: 'kind,outcome',
  };

  const service: VariableModel = {
    name: 'service',
    label: 'Service',
    type: 'query',
    datasource: DATASOURCE,
    query: 'label_values(container_metrics_cpu_percent, service_name)',
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { text: 'All', value: '$__all' },
  };

  const panels: (Panel | RowPanel)[] = [
    row(1, 'Containers (agent: container_metrics)', 0),
    timeSeries({
      id: 2, x: 0, y: 1, title: 'CPU % of the container limit', unit: 'percent', max: 100, lines: cpuLines,
      description: `Red line: cpu_threshold (${cpuLines.map(([v]) => v).join(', ')} %), one of the scenario rules' triggers.`,
      targets: [target('A', `container_metrics_cpu_percent{${SERVICE}}`, '{{service_name}} {{container_id}} on {{node}}')],
    }),
    timeSeries({
      id: 3, x: 12, y: 1, title: 'Memory % of the container limit', unit: 'percent', max: 100, lines: memLines,
      description: `Red line: memory_threshold (${memLines.map(([v]) => v).join(', ')} %), one of the scenario rules' triggers.`,
      targets: [target('A', `container_metrics_memory_percent{${SERVICE}}`, '{{service_name}} {{container_id}} on {{node}}')],
    }),
    timeSeries({
      id: 4, x: 0, y: 9, title: 'Network % of the link', unit: 'percent', max: 100,
      lines: [[s1.network_threshold_max, 'orange'], [s2.network_threshold_min, 'red']],
      description:
        `Orange line: scenario 1 (migrate) only below network_threshold_max ${s1.network_threshold_max} %; ` +
        `red line: scenario 2 (scale up) only above network_threshold_min ${s2.network_threshold_min} %. Between the two no action.`,
      targets: [target('A', `container_metrics_network_percent{${SERVICE}}`, '{{service_name}} {{container_id}} on {{node}}')],
    }),
    timeSeries({
      id: 5, x: 12, y: 9, title: 'Network Mbps (rx, tx)', unit: 'Mbits',
      description: 'Received and sent by each container, from the stats of its interfaces.',
      targets: [
        target('A', `container_metrics_network_rx_mbps{${SERVICE}}`, 'rx {{service_name}} {{container_id}} on {{node}}'),
        target('B', `container_metrics_network_tx_mbps{${SERVICE}}`, 'tx {{service_name}} {{container_id}} on {{node}}'),
      ],
    }),
    row(6, 'Recovery actions (manager: recovery_actions)', 17),
    timeSeries({
      id: 7, x: 0, y: 18, title: 'MTTR of each recovery action', unit: 's', points: true,
      description: 'max(T5, T6) − T0 for a migration, T5 − T0 for a scale-up (DESIGN.md §5), at the action\'s T0.',
      targets: [target('A', 'recovery_actions_mttr_seconds{service=~"$service"}', '{{kind}} {{service}} {{from_node}} → {{to_node}}')],
    }),
    timeSeries({
      id: 8, x: 12, y: 18, title: 'Action duration, T4 to its end', unit: 's', points: true,
      description: 'From the Docker call to action_completed or action_failed, every action including scale-downs.',
      targets: [target('A', 'recovery_actions_duration_seconds{service=~"$service"}', '{{kind}} {{service}} ({{outcome}})')],
    }),
    row(9, 'Experiments (harness: test_results)', 26),
    barGauge({
      id: 10, x: 0, y: 27, title: 'MTTR, proactive vs reactive (mean over the time range)', unit: 's',
      description: 'Reactive: the baseline (kill -9, swarm restarts the task). Proactive: scenarios 1 and 2.',
      targets: [target('A', 'avg by (scenario) (avg_over_time(test_results_mttr_seconds{scenario=~"proactive|reactive"}[$__range]))', '{{scenario}}', true)],
    }),
    barGauge({
      id: 11, x: 8, y: 27, title: 'Downtime, proactive vs reactive (mean over the time range)', unit: 's',
      description: 'The union of intervals from a failed probe to the next successful one, per iteration.',
      targets: [target('A', 'avg by (scenario) (avg_over_time(test_results_downtime_seconds{scenario=~"proactive|reactive"}[$__range]))', '{{scenario}}', true)],
    }),
    barGauge({
      id: 12, x: 16, y: 27, title: 'Failed requests by experiment (sum over the time range)', unit: 'short',
      description: 'Probe and load requests that got no 2xx, added up over the iterations in the time range.',
      targets: [target('A', 'sum by (test_case) (sum_over_time(test_results_failed_requests[$__range]))', '{{test_case}}', true)],
    }),
    timeSeries({
      id: 13, x: 0, y: 35, w: 24, title: 'MTTR of each iteration', unit: 's', points: true,
      description: 'One point per experiment iteration, at its end.',
      targets: [target('A', 'test_results_mttr_seconds', '{{test_case}} #{{iteration}} ({{scenario}}, {{run_id}})')],
    }),
  ];

  return {
    uid: DASHBOARD_UID,
    title: 'SwarmGuard',
    description: 'Container metrics with the rules\' thresholds, recovery actions, and experiment MTTR (proactive vs reactive).',
    tags: ['swarmguard'],
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    refresh: '10s',
    timezone: 'browser',
    annotations: { list: [annotation] },
    templating: { list: [service] },
    panels,
  };
}
