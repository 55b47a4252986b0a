import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentRun } from '../harness/lib/experiments/experiment-run.ts';
import { REGISTRY } from '../harness/lib/experiments/registry.ts';
import { addReliabilityRow, isReliabilityExperiment } from '../harness/lib/experiments/reliability/reliability-row.ts';
import { iterationFailures } from '../harness/lib/experiments/judge.ts';
import { loadLab } from '../harness/lib/config/lab-config.ts';
import { iterationsFor } from './iterations.ts';
import { iterationsOf } from '../harness/lib/experiments/experiment.ts';

/**
 * One experiment of the registry as a vitest suite: each variant × `experiments.iterations`
 * (SWARMGUARD_ITERATIONS), run and judged exactly as the full suite runs and judges it
 * (ExperimentRun.iteration). A test fails when the iteration erred or failed a declared threshold,
 * and for nothing else: the checks live with the experiment, not here.
 */
export async function experimentSuite(name: string): Promise<void> {
  const experiment = REGISTRY.find((e) => e.name === name);
  if (!experiment) throw new Error(`no experiment ${JSON.stringify(name)} in the registry: ${REGISTRY.map((e) => e.name).join(', ')}`);
  const { title, variants } = experiment;
  const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
  const lab = await loadLab(labFile);
  const n = iterationsFor(lab);
  let run: ExperimentRun | undefined;

  describe.sequential(title, () => {
    beforeAll(async () => {
      run = await ExperimentRun.open(lab, { labFile });
    });
    afterAll(async () => {
      if (!run) return;
      if (isReliabilityExperiment(name)) await addReliabilityRow(run.journal, name);
      console.log(`report: ${await run.finish()}`);
    });

    let k = 0;
    for (const variant of variants) {
      const supported = !variant.supports || variant.supports(lab);
      for (let i = 1; i <= iterationsOf(variant, n); i++) {
        const iteration = ++k;
        it.skipIf(!supported)(`${variant.label}, iteration ${i}: no error, every declared threshold holds`, async () => {
          const r = await run!.iteration(name, iteration, () => variant.run(run!.ctx, iteration, run!.offsets));
          expect(iterationFailures(r)).toEqual([]);
        }, 600_000);
      }
    }
  });
}
