import { writeFile } from 'node:fs/promises';
import { labFlag, helpFlag } from './cli/cli-common.ts';
import Table from 'cli-table3';
import { loadLab, stateDir } from './lab-config.ts';
import { parseFlags, UsageError } from './script-args.ts';
import { acquireLabLock } from '../lab/lab-lock.ts';
import { measureClockOffsets } from './lab-clocks.ts';
import { makeContext } from './experiments/context.ts';
import { resetApp } from './app-control.ts';
import { scenario2Iteration } from './experiments/scenario2.ts';
import { DEFAULT_SCENARIO2_LOAD, type Scenario2Load } from './experiments/scenario2-load.ts';
import type { SpreadStep } from './experiments/load-spread.ts';

const d = DEFAULT_SCENARIO2_LOAD;
const HELP = `usage: npx zx harness/scenario2.mjs [--pi-levels 7,17] [--pi-iterations N] [--data-rps N] [--data-kb N]
                                     [--ramp-time s] [--hold-time s] [--scale-down-timeout s] [--json file] [--lab lab.yaml]
Scenario 2 once, on a lab where SwarmGuard is deployed: traffic from every load generator (CPU-heavy
/compute/pi and network-heavy /api/data through the entrypoint) in levels; prints the replicas and
each replica's CPU and network while the manager scales up, then waits for the scale-down after the
traffic, and prints the T-events of every scale-up, the per-replica CPU after each step against
old total / new count, and the failed requests. Rates are totals over all load generators.
  --pi-levels           total pi rps of each level, comma-separated (default ${d.piLevels.join(',')})
  --pi-iterations       iterations per pi request (default ${d.piIterations})
  --data-rps            total rps of /api/data (default ${d.dataRps})
  --data-kb             KiB per /api/data answer (default ${d.dataKb})
  --ramp-time           seconds of ramp into each level (default ${d.rampS})
  --hold-time           seconds each level is held (default ${d.holdS})
  --scale-down-timeout  seconds to wait for the scale-down after the traffic (default 180)
  --json                also write the iteration's record (params, measurements, series) to this file
  --lab                 the lab description (default lab.yaml, or $SWARMGUARD_LAB)
Takes the lab lock (waits while an experiment or lab test runs). Exit code 1 when a request failed,
no scale-up happened or the service did not come back to its replicas.`;

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
        'pi-levels': { type: 'string' },
        'pi-iterations': { type: 'string' },
        'data-rps': { type: 'string' },
        'data-kb': { type: 'string' },
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
    const levels = (values['pi-levels'] ?? d.piLevels.join(',')).split(',').map((x) => int('pi-levels', x.trim(), 1, 500, 0));
    if (levels.length > 10) throw new UsageError(`--pi-levels: ${levels.length} levels, at most 10`);
    const load: Scenario2Load = {
      ...d,
      piLevels: levels,
      piIterations: int('pi-iterations', values['pi-iterations'], 1, 50_000_000, d.piIterations),
      dataRps: int('data-rps', values['data-rps'], 1, 500, d.dataRps),
      dataKb: int('data-kb', values['data-kb'], 1, 10_240, d.dataKb),
      rampS: int('ramp-time', values['ramp-time'], 0, 600, d.rampS),
      holdS: int('hold-time', values['hold-time'], 1, 1800, d.holdS),
    };
    const scaleDownTimeoutMs = int('scale-down-timeout', values['scale-down-timeout'], 10, 1800, 180) * 1000;
    const lab = await loadLab(values.lab);
    release = await acquireLabLock(stateDir(lab), 'harness/scenario2.mjs');
    const health = await fetch(`${lab.manager_api}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (!health?.ok) throw new Error(`the SwarmGuard manager does not answer at ${lab.manager_api}/health: deploy it first (npx zx harness/deploy.mjs)`);
    const ctx = makeContext(lab, (l) => console.log(l));
    const offsets = await measureClockOffsets(lab);
    const { record } = await scenario2Iteration(ctx, 1, offsets, { load, scaleDownTimeoutMs, progressEveryS: 2 }).finally(() => resetApp(lab, ctx.docker));
    const p = record.params as { scaleUps: Record<string, unknown>[]; spread: SpreadStep[]; scaleDowns: { from: number; to: number; afterTrafficMs: number | null }[] };

    const ups = new Table({ head: ['scale-up', 'replicas', 'T1−T0', 'T2−T1', 'T3−T2', 'T4−T3', 'T5−T4', 'T5−T0 (MTTR)'] });
    for (const u of p.scaleUps) ups.push([String(u.step), `${u.from} → ${u.to}`, ms(u.t1_t0_ms), ms(u.t2_t1_ms), ms(u.t3_t2_ms), ms(u.t4_t3_ms), ms(u.t5_t4_ms), ms(u.mttrMs)]);
    console.log(ups.toString());
    const spread = new Table({ head: ['after scale-up', 'old total CPU', 'expected / replica', 'measured / replica', 'max deviation'] });
    for (const s of p.spread) spread.push([`${s.step} (${s.fromReplicas} → ${s.toReplicas})`, `${s.oldTotalCpu} %`, `${s.expectedPerReplica} %`, Object.entries(s.perReplica).map(([c, v]) => `${c.slice(0, 8)} ${v} %`).join(', '), `${s.maxDeviation} pts`]);
    console.log(spread.toString());
    const downs = new Table({ head: ['scale-down', 'replicas', 'done after the traffic'] });
    p.scaleDowns.forEach((s, i) => downs.push([i + 1, `${s.from} → ${s.to}`, s.afterTrafficMs === null ? '-' : `${(s.afterTrafficMs / 1000).toFixed(1)} s`]));
    console.log(downs.toString());
    const m = record.measurements;
    console.log(`failed requests: ${m.failed_requests} (probe ${m.probe_failed}, load ${m.load_failed} of ${m.load_requests}); downtime ${m.downtime_ms} ms; replicas at the end ${m.final_replicas}`);
    if (values.json) await writeFile(values.json, `${JSON.stringify(record, null, 2)}\n`);
    if (record.error) console.error(`error: ${record.error}`);
    const ok = !record.error && (m.failed_requests ?? 1) === 0 && (m.scale_up_count ?? 0) >= 1 && m.final_replicas === lab.app.replicas;
    return ok ? 0 : 1;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await release?.();
  }
}
