import { parseFlags, UsageError } from './script-args.ts';
import { runCli, withLab, positiveInt, labFlag, helpFlag } from './cli-common.ts';
import { LocalLab } from '../../lab/local-lab.ts';
import { EXPERIMENTS } from '../experiments/registry.ts';
import { elapsedLog, runExperiments } from './run-experiments.ts';
import { RUN_EXIT_HELP } from './exit-codes.ts';

const HELP = `usage: npx zx harness/full-suite.mjs [--iterations N] [--only baseline,scenario1,…] [--lab lab.yaml] [--out results] [--keep-lab]
  Brings the lab up (local lab), deploys SwarmGuard, runs every experiment N times, writes
  <out>/<run-id>.md with its raw data in <out>/raw/<run-id>/ (journal.json, probes.csv, junit.xml,
  charts) and prints a summary.
  --iterations N   iterations of each experiment (default: lab.yaml experiments.iterations)
  --only list      experiments to run, of: ${Object.keys(EXPERIMENTS).join(', ')}
  --keep-lab       leave the local lab up afterwards (default: lab down at the end)
${RUN_EXIT_HELP}`;

export function main(argv: string[]): Promise<number> {
  return runCli('full-suite', HELP, async () => {
    const { values } = parseFlags(argv, {
      iterations: { type: 'string' },
      only: { type: 'string' },
      lab: labFlag,
      out: { type: 'string', default: 'results' },
      'keep-lab': { type: 'boolean', default: false },
      help: helpFlag,
    }, false);
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(EXPERIMENTS);
    const unknown = only.filter((o) => !EXPERIMENTS[o]);
    if (unknown.length) throw new UsageError(`--only: unknown experiment ${unknown.join(', ')}; known: ${Object.keys(EXPERIMENTS).join(', ')}`);
    const log = elapsedLog();

    return withLab(values.lab, 'full-suite', async (lab) => {
      const iterations = positiveInt('iterations', values.iterations, lab.experiments.iterations);
      const local = lab.kind === 'local' ? new LocalLab(lab) : undefined;
      try {
        // experiments run in registry order (the baseline first), whatever order --only gives
        const variants = Object.keys(EXPERIMENTS).filter((e) => only.includes(e)).flatMap((e) => EXPERIMENTS[e]);
        return await runExperiments(lab, variants, { labFile: values.lab, iterations, outDir: values.out, log });
      } finally {
        if (local && !values['keep-lab']) {
          log('lab down (--keep-lab leaves it up)');
          await local.down();
        }
      }
    });
  });
}
