import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { baselineIteration } from '../../harness/lib/experiments/baseline.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
let run: ExperimentRun;

describe.sequential("baseline: Docker Swarm's reactive recovery after kill -9", () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (run) console.log(`report: ${await run.finish()}`);
  });

  for (let i = 1; i <= n; i++) {
    it(`iteration ${i}: a new container serves traffic again, MTTR and downtime measured`, async () => {
      const r = await run.iteration('baseline', i, () => baselineIteration(run.ctx, i, run.offsets));
      expect(r.error).toBeUndefined();
      expect(r.measurements.mttr_ms).toBeGreaterThan(0);
      // a kill -9 of the only replica is an outage swarm cannot hide: the probe must have seen it
      expect(r.measurements.failed_requests).toBeGreaterThan(0);
    });
  }
});
