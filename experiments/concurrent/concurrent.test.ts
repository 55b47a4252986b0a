import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { roles, concurrentIteration } from '../../harness/lib/experiments/reliability/concurrent.ts';
import { addReliabilityRow } from '../../harness/lib/experiments/reliability/reliability-row.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
let run: ExperimentRun;

describe.sequential('concurrent faults: CPU on A, traffic on B, memory on C at once; each service recovers by its own action', () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (!run) return;
    await addReliabilityRow(run.journal, 'concurrent');
    console.log(`report: ${await run.finish()}`);
  });

  for (let i = 1; i <= n; i++) {
    it(`iteration ${i}: A and C migrate, B scales up, 0 failed probe requests on each, no action on another service, no failed action`, async () => {
      const r = await run.iteration('concurrent', i, () => concurrentIteration(run.ctx, i, run.offsets));
      expect(r.error).toBeUndefined();
      const m = r.measurements;
      for (const role of roles(lab)) {
        expect(m[`${role.key}_probe_samples`], `${role.app.name} probed`).toBeGreaterThan(0);
        expect(m[`${role.key}_failed_requests`], `${role.app.name} failed probe requests`).toBe(0);
        expect(m[`${role.key}_mttr_ms`], `${role.app.name} MTTR`).toBeGreaterThan(0);
      }
      const actions = r.params.actions as { service: string; action: string; completed: boolean }[];
      for (const a of actions) expect(`${a.service}: ${a.action}`).toBe(`${a.service}: ${roles(lab).find((x) => x.app.name === a.service)?.expect ?? 'no action'}`);
      expect(actions.every((a) => a.completed)).toBe(true);
      expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
      expect(r.endedAt - r.startedAt).toBeLessThan(120_000);
    }, 300_000);
  }
});
