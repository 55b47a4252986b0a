import { loadLab, stateDir, swarmNodes, type LabConfig } from '../config/lab-config.ts';
import { labFlag, helpFlag } from './cli-common.ts';
import { errorExitCode, exitHelp } from './exit-codes.ts';
import { parseFlags, UsageError } from './script-args.ts';
import { acquireLabLock } from '../../lab/lab-lock.ts';
import { LoadGenerators, splitRates } from '../load/load-generators.ts';
import { parseLoadLog, rateSchedule } from '../load/load-script.ts';

const HELP = `usage: npx zx harness/load.mjs --target <path|URL> --rps N [--ramp-time s] [--hold-time s] [--ramp-down-time s]
                                [--timeout s] [--lab lab.yaml]
Sends HTTP GET load from every load generator of the lab (over SSH, a generated sh script with
curl or wget): a linear ramp to --rps, a hold, a ramp down. Prints the achieved rate every second
and a summary; stops every script it started on exit, error or Ctrl-C.
  --target           a path on the lab's entrypoint (/compute/pi?iterations=5000000, /api/data?kb=256)
                     or a full http URL on one of the lab's own addresses
  --rps              total requests per second at the peak, over all load generators (1..2000)
  --ramp-time        seconds from 0 to --rps (default 10)
  --hold-time        seconds at --rps (default 30)
  --ramp-down-time   seconds from --rps to 0 (default 10)
  --timeout          per-request timeout in seconds (default 5)
  --lab              the lab description (default lab.yaml, or $SWARMGUARD_LAB)
Takes the lab lock (waits while an experiment or lab test runs).
${exitHelp({ ok: 'the load ran to its end; 130 interrupted (Ctrl-C, SIGTERM)', errors: 'a bad lab.yaml, a load generator that cannot be reached' })}`;

function intFlag(name: string, raw: string | undefined, min: number, max: number, dflt?: number): number {
  if (raw === undefined) {
    if (dflt === undefined) throw new UsageError(`--${name} is required (see --help)`);
    return dflt;
  }
  const v = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name}: got "${raw}", expected a whole number from ${min} to ${max}`);
  return v;
}

/** The target as a URL; only the lab's own addresses (traffic must stay in the lab). */
export function resolveTarget(lab: LabConfig, target: string): string {
  if (target.startsWith('/')) return new URL(target, lab.entrypoint).href;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`--target: got "${target}", expected a path starting with / or an http URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target: got ${url.protocol} URL, expected http(s)`);
  const own = new Set([new URL(lab.entrypoint).hostname, new URL(lab.manager_api).hostname, ...swarmNodes(lab).map((n) => n.address), ...(lab.network ? [lab.network.host_address] : [])]);
  if (!own.has(url.hostname)) throw new UsageError(`--target: ${url.hostname} is not an address of lab ${lab.name} (${[...own].join(', ')})`);
  return url.href;
}

export async function runLoadCli(argv: string[]): Promise<number> {
  let gens: LoadGenerators | undefined;
  let release: (() => Promise<void>) | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  try {
    const { values } = parseFlags(
      argv,
      {
        target: { type: 'string' },
        rps: { type: 'string' },
        'ramp-time': { type: 'string' },
        'hold-time': { type: 'string' },
        'ramp-down-time': { type: 'string' },
        timeout: { type: 'string' },
        lab: labFlag,
        help: helpFlag,
      },
      false,
    );
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (!values.target) throw new UsageError('--target is required (see --help)');
    const plan = {
      peakRps: intFlag('rps', values.rps, 1, 2000),
      rampUpS: intFlag('ramp-time', values['ramp-time'], 0, 3600, 10),
      holdS: intFlag('hold-time', values['hold-time'], 0, 3600, 30),
      rampDownS: intFlag('ramp-down-time', values['ramp-down-time'], 0, 3600, 10),
    };
    const timeoutS = intFlag('timeout', values.timeout, 1, 60, 5);
    const lab = await loadLab(values.lab);
    const url = resolveTarget(lab, values.target);
    const rates = rateSchedule(plan);
    release = await acquireLabLock(stateDir(lab), 'harness/load.mjs');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    gens = await LoadGenerators.connect(lab, { stopOnSignal: false, log: (l) => console.log(l) });
    console.log(`${url}: ${plan.peakRps} rps at the peak over ${gens.generators.join(', ')}; ${rates.length} s`);
    await gens.start([{ name: 'load', url, shape: (i, n) => ({ rates: splitRates(rates, i, n) }), maxDurationS: rates.length + 10, timeoutS }]);
    const started = Math.floor(Date.now() / 1000);
    const until = Date.now() + (rates.length + timeoutS + 15) * 1000;
    let shown = started - 1;
    while (!interrupted && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1000));
      await gens.poll();
      const all = parseLoadLog(gens.logs().map((l) => l.text).join('\n'));
      // a request is logged when it ends, under the second it was sent in: show a second 2 s later
      // (a request slower than that still counts in the summary)
      const ready = gens.running ? Math.floor(Date.now() / 1000) - 2 : Infinity;
      for (const s of all.perSecond.filter((p) => p.second > shown && p.second <= ready)) {
        const i = s.second - started;
        console.log(`+${String(i).padStart(4)} s  target ${String(rates[i] ?? 0).padStart(4)} rps  achieved ${String(s.sent).padStart(4)}  failed ${s.failed}  mean ${s.meanLatencyMs === null ? '-' : `${s.meanLatencyMs.toFixed(0)} ms`}`);
        shown = s.second;
      }
      if (!gens.running) break;
    }
    if (interrupted) console.log('interrupted: stopping the load');
    await gens.stop();
    const total = parseLoadLog(gens.logs().map((l) => l.text).join('\n'));
    for (const l of gens.logs()) {
      const s = parseLoadLog(l.text);
      console.log(`${l.generator}: ${s.sent} sent, ${s.ok} ok, ${s.failed} failed`);
    }
    console.log(`total: ${total.sent} sent, ${total.ok} ok, ${total.failed} failed (non-2xx or no answer within ${timeoutS} s)`);
    return interrupted ? 130 : 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return errorExitCode(err);
  } finally {
    await gens?.stop().catch((err: Error) => console.error(`error: ${err.message}`));
    await release?.();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
