import { writeFile } from 'node:fs/promises';
import { labFlag, helpFlag } from './cli-common.ts';
import { EXIT, errorExitCode, exitHelp } from './exit-codes.ts';
import Table from 'cli-table3';
import { loadLab, stateDir } from '../config/lab-config.ts';
import { parseFlags, UsageError } from './script-args.ts';
import { acquireLabLock } from '../../lab/lab-lock.ts';
import { measureClockOffsets } from '../cluster/lab-clocks.ts';
import { makeContext } from '../experiments/context.ts';
import { resetApp } from '../cluster/app-control.ts';
import { scenario2Iteration } from '../experiments/scenario2.ts';
import { SCENARIO2_TIMING } from '../experiments/scenario2-load.ts';
import { judgeIteration, iterationFailures } from '../experiments/judge.ts';
import { scenario2 } from '../experiments/scenario2.ts';
import type { SpreadStep } from '../experiments/load-spread.ts';

const t = SCENARIO2_TIMING;
const HELP = `usage: npx zx harness/scenario2.mjs [--cpus N] [--ramp-time s] [--hold-time s] [--scale-down-timeout s] [--json file] [--lab lab.yaml]
Scenario 2 once, on a lab where SwarmGuard is deployed. First a short calibration measures what an
/api/work request (CPU work and an answer in one) costs the replica and the host on this lab; from
it come the rates that put each replica at lab.yaml's experiments.traffic shares of its limit, one
level per scale-up up to experiments.traffic.target_replicas. Then the traffic from every load
generator through the entrypoint; prints the replicas and each replica's CPU and network while the
manager scales up, waits for the scale-down after the traffic, and prints the T-events of every
scale-up, the per-replica CPU after each step against old total / new count, and the failed requests.
  --cpus                the app's CPU limit to calibrate at and try first (default lab.yaml app.limits.cpus);
                        when the lab cannot carry the traffic at it, a smaller one that fits is used
  --ramp-time           seconds of ramp into each level (default ${t.rampS})
  --hold-time           seconds each level is held (default ${t.holdS})
  --scale-down-timeout  seconds to wait for the scale-down after the traffic (default 180)
  --json                also write the iteration's record (params, measurements, series) to this file
  --lab                 the lab description (default lab.yaml, or $SWARMGUARD_LAB)
Takes the lab lock (waits while an experiment or lab test runs).
${exitHelp({
  ok: 'every check held',
  failed: "a scenario-2 SLO failed (a failed request, target replicas not reached, a replica off the load split, a scale-down of more than one replica) or the service ended at another count than lab.yaml's replicas",
  errors: 'a bad lab.yaml, a lab or manager that cannot be reached, an iteration that could not be completed: a calibration that found no reachable load, no scale-down within --scale-down-timeout, a failed scale action',
})}`;

function int(name: string, raw: string | undefined, min: number, max: number, dflt: number): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || v < min || v > max) throw new UsageError(`--${name}: got "${raw}", expected a whole number from ${min} to ${max}`);
  return v;
}

const ms = (v: unknown) => (typeof v === 'number' ? `${Math.round(v)} ms` : '-');

export async function runScenario2Cli(argv: string[]): Promise<number> {
  let release: (() => Promise<void>) | undefined;
  try {
    const { values } = parseFlags(
      argv,
      {
        cpus: { type: 'string' },
        'ramp-time': { type: 'string' },
        'hold-time': { type: 'string' },
        'scale-down-timeout': { type: 'string' },
        json: { type: 'string' },
        lab: labFlag,
        help: helpFlag,
      },
      false,
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    let cpus: number | undefined;
    if (values.cpus !== undefined) {
      cpus = Number(values.cpus);
      if (!/^\d+(\.\d+)?$/.test(values.cpus) || cpus < 0.01 || cpus > 64) throw new UsageError(`--cpus: got "${values.cpus}", expected a number of CPUs from 0.01 to 64`);
    }
    const timing = { rampS: int('ramp-time', values['ramp-time'], 0, 600, t.rampS), holdS: int('hold-time', values['hold-time'], 1, 1800, t.holdS) };
    const scaleDownTimeoutMs = int('scale-down-timeout', values['scale-down-timeout'], 10, 1800, 180) * 1000;
    const lab = await loadLab(values.lab);
    release = await acquireLabLock(stateDir(lab), 'harness/scenario2.mjs');
    const health = await fetch(`${lab.manager_api}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (!health?.ok) throw new Error(`the SwarmGuard manager does not answer at ${lab.manager_api}/health: deploy it first (npx zx harness/deploy.mjs)`);
    const ctx = makeContext(lab, (l) => console.log(l));
    const offsets = await measureClockOffsets(lab);
    const { record } = await scenario2Iteration(ctx, 1, offsets, { cpus, timing, scaleDownTimeoutMs, progressEveryS: 2 }).finally(() => resetApp(lab, ctx.cluster));
    const p = record.params as { scaleUps: Record<string, unknown>[]; spread: (SpreadStep & { expectedFromBefore?: number })[]; scaleDowns: { from: number; to: number; afterTrafficMs: number | null }[] };

    const ups = new Table({ head: ['scale-up', 'replicas', 'T1−T0', 'T2−T1', 'T3−T2', 'T4−T3', 'T5−T4', 'T5−T0 (MTTR)'] });
    for (const u of p.scaleUps) ups.push([String(u.step), `${u.from} → ${u.to}`, ms(u.t1_t0_ms), ms(u.t2_t1_ms), ms(u.t3_t2_ms), ms(u.t4_t3_ms), ms(u.t5_t4_ms), ms(u.mttrMs)]);
    console.log(ups.toString());
    const spread = new Table({ head: ['after scale-up', 'old total CPU', 'predicted by the window before', 'measured / replica', 'their mean (total / n)', 'max deviation'] });
    for (const s of p.spread) spread.push([`${s.step} (${s.fromReplicas} → ${s.toReplicas})`, `${s.oldTotalCpu} %`, s.expectedFromBefore === undefined ? '—' : `${s.expectedFromBefore} %`, Object.entries(s.perReplica).map(([c, v]) => `${c.slice(0, 8)} ${v} %`).join(', '), `${s.expectedPerReplica} %`, `${s.maxDeviation} pts`]);
    console.log(spread.toString());
    const downs = new Table({ head: ['scale-down', 'replicas', 'done after the traffic'] });
    p.scaleDowns.forEach((s, i) => downs.push([i + 1, `${s.from} → ${s.to}`, s.afterTrafficMs === null ? '-' : `${(s.afterTrafficMs / 1000).toFixed(1)} s`]));
    console.log(downs.toString());
    const m = record.measurements;
    console.log(`failed requests: ${m.failed_requests} (probe ${m.probe_failed}, load ${m.load_failed} of ${m.load_requests}); downtime ${m.downtime_ms} ms; replicas at the end ${m.final_replicas}`);
    if (values.json) await writeFile(values.json, `${JSON.stringify(record, null, 2)}\n`);
    // judged as the full suite judges an iteration: scenario 2's declared thresholds (one with a
    // reference to another experiment is reported, not judged, with nothing else run)
    judgeIteration(record, [], scenario2.thresholds);
    const failures = iterationFailures(record);
    for (const f of failures) console.error(f.startsWith('error:') ? f : `SLO ${f}`);
    if (record.outcome === 'error') return EXIT.error;
    return failures.length === 0 ? EXIT.ok : EXIT.failed;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return errorExitCode(err);
  } finally {
    await release?.();
  }
}
