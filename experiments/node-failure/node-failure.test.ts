import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { nodeFailureIteration, type FailedNode } from '../../harness/lib/experiments/reliability/node-failure.ts';
import { addReliabilityRow } from '../../harness/lib/experiments/reliability/reliability-row.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
let run: ExperimentRun;

describe.sequential('node failure: swarm reschedules, the manager logs the dead node, keeps migrating, never onto it', () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (!run) return;
    await addReliabilityRow(run.journal, 'node-failure');
    console.log(`report: ${await run.finish()}`);
  });

  let k = 0;
  for (const which of ['task-node', 'other-node'] as FailedNode[]) {
    for (let i = 1; i <= n; i++) {
      const iteration = ++k;
      it(`${which}, iteration ${i}: node Down logged, service served, migration off the dead node, node back Ready with its agent`, async () => {
        const r = await run.iteration('node-failure', iteration, () => nodeFailureIteration(run.ctx, iteration, run.offsets, which));
        expect(r.error).toBeUndefined();
        expect(r.measurements.swarm_down_ms).toBeGreaterThan(0);
        expect(r.measurements.manager_down_ms).toBeGreaterThan(0);
        expect(r.measurements.agent_silent_ms).toBeGreaterThan(0);
        if (which === 'task-node') expect(r.measurements.recovery_ms).toBeLessThan(60_000);
        // the dead node held no task: nothing a client sees may fail
        else expect(r.measurements.failed_requests).toBe(0);
        expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
        expect(r.params.to).not.toBe(r.params.victim);
        expect(r.params.to).not.toBe(r.params.from);
        expect(r.params.constraints).not.toContain(`node.hostname==${String(r.params.victim)}`);
        expect(r.measurements.rejoin_ms).toBeGreaterThan(0);
        expect(r.measurements.agent_back_ms).toBeGreaterThan(0);
        expect(r.measurements.reporting_again_ms).toBeGreaterThan(0);
      }, 300_000);
    }
  }
});
