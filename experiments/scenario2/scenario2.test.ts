import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { scenario2Iteration } from '../../harness/lib/experiments/scenario2.ts';
import { resetApp } from '../../harness/lib/app-control.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
let run: ExperimentRun;

describe.sequential('scenario 2: proactive scale-up under traffic, scale-down after it', () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (!run) return;
    await resetApp(lab, run.ctx.docker); // as found, also after a failed iteration
    console.log(`report: ${await run.finish()}`);
  });

  for (let i = 1; i <= n; i++) {
    it(`iteration ${i}: web-stress scales up one replica at a time, back to ${lab.app.replicas} after the traffic, no request fails, SLOs hold`, async () => {
      const r = await run.iteration('scenario2', i, () => scenario2Iteration(run.ctx, i, run.offsets));
      expect(r.error).toBeUndefined();
      const m = r.measurements;
      expect(m.scale_up_count).toBeGreaterThanOrEqual(1);
      // one replica at a time: every scale-up added exactly one
      for (const s of r.params.scaleUps as { from: number; to: number }[]) expect(s.to - s.from).toBe(1);
      expect(m.max_replicas_reached).toBe(lab.app.replicas + (m.scale_up_count ?? 0));
      expect(m.scale_down_count).toBe(m.scale_up_count);
      expect(m.final_replicas).toBe(lab.app.replicas);
      expect(m.load_requests).toBeGreaterThan(0);
      expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
    });
  }
});
