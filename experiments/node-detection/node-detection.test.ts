import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { nodeDetectionIteration } from '../../harness/lib/experiments/reliability/node-failure.ts';
import { addReliabilityRow } from '../../harness/lib/experiments/reliability/reliability-row.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
let run: ExperimentRun;

describe.sequential("node detection: the manager finds the task's node failed before swarm, moves the task off, and lifts the exclusion when it is back", () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (!run) return;
    await addReliabilityRow(run.journal, 'node-detection');
    console.log(`report: ${await run.finish()}`);
  });

  for (let i = 1; i <= n; i++) {
    it(`iteration ${i}: failed before swarm's Down, served again, one evacuation, the node back moves nothing`, async () => {
      const r = await run.iteration('node-detection', i, () => nodeDetectionIteration(run.ctx, i, run.offsets));
      expect(r.error).toBeUndefined();
      expect(r.measurements.detected_ms).toBeLessThan(r.measurements.swarm_down_ms!);
      expect(r.params.to).not.toBe(r.params.victim);
      expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.name}: ${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
    }, 300_000);
  }
});
