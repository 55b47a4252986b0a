import { parseFlags, UsageError } from './script-args.ts';
import { runCli, withLab, positiveInt, labFlag, helpFlag } from './cli-common.ts';
import { EXPERIMENTS } from '../experiments/registry.ts';
import { elapsedLog, runExperiments } from './run-experiments.ts';
import { RUN_EXIT_HELP } from './exit-codes.ts';

/** An entry script for one experiment of the registry (baseline.mjs, scenario1.mjs …). */
export function experimentMain(name: string, describe: string, argv: string[]): Promise<number> {
  const variants = EXPERIMENTS[name] ?? [];
  const labels = variants.map((v) => v.label.split(' ')[0].toLowerCase());
  const variantHelp = variants.length > 1 ? ` [--variant ${labels.join('|')}]` : '';
  const help = `usage: npx zx harness/${name}.mjs [--iterations N]${variantHelp} [--lab lab.yaml] [--out results]\n  ${describe}\n  Writes <out>/<run-id>.md and <out>/raw/<run-id>/ (journal.json, probes.csv, junit.xml, charts). The lab stays up.\n${RUN_EXIT_HELP}`;
  return runCli(name, help, async () => {
    const { values } = parseFlags(argv, { iterations: { type: 'string' }, variant: { type: 'string' }, lab: labFlag, out: { type: 'string', default: 'results' }, help: helpFlag }, false);
    if (values.help) {
      console.log(help);
      return 0;
    }
    let chosen = variants;
    if (values.variant !== undefined) {
      chosen = variants.filter((_, i) => labels[i] === values.variant);
      if (chosen.length === 0) throw new UsageError(`--variant: got ${JSON.stringify(values.variant)}, expected one of ${labels.join(', ')}`);
    }
    return withLab(values.lab, name, async (lab) =>
      runExperiments(lab, chosen, { labFile: values.lab, iterations: positiveInt('iterations', values.iterations, lab.experiments.iterations), outDir: values.out, log: elapsedLog() }),
    );
  });
}
