import type { LabConfig } from '../harness/lib/config/lab-config.ts';

/** Iterations of an experiment: SWARMGUARD_ITERATIONS overrides lab.yaml's experiments.iterations. */
export function iterationsFor(lab: LabConfig): number {
  const raw = process.env.SWARMGUARD_ITERATIONS;
  if (raw === undefined || raw === '') return lab.experiments.iterations;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`SWARMGUARD_ITERATIONS: got ${JSON.stringify(raw)}, expected a whole number from 1 to 1000`);
  return n;
}
