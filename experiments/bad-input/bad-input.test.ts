import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../../harness/lib/lab-config.ts';
import { ExperimentRun } from '../../harness/lib/experiment-run.ts';
import { BAD_INPUT_DEFAULTS, badInputIteration } from '../../harness/lib/experiments/reliability/bad-input.ts';
import { addReliabilityRow } from '../../harness/lib/experiments/reliability/reliability-row.ts';
import { iterationsFor } from '../iterations.ts';

const labFile = process.env.SWARMGUARD_LAB ?? 'lab.yaml';
const lab = await loadLab(labFile);
const n = iterationsFor(lab);

/** SWARMGUARD_BAD_INPUT_PAYLOADS: random manager payloads per iteration (default 10,000, the count). */
function payloads(): number {
  const raw = process.env.SWARMGUARD_BAD_INPUT_PAYLOADS;
  if (raw === undefined || raw === '') return BAD_INPUT_DEFAULTS.payloads;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0 || v > 100_000) throw new Error(`SWARMGUARD_BAD_INPUT_PAYLOADS: got ${JSON.stringify(raw)}, expected a whole number from 0 to 100000`);
  return v;
}

let run: ExperimentRun;

describe.sequential('bad input: the manager, web-stress and the lab.yaml loader answer every bad input by the contract', () => {
  beforeAll(async () => {
    run = await ExperimentRun.open(lab, { labFile });
  });
  afterAll(async () => {
    if (!run) return;
    await addReliabilityRow(run.journal, 'bad-input');
    console.log(`report: ${await run.finish()}`);
  });

  for (let i = 1; i <= n; i++) {
    it(`iteration ${i}: every answer 4xx or ignored with a logged reason, manager up, no swarm change`, async () => {
      const r = await run.iteration('bad-input', i, () => badInputIteration(run.ctx, i, run.offsets, { payloads: payloads(), labFile }));
      expect(r.error).toBeUndefined();
      expect(r.measurements.bad_inputs_tried).toBeGreaterThanOrEqual(payloads());
      expect(r.slo.filter((v) => v.pass === false).map((v) => `${v.metric}=${v.value} (limit ${v.op} ${v.limit})`)).toEqual([]);
      expect(r.measurements.manager_send_ms).toBeLessThan(60_000);
    }, 180_000);
  }
});
