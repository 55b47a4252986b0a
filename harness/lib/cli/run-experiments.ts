import type { LabConfig } from '../config/lab-config.ts';
import { LocalLab } from '../../lab/local-lab.ts';
import { deploySystem } from '../cluster/deploy.ts';
import { checkRemoteLab } from '../remote/preflight.ts';
import { ExperimentRun } from '../experiments/experiment-run.ts';
import { resetApp } from '../cluster/app-control.ts';
import type { ExperimentVariant } from '../experiments/registry.ts';
import { iterationsOf } from '../experiments/experiment.ts';
import { summaryTable } from './suite-summary.ts';
import { addReliabilityRow, isReliabilityExperiment } from '../experiments/reliability/reliability-row.ts';
import { runExitCode } from './exit-codes.ts';

export interface RunOptions {
  labFile: string;
  iterations: number;
  outDir: string;
  log: (line: string) => void;
}

/**
 * Lab up (local), SwarmGuard deployed, each variant × iterations recorded in one journal, report
 * written, summary printed. Returns the exit status of the iterations (exit-codes.ts): 2 when one
 * erred, else 1 when one failed an SLO or its checks; what throws before or after is the caller's 2.
 */
export async function runExperiments(lab: LabConfig, variants: ExperimentVariant[], opts: RunOptions): Promise<number> {
  const { log } = opts;
  if (lab.kind === 'local') {
    log('lab up');
    await new LocalLab(lab).up();
  } else {
    // a bad host fails here, named, before anything is deployed or changed
    const needsLogins = variants.some((v) => v.experiment === 'node-failure' || v.experiment === 'node-detection');
    for (const c of await checkRemoteLab(lab, { nodeLogins: needsLogins })) log(`remote lab: ${c.detail}`);
  }
  log('deploying SwarmGuard');
  const d = await deploySystem(lab);
  log(`deployed in ${d.seconds.toFixed(1)} s`);
  const run = await ExperimentRun.open(lab, { labFile: opts.labFile, outDir: opts.outDir, log });
  log(`run ${run.journal.runId}: ${[...new Set(variants.map((v) => v.experiment))].join(', ')} × ${opts.iterations}`);
  const counters = new Map<string, number>();
  for (const skipped of variants.filter((v) => v.supports && !v.supports(lab))) log(`${skipped.experiment} (${skipped.label}) skipped: not for a ${lab.kind} lab`);
  for (const variant of variants.filter((v) => !v.supports || v.supports(lab))) {
    const n = iterationsOf(variant, opts.iterations);
    if (n < opts.iterations) log(`${variant.experiment} (${variant.label}): ${n} iteration(s), its most per run (it repeats its measurements within one)`);
    for (let i = 1; i <= n; i++) {
      const iteration = (counters.get(variant.experiment) ?? 0) + 1;
      counters.set(variant.experiment, iteration);
      log(`${variant.experiment} (${variant.label}) iteration ${i}/${n}`);
      const r = await run.iteration(variant.experiment, iteration, () => variant.run(run.ctx, iteration, run.offsets));
      const failed = r.slo.filter((v) => v.pass === false).map((v) => v.name);
      log(`${variant.experiment} #${iteration}: ${r.outcome}${failed.length ? ` (${failed.join(', ')})` : ''}${r.error ? ` — ${r.error}` : ''}`);
    }
  }
  await resetApp(lab, run.ctx.cluster).catch((err: Error) => log(`reset after the run failed: ${err.message}`));
  for (const e of new Set(variants.map((v) => v.experiment))) if (isReliabilityExperiment(e)) await addReliabilityRow(run.journal, e);
  const report = await run.finish();
  console.log(summaryTable(run.journal.toJSON()));
  log(`report: ${report}`);
  log(`raw data: ${run.journal.dir}`);
  return runExitCode(run.journal.iterations);
}

export function elapsedLog(): (line: string) => void {
  const started = performance.now();
  return (line) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
}
