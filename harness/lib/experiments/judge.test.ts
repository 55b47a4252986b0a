import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IterationRecord } from '../report/journal-schema.ts';
import { iterationFailures, judgeIteration } from './judge.ts';
import type { MeasurementRow } from '../report/slo.ts';
import { SLOS } from './registry.ts';

/** The example journals committed under results/raw: real runs of the full suite. */
function recordedJournals(): { name: string; iterations: IterationRecord[] }[] {
  const files = execFileSync('git', ['ls-files', 'results/raw/*/journal.json'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return files.map((f) => ({ name: f, iterations: (JSON.parse(readFileSync(f, 'utf8')) as { iterations: IterationRecord[] }).iterations }));
}

const record = (experiment: string, iteration: number, measurements: Record<string, number | null>, error?: string): IterationRecord => ({
  experiment, iteration, params: {}, startedAt: 0, endedAt: 1, events: [],
  probes: { summary: { samples: 10, failed: 0, downtimeMs: 0 } },
  outcome: error ? 'error' : 'passed', ...(error ? { error } : {}), measurements, slo: [],
});

/** A run as the full suite would record it now: swarm alone, then the manager's detection, one of them failing, one erring. */
const synthetic: IterationRecord[] = [
  record('node-failure', 1, { migrations: 1, recovery_ms: 18_000, bystander_failed_requests: null, failed_requests: 180 }),
  record('node-failure', 2, { migrations: 1, recovery_ms: 19_000, bystander_failed_requests: null, failed_requests: 190 }),
  record('node-failure', 3, { migrations: 1, recovery_ms: null, bystander_failed_requests: 0, failed_requests: 0 }),
  record('node-failure', 4, { migrations: 1, recovery_ms: null, bystander_failed_requests: 3, failed_requests: 3 }),
  record('node-detection', 1, { recovery_ms: 2700, detected_before_swarm_ms: 11_000, evacuations: 1, tasks_moved_by_restore: 0, exclusion_left: 0 }),
  record('node-detection', 2, { recovery_ms: 4300, detected_before_swarm_ms: 11_000, evacuations: 1, tasks_moved_by_restore: 0, exclusion_left: 0 }),
  record('node-detection', 3, {}, 'the manager to find worker-2 failed: not within 20000 ms'),
];

/**
 * The full suite's path: ExperimentRun.iteration judges each iteration in run order
 * (judgeIteration) and the report shows the outcome. vitest's path: experimentSuite asserts
 * iterationFailures(record) empty. Both must pass and fail the same iterations.
 */
function bothPaths(iterations: readonly IterationRecord[]) {
  const rows: MeasurementRow[] = [];
  return iterations.map((original) => {
    const fresh = { ...structuredClone(original), slo: [], outcome: original.outcome === 'error' ? ('error' as const) : ('passed' as const) };
    const judged = judgeIteration(fresh, rows, SLOS);
    return { judged, suitePassed: judged.outcome === 'passed', vitestFailures: iterationFailures(judged) };
  });
}

describe('one judgement for the full suite and vitest', () => {
  it.each(recordedJournals())('$name: every iteration passes through both paths alike, and every verdict recorded then comes out the same', ({ iterations }) => {
    expect(iterations.length).toBeGreaterThan(0);
    for (const [i, r] of bothPaths(iterations).entries()) {
      expect(r.vitestFailures.length === 0, `${r.judged.experiment} #${r.judged.iteration}`).toBe(r.suitePassed);
      for (const then of iterations[i]!.slo) {
        expect(r.judged.slo.find((v) => v.name === then.name)?.pass, `${then.name} of ${r.judged.experiment} #${r.judged.iteration}`).toBe(then.pass);
      }
    }
  });

  it('a run of node-failure and node-detection: the same iterations fail on both paths, for the reasons declared', () => {
    const results = bothPaths(synthetic);
    expect(results.map((r) => r.suitePassed)).toEqual([true, true, true, false, true, false, false]);
    expect(results.map((r) => r.vitestFailures.length === 0)).toEqual(results.map((r) => r.suitePassed));
    // the bystander threshold is judged where it is measured only
    expect(results[0]!.judged.slo.find((v) => v.name === 'node-failure-bystander-unharmed')).toMatchObject({ pass: null });
    expect(results[3]!.vitestFailures).toEqual([expect.stringMatching(/^node-failure-bystander-unharmed: bystander_failed_requests measured 3, limit == 0/)]);
    // 4.3 s fails both the 4 s bound and nothing else; the reference is the median of swarm alone (18.5 s)
    expect(results[5]!.vitestFailures).toEqual([expect.stringMatching(/^node-detection-served-in-4s: recovery_ms measured 4300, limit <= 4000/)]);
    expect(results[4]!.judged.slo.find((v) => v.name === 'node-detection-faster-than-swarm')).toMatchObject({ pass: true, limit: 18_500 });
    expect(results[6]!.vitestFailures[0]).toBe('error: the manager to find worker-2 failed: not within 20000 ms');
  });
});
