import { axes, document, esc, num, PALETTE, polyline, type Plot } from './svg.ts';
import type { ContainerPoint, Mark, ProbeSample, ReplicaPoint } from '../config/types.ts';

const WIDTH = 900;
const LEFT = 70;
const RIGHT = WIDTH - 20;

/** Time axis in seconds from `origin` (epoch ms). */
function seconds(t: number, origin: number): number {
  return (t - origin) / 1000;
}

function extent(values: readonly number[], fallback: [number, number]): [number, number] {
  if (values.length === 0) return fallback;
  let lo = values[0];
  let hi = values[0];
  for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

// loops rather than Math.max(...values): a long run has more samples than the argument limit
function maxOf(values: readonly number[], floor: number): number {
  return values.reduce((m, v) => (v > m ? v : m), floor);
}

/** Vertical dashed lines with labels; labels of close marks are staggered on three rows. */
function markLines(marks: readonly Mark[], plot: Plot, origin: number): string[] {
  const sorted = [...marks].sort((a, b) => a.t - b.t || a.label.localeCompare(b.label));
  return sorted.flatMap((m, i) => {
    const x = num(plot.x(seconds(m.t, origin)));
    const y = num(plot.top - 4 - (i % 3) * 11);
    return [
      `<line class="mark" x1="${x}" y1="${num(plot.top)}" x2="${x}" y2="${num(plot.bottom)}" stroke="#555" stroke-dasharray="4 3"/>`,
      `<text class="mark-label" x="${x}" y="${y}" text-anchor="middle" font-size="10">${esc(m.label)}</text>`,
    ];
  });
}

export interface ProbeSeries {
  source: string;
  samples: readonly ProbeSample[];
}

/**
 * Availability timeline: one ok/fail strip per probe source (green = 2xx, red = failure), the
 * latency of successful probes below, and the T-events / kill as labelled vertical markers.
 */
export function availabilityChart(title: string, series: readonly ProbeSeries[], marks: readonly Mark[] = [], origin?: number): string {
  const all = series.flatMap((s) => s.samples);
  const firsts = [...all.map((s) => s.sentAt), ...marks.map((m) => m.t)];
  const start = origin ?? (firsts.length ? -maxOf(firsts.map((t) => -t), -Infinity) : 0);
  const xDomain = extent([...all.map((s) => seconds(s.sentAt, start)), ...marks.map((m) => seconds(m.t, start))], [0, 1]);
  const stripTop = 60;
  const stripH = 14;
  const plotTop = stripTop + series.length * (stripH + 4) + 10;
  const height = plotTop + 240;
  const latencies = all.filter((s) => s.ok).map((s) => s.latencyMs);
  const yMax = latencies.length ? maxOf(latencies, 0) * 1.1 || 1 : 1;
  const { plot, svg } = axes({ left: LEFT, right: RIGHT, top: plotTop, bottom: height - 45 }, xDomain, [0, yMax], { x: 'time (s)', y: 'latency (ms)' });
  const body = [...svg];
  series.forEach((s, row) => {
    const y = stripTop + row * (stripH + 4);
    body.push(`<text x="${num(LEFT - 4)}" y="${num(y + 11)}" text-anchor="end" font-size="10">${esc(s.source)}</text>`);
    const sorted = [...s.samples].sort((a, b) => a.sentAt - b.sentAt);
    sorted.forEach((p, i) => {
      const x0 = plot.x(seconds(p.sentAt, start));
      const next = sorted[i + 1];
      const x1 = next ? plot.x(seconds(next.sentAt, start)) : x0 + 1;
      const cls = p.ok ? 'ok' : 'fail';
      body.push(`<rect class="${cls}" x="${num(x0)}" y="${num(y)}" width="${num(Math.max(0.5, x1 - x0))}" height="${stripH}" fill="${p.ok ? '#2ca02c' : '#d62728'}"/>`);
    });
    // latency line, broken at failures so a gap shows where nothing was served
    let run: Array<[number, number]> = [];
    const color = PALETTE[row % PALETTE.length];
    for (const p of sorted) {
      if (p.ok) run.push([plot.x(seconds(p.sentAt, start)), plot.y(p.latencyMs)]);
      else if (run.length) { body.push(polyline(run, color, ' class="latency"')); run = []; }
    }
    if (run.length) body.push(polyline(run, color, ' class="latency"'));
  });
  body.push(...markLines(marks, { ...plot, top: stripTop - 6 }, start));
  return document(WIDTH, height, title, body);
}

/** Replicas over time as a step line (the count holds until the next observation). */
export function replicasChart(title: string, points: readonly ReplicaPoint[], marks: readonly Mark[] = [], origin?: number): string {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const start = origin ?? sorted[0]?.t ?? marks[0]?.t ?? 0;
  const xDomain = extent([...sorted.map((p) => seconds(p.t, start)), ...marks.map((m) => seconds(m.t, start))], [0, 1]);
  const yMax = maxOf(sorted.map((p) => p.replicas), 1) + 1;
  const { plot, svg } = axes({ left: LEFT, right: RIGHT, top: 60, bottom: 280 }, xDomain, [0, yMax], { x: 'time (s)', y: 'replicas' });
  const step: Array<[number, number]> = [];
  sorted.forEach((p, i) => {
    const x = plot.x(seconds(p.t, start));
    if (i > 0) step.push([x, plot.y(sorted[i - 1].replicas)]);
    step.push([x, plot.y(p.replicas)]);
  });
  const body = [...svg];
  if (step.length) body.push(polyline(step, PALETTE[0], ' class="replicas"'));
  body.push(...markLines(marks, plot, start));
  return document(WIDTH, 320, title, body);
}

const RESOURCE_PANELS: ReadonlyArray<{ label: string; value: (p: ContainerPoint) => number }> = [
  { label: 'CPU (%)', value: (p) => p.cpu },
  { label: 'memory (MB)', value: (p) => p.memMb },
  { label: 'network rx+tx (Mbps)', value: (p) => p.rxMbps + p.txMbps },
];

/** Per-container CPU, memory and network over time: three panels, one line per container. */
export function resourcesChart(title: string, points: readonly ContainerPoint[], marks: readonly Mark[] = [], origin?: number): string {
  const sorted = [...points].sort((a, b) => a.t - b.t || a.container.localeCompare(b.container));
  const containers = [...new Set(sorted.map((p) => p.container))].sort();
  const start = origin ?? sorted[0]?.t ?? 0;
  const xDomain = extent(sorted.map((p) => seconds(p.t, start)), [0, 1]);
  const body: string[] = [];
  const panelH = 170;
  RESOURCE_PANELS.forEach((panel, i) => {
    const top = 70 + i * (panelH + 40);
    const yMax = maxOf(sorted.map(panel.value), 1) * 1.1;
    const { plot, svg } = axes({ left: LEFT, right: RIGHT, top, bottom: top + panelH }, xDomain, [0, yMax], { y: panel.label, ...(i === 2 ? { x: 'time (s)' } : {}) });
    body.push(...svg);
    containers.forEach((c, k) => {
      const pts = sorted.filter((p) => p.container === c).map((p): [number, number] => [plot.x(seconds(p.t, start)), plot.y(panel.value(p))]);
      body.push(polyline(pts, PALETTE[k % PALETTE.length], ` class="series" data-container="${esc(c)}"`));
    });
    body.push(...markLines(marks, plot, start));
  });
  containers.forEach((c, k) => {
    body.push(`<rect x="${LEFT + k * 150}" y="34" width="10" height="10" fill="${PALETTE[k % PALETTE.length]}"/>`);
    body.push(`<text x="${LEFT + k * 150 + 14}" y="43" font-size="10">${esc(c.slice(0, 20))}</text>`);
  });
  return document(WIDTH, 70 + 3 * (panelH + 40) + 10, title, body);
}
