import { writeFile } from 'node:fs/promises';
import { parseFlags, UsageError } from './script-args.ts';
import { runCli, positiveNumber, labFlag, helpFlag } from './cli-common.ts';
import { loadLab } from '../config/lab-config.ts';
import { AvailabilityProbe } from '../probe/probe.ts';
import { summarizeDowntime } from '../probe/downtime.ts';
import { formatProbeRows, PROBE_CSV_HEADER } from '../report/probe-csv.ts';
import { formatMs } from '../report/format.ts';
import { exitHelp } from './exit-codes.ts';

const HELP = `usage: npx zx harness/probe.mjs --duration SECONDS [--target URL] [--interval 0.1] [--output probes.csv] [--lab lab.yaml]
  Sends GET --target (default: the lab's entrypoint + experiments.probe_path) every --interval seconds for
  --duration seconds (at most 3600), each on a fresh connection with a 1 s timeout; writes every
  sample to --output (CSV) and prints the downtime summary.
${exitHelp({ ok: 'no probe failed', failed: 'a probe failed' })}`;

export function main(argv: string[]): Promise<number> {
  return runCli('probe', HELP, async () => {
    const { values } = parseFlags(argv, {
      target: { type: 'string' }, interval: { type: 'string' }, duration: { type: 'string' }, output: { type: 'string' }, lab: labFlag, help: helpFlag,
    }, false);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (values.duration === undefined) throw new UsageError('--duration is required (seconds, at most 3600): every probe run is bounded');
    const durationS = positiveNumber('duration', values.duration, 0, 3600);
    const intervalS = positiveNumber('interval', values.interval, 0.1, 60);
    const target: string = values.target ?? (await loadLab(values.lab).then((lab) => `${lab.entrypoint}${lab.experiments.probe_path}`));
    const probe = new AvailabilityProbe({ url: target, intervalMs: intervalS * 1000, durationMs: durationS * 1000 });
    let last = 0;
    const result = await new Promise<Awaited<ReturnType<AvailabilityProbe['start']>>>((resolve, reject) => {
      const stop = () => void probe.stop().then(resolve, reject);
      process.once('SIGINT', stop);
      const timer = setInterval(() => {
        const s = probe.snapshot();
        const failed = s.filter((x) => !x.ok).length;
        if (s.length !== last) process.stderr.write(`\r${s.length} probes, ${failed} failed`);
        last = s.length;
      }, 1000);
      probe.start().then((r) => {
        clearInterval(timer);
        process.off('SIGINT', stop);
        resolve(r);
      }, reject);
    });
    process.stderr.write('\n');
    const down = summarizeDowntime(result.samples);
    if (values.output) {
      const rows = result.samples.map((s) => ({ ...s, experiment: 'probe', iteration: 1, source: 'control' }));
      await writeFile(values.output, `${PROBE_CSV_HEADER}\n${formatProbeRows(rows)}`);
    }
    console.log(`${target}: ${result.samples.length} probes, ${down.failed} failed, downtime ${formatMs(down.downtimeMs)} in ${down.intervals.length} interval(s)`);
    for (const i of down.intervals) console.log(`  down from +${formatMs(i.start - result.startedAt)} for ${formatMs(i.durationMs)} (${i.failed} failed)${i.open ? ', still down at the end' : ''}`);
    console.log(`probe jitter: mean ${formatMs(result.jitter.meanMs)}, p95 ${formatMs(result.jitter.p95Ms)}, max ${formatMs(result.jitter.maxMs)}, ${result.jitter.skipped} skipped`);
    return down.failed > 0 ? 1 : 0;
  });
}
