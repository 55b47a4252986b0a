import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { ALERT_RESUME_POLLS, agentRestartIteration } from '../../harness/lib/experiments/reliability/agent-restart.ts';
import { addReliabilityRow } from '../../harness/lib/experiments/reliability/reliability-row.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);
const pollMs = lab.swarmguard.config.monitoring.poll_interval * 1000;
let run: ExperimentRun;

describe.sequential('agent restart: a killed agent comes back and its alerts flow again', () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (!run) return;
    await addReliabilityRow(run.journal, 'agent-restart');
    console.log(`report: ${await run.finish()}`);
  });

  for (let i = 1; i <= n; i++) {
    it(`iteration ${i}: swarm restarts the agent, an alert arrives within ${ALERT_RESUME_POLLS} poll intervals of its start, the task migrates`, async () => {
      const r = await run.iteration('agent-restart', i, () => agentRestartIteration(run.ctx, i, run.offsets));
      expect(r.error).toBeUndefined();
      expect(r.measurements.agent_restart_ms).toBeGreaterThan(0);
      expect(r.measurements.reports_resume_ms).toBeGreaterThanOrEqual(0);
      expect(r.measurements.alerts_resume_ms).toBeLessThanOrEqual(ALERT_RESUME_POLLS * pollMs);
      expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
      expect(r.params.to).not.toBe(r.params.from);
    }, 300_000);
  }
});
