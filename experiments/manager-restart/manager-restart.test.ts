import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { managerRestartIteration } from '../../harness/lib/experiments/reliability/manager-restart.ts';
import { addReliabilityRow } from '../../harness/lib/experiments/reliability/reliability-row.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
let run: ExperimentRun;

describe.sequential('manager restart mid-migration: one move, one task on a healthy node, no constraint left', () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (!run) return;
    await addReliabilityRow(run.journal, 'manager-restart');
    console.log(`report: ${await run.finish()}`);
  });

  for (let i = 1; i <= n; i++) {
    it(`iteration ${i}: SIGKILL between T4 and T6; after the restart the task moved without a forced update, no node.hostname constraint`, async () => {
      const r = await run.iteration('manager-restart', i, () => managerRestartIteration(run.ctx, i, run.offsets));
      expect(r.error).toBeUndefined();
      expect(r.params.oldTaskAtKill).toMatch(/^running/); // killed before T6
      expect(r.params.updateStateAtKill).toBe('updating');
      expect(r.params.to).not.toBe(r.params.from);
      expect(r.params.constraintsAfter).toEqual(['node.role==worker']);
      expect([null, 'completed']).toContain(r.params.updateStateAfter);
      expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
      expect(r.measurements.reconcile_ms).toBeGreaterThan(0);
    }, 300_000);
  }
});
