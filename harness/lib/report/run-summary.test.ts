import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { JournalData } from './journal-schema.ts';
import { loadJournal } from './journal.ts';
import { FIXTURE_RUN_ID, makeFixtureJournal } from './report-fixture.ts';
import { buildRunSummary, renderRunSummary, runSummarySchema, SUMMARY_FILE, type SloIterationVerdict } from './run-summary.ts';
import type { Verdict } from './slo.ts';

let root: string;
let data: JournalData;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'summary-'));
  data = (await makeFixtureJournal(root)).toJSON();
});
afterEach(async () => rm(root, { recursive: true, force: true }));

describe('run summary', () => {
  it('parses against its own schema after a round trip through JSON text', () => {
    const text = renderRunSummary(data);
    const parsed = runSummarySchema.parse(JSON.parse(text));
    expect(parsed).toMatchObject({ schemaVersion: 1, runId: FIXTURE_RUN_ID, commit: 'abc1234def0', endedAt: '2026-12-05T18:28:00.000Z' });
    expect(renderRunSummary(data)).toBe(text);
  });

  it('gives each experiment its role, outcomes and the compared metrics with median, p95 and bootstrap CI', () => {
    const s = buildRunSummary(data);
    expect(s.experiments.map((e) => [e.name, e.role, e.iterations])).toEqual([
      ['baseline', 'reactive', 3], ['scenario1', 'proactive', 4], ['scenario2', 'proactive', 2], ['bad-input', 'other', 1],
    ]);
    const base = s.experiments[0];
    expect(base.outcomes).toEqual({ passed: 3, failed: 0, error: 0 });
    expect(base.metrics.mttr_ms).toMatchObject({ n: 3, m: 3, median: 7630.2 });
    expect(base.metrics.mttr_ms!.medianCi95![0]).toBeGreaterThanOrEqual(7253.8);
    expect(base.metrics.mttr_ms!.medianCi95![1]).toBeLessThanOrEqual(7648.0);
    expect(base.rankTests).toEqual({});
    const s2 = s.experiments[2];
    expect(s2.outcomes).toEqual({ passed: 1, failed: 1, error: 0 });
    expect(s2.metrics.mttr_ms).toMatchObject({ n: 1, m: 2, median: 3051.7, medianCi95: null });
    expect(s.experiments[3].metrics).toEqual({});
  });

  it('carries the rank test of each proactive experiment against the baseline', () => {
    const s1 = buildRunSummary(data).experiments[1];
    // every migration faster than every kill -9 recovery: U = 0; 4 against 3 without ties: exact, p = 2/C(7, 3) = 2/35
    expect(s1.rankTests.mttr_ms).toEqual({ against: 'baseline', u: 0, n: 4, nAgainst: 3, p: 2 / 35, method: 'exact' });
    // zero downtime in all four ties within the sample: normal approximation
    expect(s1.rankTests.downtime_ms).toMatchObject({ u: 0, method: 'normal' });
  });

  it("aggregates the journal's SLO verdicts per SLO, keeping each iteration's as slo.ts gives it", () => {
    const slos = buildRunSummary(data).slos;
    expect(slos.map((x) => [x.name, x.verdict, x.passed, x.failed, x.notEvaluated])).toEqual([
      ['s1-mttr-under-10s', 'pass', 4, 0, 0],
      ['s1-no-failed-requests', 'pass', 4, 0, 0],
      ['s2-scale-up-under-5s', 'fail', 1, 1, 0],
      ['s2-mttr-below-baseline', 'not evaluated', 0, 0, 1],
    ]);
    expect(slos[2].iterations[1]).toEqual({
      name: 's2-scale-up-under-5s', experiment: 'scenario2', iteration: 2, metric: 'scale_up_max_ms', op: '<', limit: 5000, value: null, pass: false,
      description: 'Scenario 2: every scale-up T5 − T4 < 5 s', reason: 'scale_up_max_ms was not measured',
    });
    expectTypeOf<Verdict>().toExtend<SloIterationVerdict>();
  });

  it('rejects a summary that does not fit, naming the key', () => {
    const bad = { ...buildRunSummary(data), schemaVersion: 2 };
    expect(() => runSummarySchema.parse(bad)).toThrow(/schemaVersion/);
  });
});

describe('the committed example summaries', () => {
  it('are what renderRunSummary makes of their raw data, byte for byte', async () => {
    const raw = path.join('results', 'raw');
    const runs = (await readdir(raw)).filter((id) => existsSync(path.join(raw, id, SUMMARY_FILE)));
    expect(runs.length).toBeGreaterThan(0);
    for (const id of runs) {
      const text = renderRunSummary(await loadJournal(path.join(raw, id)));
      expect(text, `results/raw/${id}/${SUMMARY_FILE} differs from what harness/report.mjs renders; regenerate it`).toBe(await readFile(path.join(raw, id, SUMMARY_FILE), 'utf8'));
    }
  });
});
