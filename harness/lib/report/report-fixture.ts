import type { IterationRecord } from './journal-schema.ts';
import { Journal } from './journal.ts';
import type { ProbeSample } from '../config/types.ts';

/**
 * A small synthetic run for the report tests, with figures of the order of the local lab's
 * (2026-12-05 runs): a reactive baseline, migrations with every T-interval, scale-ups without T6,
 * one iteration with probe samples (so there is a per-iteration chart), SLO verdicts of each kind.
 */
export const FIXTURE_RUN_ID = '2026-12-05T18-06-00Z-abc1234';
const T = 1_796_494_000_000;

function iteration(experiment: string, n: number, measurements: Record<string, number | null>, extra: Partial<IterationRecord> = {}): IterationRecord {
  const startedAt = T + n * 60_000 + experiment.length * 1_000_000;
  return {
    experiment, iteration: n, params: {}, startedAt, endedAt: startedAt + 40_000, events: [],
    probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } }, outcome: 'passed', measurements, slo: [], ...extra,
  };
}

function samples(start: number, failFrom: number, failTo: number): ProbeSample[] {
  return Array.from({ length: 120 }, (_, i) => {
    const ok = i < failFrom || i >= failTo;
    return { seq: i, sentAt: start + i * 100, status: ok ? 200 : 0, ok, latencyMs: ok ? 3 + (i % 7) : 1000, servedBy: i < failTo ? 'old' : 'new', node: 'worker-1' };
  });
}

const phases = (t1: number, t2: number, t3: number, t4: number, t5: number, t6: number | null) =>
  ({ t1_t0_ms: t1, t2_t1_ms: t2, t3_t2_ms: t3, t4_t3_ms: t4, t5_t4_ms: t5, ...(t6 === null ? {} : { t6_t5_ms: t6 }) });

export async function makeFixtureJournal(rawDir: string): Promise<Journal> {
  const j = await Journal.create(rawDir, {
    gitCommit: 'abc1234def0', versions: { node: 'v20.20.2', docker: '20.10.24' }, lab: 'local: 1 manager + 3 workers',
    configHash: '0123456789ab', startedAt: '2026-12-05T18:06:00.000Z', endedAt: '2026-12-05T18:28:00.000Z',
  }, FIXTURE_RUN_ID);
  const baseline = [[7253.8, 7568.5, 213], [7648.0, 7949.6, 214], [7630.2, 8337.3, 203]];
  for (const [k, [mttr, down, failed]] of baseline.entries()) {
    const it = iteration('baseline', k + 1, { mttr_ms: mttr, downtime_ms: down, failed_requests: failed }, { marks: [{ label: 'kill', t: T + 5_000 }] });
    if (k === 0) {
      it.probes = { summary: { samples: 120, failed: 76, downtimeMs: down } };
      await j.addIteration(it, [{ source: 'control', samples: samples(it.startedAt, 20, 96) }]);
    } else await j.addIteration(it);
  }
  const s1 = [
    [5908.7, phases(505.2, 3.6, 19.4, 19.9, 2630.7, 2729.9)],
    [5954.8, phases(506.6, 5.3, 11.2, 29.2, 2671.2, 2731.5)],
    [6662.5, phases(507.4, 2.9, 17.4, 26.1, 3472.4, 2636.3)],
    [6302.9, phases(504.1, -0.03, 18.6, 25.4, 2993.2, 2760.1)],
  ] as const;
  for (const [k, [mttr, p]] of s1.entries()) {
    await j.addIteration(iteration('scenario1', k + 1, { mttr_ms: mttr, downtime_ms: 0, failed_requests: 0, ...p }, {
      slo: [
        { name: 's1-mttr-under-10s', metric: 'mttr_ms', op: '<', limit: 10_000, value: mttr, pass: true, description: 'Scenario 1: MTTR (max(T5, T6) − T0) < 10 s' },
        { name: 's1-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, value: 0, pass: true, description: 'Scenario 1: no failed requests' },
      ],
    }));
  }
  await j.addIteration(iteration('scenario2', 1, { mttr_ms: 3051.7, downtime_ms: 0, failed_requests: 0, scale_up_max_ms: 3113.6, ...phases(500.1, 4.6, 24, 30.2, 2497.1, null) }, {
    slo: [{ name: 's2-scale-up-under-5s', metric: 'scale_up_max_ms', op: '<', limit: 5_000, value: 3113.6, pass: true, description: 'Scenario 2: every scale-up T5 − T4 < 5 s' }],
  }));
  await j.addIteration(iteration('scenario2', 2, { mttr_ms: null, downtime_ms: 0, failed_requests: 1, scale_up_max_ms: null }, {
    outcome: 'failed',
    slo: [
      { name: 's2-scale-up-under-5s', metric: 'scale_up_max_ms', op: '<', limit: 5_000, value: null, pass: false, description: 'Scenario 2: every scale-up T5 − T4 < 5 s', reason: 'scale_up_max_ms was not measured' },
      { name: 's2-mttr-below-baseline', metric: 'mttr_ms', op: '<', limit: null, value: null, pass: null, description: 'not evaluated on purpose', reason: 'baseline was not run' },
    ],
  }));
  await j.addIteration(iteration('bad-input', 1, { bad_inputs_tried: 2702, unexpected_answers: 0 }));
  return j;
}
