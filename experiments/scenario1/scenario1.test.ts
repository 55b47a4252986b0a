import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { scenario1Iteration, type Scenario1Stress } from '../../harness/lib/experiments/scenario1.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
let run: ExperimentRun;

describe.sequential('scenario 1: proactive migration with zero downtime', () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (run) console.log(`report: ${await run.finish()}`);
  });

  let k = 0;
  for (const stress of ['cpu', 'memory'] as Scenario1Stress[]) {
    for (let i = 1; i <= n; i++) {
      const iteration = ++k;
      it(`${stress} stress, iteration ${i}: the task moves to another node, no request fails, SLOs hold`, async () => {
        const r = await run.iteration('scenario1', iteration, () => scenario1Iteration(run.ctx, iteration, stress, run.offsets));
        expect(r.error).toBeUndefined();
        expect(r.params.to).not.toBe(r.params.from);
        expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
      });
    }
  }
});
