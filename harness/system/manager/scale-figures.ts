import Table from 'cli-table3';
import type { CeilingStep } from './in-process-costs.ts';
import { summarizeLatencies } from './latency-stats.ts';
import type { ManagerChildMemory } from './simulated-manager.ts';
import { usageBetween, type MeterReading } from './process-meter.ts';
import type { AlertSample, DecisionPhase } from './scale-alerts.ts';
import type { FloodResult } from './scale-reports.ts';

/* The scale benchmark's tables. */

const f1 = (v: number) => v.toFixed(1);
const f3 = (v: number) => v.toFixed(3);
const MiB = 1024 * 1024;

/** The stale check is the one part of a decision that asks the swarm; only these reasons come after it. */
const AFTER_LOOKUP = new Set(['stale', 'warming_up']);

function latencyRow(label: string, xs: AlertSample[]): (string | number)[] {
  const d = summarizeLatencies(xs.map((s) => s.decisionMs));
  const r = summarizeLatencies(xs.map((s) => s.rttMs));
  return [label, d.n, f3(d.median), f3(d.p99), f3(d.max), f3(r.median), f3(r.p99)];
}

export function printDecisions(phase: DecisionPhase, ratePerS: number, swarmCalls: string): void {
  const s = phase.samples;
  const acted = s.filter((x) => x.decision !== 'ignore');
  const looked = s.filter((x) => x.decision === 'ignore' && AFTER_LOOKUP.has(x.reason));
  const early = s.filter((x) => x.decision === 'ignore' && !AFTER_LOOKUP.has(x.reason));
  const t = new Table({ head: ['decision path', 'n', 'T3−T2 median ms', 'p99 ms', 'max ms', 'round trip median ms', 'p99 ms'] });
  t.push(
    latencyRow('all alerts', s),
    latencyRow('action decided (migrate / scale_up), after 1 swarm call', acted),
    latencyRow('ignored after that swarm call (stale)', looked),
    latencyRow('ignored before any swarm call', early),
  );
  const pace = ratePerS > 0 ? `paced at ${ratePerS}/s` : 'each as soon as the previous was answered';
  console.log(`\nDecision latency: ${s.length} alerts after ${phase.warmUp} warm-up ones, one at a time, ${pace} (${f1(s.length / phase.seconds)}/s achieved), 100 agents reporting every second meanwhile`);
  console.log(t.toString());
  const mix = new Map<string, number>();
  for (const x of s) {
    const key = x.decision === 'ignore' ? `ignore: ${x.reason}` : x.decision;
    mix.set(key, (mix.get(key) ?? 0) + 1);
  }
  console.log(`mix: ${[...mix].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n} (${f1((100 * n) / s.length)} %)`).join(', ')}`);
  const slowest = [...s].sort((a, b) => b.decisionMs - a.decisionMs).slice(0, 5);
  console.log(`slowest: ${slowest.map((x) => `${f1(x.decisionMs)} ms (${x.decision === 'ignore' ? x.reason : x.decision}, at ${f1(x.atS)} s)`).join(', ')}`);
  const ends = [...phase.actions.values()];
  console.log(
    `actions decided (warm-up included): ${ends.length}, completed ${ends.filter((e) => e === 'action_completed').length}, ` +
      `failed ${ends.filter((e) => e === 'action_failed').length}, unfinished ${ends.filter((e) => e === undefined).length}; ` +
      `at most ${phase.peakInFlight} in flight at once; simulated swarm: ${swarmCalls}`,
  );
}

export interface IngestionRow {
  label: string;
  result: FloodResult;
  manager: ReturnType<typeof usageBetween>;
  client: ReturnType<typeof usageBetween>;
}

export function printIngestion(rows: IngestionRow[]): void {
  const t = new Table({ head: ['reports over HTTP, 100 nodes in turn', 'reports', 'reports/s', 'containers/s', 'answer median ms', 'p99 ms', 'errors', 'manager cores', 'client cores', 'machine busy cores'] });
  for (const { label, result, manager, client } of rows) {
    const r = summarizeLatencies(result.rttMs);
    t.push([
      label,
      result.reports,
      Math.round(result.reports / result.seconds),
      Math.round(result.containers / result.seconds),
      f3(r.median),
      f3(r.p99),
      result.errors,
      f3(manager.cores),
      f3(client.cores),
      `${f3(manager.machineBusyCores)} of ${f1(manager.machineCores)}`,
    ]);
  }
  console.log(`\n${t.toString()}`);
  console.log('answer: a POST /report\'s round trip; a stream\'s answer after its last line was written (what the manager still had to read)');
}

export interface Checkpoint {
  label: string;
  meter: MeterReading;
  memory: ManagerChildMemory;
}

export function printCheckpoints(points: Checkpoint[]): void {
  const t = new Table({ head: ['manager process, at', 'RSS MB', 'peak RSS MB', 'V8 heap used after GC, MB', 'CPU s since previous', 'cores', 'machine busy cores'] });
  points.forEach((p, i) => {
    const prev = points[i - 1];
    const u = prev ? usageBetween(prev.meter, p.meter) : undefined;
    t.push([p.label, f1(p.meter.rssMb), f1(p.meter.peakRssMb), f1(p.memory.heapUsed / MiB), f3(u ? u.cpuS : p.meter.cpuMs / 1000), u ? f3(u.cores) : '', u ? f3(u.machineBusyCores) : '']);
  });
  console.log(`\n${t.toString()}`);
}

export function printCeiling(steps: CeilingStep[], machineBusyCores: number): void {
  const t = new Table({ head: ['manager code per report, in-process, no HTTP', 'µs', 'reports/s on one core'] });
  for (const s of steps) t.push([s.step, f1(s.us), Math.round(1e6 / s.us)]);
  const total = steps.slice(0, 3).reduce((sum, c) => sum + c.us, 0);
  t.push(['a stream line: parse + check + handleColumns (every node in turn)', f1(total), Math.round(1e6 / total)]);
  console.log(`\n${t.toString()}`);
  console.log(`machine busy cores meanwhile (this process included): ${f3(machineBusyCores)}`);
}
