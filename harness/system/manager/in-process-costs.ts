import { columnReportSchema, type Report } from '../../../system/shared/alert-schema.ts';
import { parseColumnReport, parseReport, toColumns } from '../../../system/shared/parse-report.ts';
import { EventLogger, nowMs } from '../../../system/shared/event-logger.ts';
import { systemClock } from '../../../system/manager/src/clock.ts';
import { parseConfig, type ManagerConfig } from '../../../system/manager/src/config.ts';
import { RecoveryManager } from '../../../system/manager/src/recovery-manager.ts';
import { ScaleDownLoop } from '../../../system/manager/src/scale-down-loop.ts';
import { summarizeLatencies } from './latency-stats.ts';
import type { NodeReports } from './scale-reports.ts';
import { SimulatedSwarm } from './simulated-swarm.ts';
import type { SwarmLayout } from './swarm-layout.ts';

/* What parts of the manager cost, measured in this process without HTTP, with the child stopped. */

export interface CeilingStep {
  step: string;
  /** Per report, µs. */
  us: number;
}

/** Runs `fn(i)` for about `ms` and returns the µs each call took on average. */
function timed(ms: number, fn: (i: number) => void): number {
  let i = 0;
  const began = performance.now();
  while (performance.now() - began < ms) for (let k = 0; k < 50; k += 1) fn(i++);
  return ((performance.now() - began) * 1000) / i;
}

function managerOn(layout: SwarmLayout, config: ManagerConfig): RecoveryManager {
  const swarm = new SimulatedSwarm(layout, systemClock);
  return new RecoveryManager({ port: swarm, clock: systemClock, events: new EventLogger('manager', 'bench', { write: () => undefined }), config: () => config });
}

const withTime = <R extends { t: number }>(r: R): R => ({ ...r, t: nowMs() });

/**
 * The manager's own cost per streamed report: JSON.parse of the line (columns), the schema check as
 * the stream makes it (`parseColumnReport`), and `handleColumns` (metrics cache and breach counters)
 * with the reports of every node in turn (the cache holding every node's containers), then of one
 * node only: the difference is what the size of the cache costs each report. For comparison, what
 * POST /report's body in entries costs to parse and check, and zod's own check of the columns.
 */
export function reportCeiling(layout: SwarmLayout, reports: NodeReports, msPerStep = 1500): CeilingStep[] {
  const config = parseConfig('', {}, 'bench');
  const manager = managerOn(layout, config);
  const n = reports.nodes.length;
  const lines = reports.nodes.map((r) => r.line(nowMs()));
  const parsed = lines.map((b) => JSON.parse(b) as unknown);
  const checked = parsed.map((p) => columnReportSchema.parse(p));
  for (const r of checked) manager.handleColumns(withTime(r), nowMs()); // every node once: the cache is full
  timed(300, (i) => manager.handleColumns(withTime(checked[i % n]), nowMs())); // JIT warm-up

  const steps: CeilingStep[] = [
    { step: 'JSON.parse of a stream line (columns)', us: timed(msPerStep, (i) => JSON.parse(lines[i % n])) },
    { step: 'schema check (parseColumnReport: by hand, zod on failure only)', us: timed(msPerStep, (i) => parseColumnReport(parsed[i % n])) },
    { step: `handleColumns, ${n} nodes in turn`, us: timed(msPerStep, (i) => manager.handleColumns(withTime(checked[i % n]), nowMs())) },
  ];
  steps[2].step += ` (${manager.metrics.freshCount(nowMs())} containers cached)`;

  const one = managerOn(layout, config);
  timed(300, () => one.handleColumns(withTime(checked[0]), nowMs()));
  steps.push({ step: `handleColumns, one node (${one.metrics.freshCount(nowMs())} containers cached)`, us: timed(msPerStep, () => one.handleColumns(withTime(checked[0]), nowMs())) });
  const bodies = reports.nodes.map((r) => r.body(nowMs()));
  const entries = bodies.map((b) => JSON.parse(b) as unknown);
  steps.push({ step: 'for comparison, POST /report: JSON.parse of the body (entries)', us: timed(msPerStep, (i) => JSON.parse(bodies[i % n])) });
  steps.push({ step: 'for comparison, POST /report: parseReport + toColumns', us: timed(msPerStep, (i) => toColumns(parseReport(entries[i % n]).data as Report)) });
  steps.push({ step: "for comparison: zod's check of the same columns", us: timed(msPerStep, (i) => columnReportSchema.parse(parsed[i % n])) });
  return steps;
}

/**
 * One scale-down tick when `manager.services` lists every service (the most it allows is 1,000)
 * and every node has reported: the loop reads each listed service's metrics from the cache. The
 * tick runs on the event loop between two awaits, so for that long no alert is decided. Median of
 * `ticks` ticks after a first one (which logs every service's first state).
 */
export async function scaleDownTick(layout: SwarmLayout, reports: NodeReports, ticks = 5): Promise<{ services: number; medianMs: number; maxMs: number }> {
  const names = layout.services.map((s) => s.name);
  const config = parseConfig(`manager: {services: [${names.join(', ')}]}`, {}, 'bench');
  const manager = managerOn(layout, config);
  for (const r of reports.nodes) manager.handleColumns(columnReportSchema.parse(JSON.parse(r.line(nowMs()))), nowMs());
  const loop = new ScaleDownLoop(manager, systemClock);
  await loop.tick();
  const ms: number[] = [];
  for (let k = 0; k < ticks; k += 1) {
    const began = performance.now();
    await loop.tick();
    ms.push(performance.now() - began);
  }
  const s = summarizeLatencies(ms);
  return { services: names.length, medianMs: s.median, maxMs: s.max };
}
