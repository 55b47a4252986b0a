import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatMetric, formatMs, mdTable } from './format.ts';
import type { IterationRecord, JournalData } from './journal-schema.ts';
import { Journal, loadJournal } from './journal.ts';
import { chartFiles, renderReport, writeCharts } from './report.ts';
import type { ProbeSample } from '../config/types.ts';

const T = 1_795_373_000_000;

function it_(experiment: string, iteration: number, measurements: Record<string, number | null>, extra: Partial<IterationRecord> = {}): IterationRecord {
  const startedAt = T + iteration * 100_000 + (experiment === 'baseline' ? 0 : 1_000_000);
  return {
    experiment, iteration, params: { target: 90, stress: 'cpu' }, startedAt, endedAt: startedAt + 42_500,
    events: [], probes: { summary: { samples: 0, failed: 0, downtimeMs: 0 } }, outcome: 'passed', measurements, slo: [], ...extra,
  };
}

function probeSamples(start: number): ProbeSample[] {
  return Array.from({ length: 20 }, (_, i) => ({ seq: i, sentAt: start + i * 100, status: i === 5 ? 503 : 200, ok: i !== 5, latencyMs: 4, servedBy: 'c', node: 'w1' }));
}

let root: string;
let journal: Journal;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'report-'));
  journal = await Journal.create(root, {
    gitCommit: '467f390', versions: { node: 'v20.20.2', docker: '27.3.1' }, lab: 'local: 1 manager + 3 workers',
    configHash: '0123456789ab', startedAt: '2026-11-22T19:05:00.000Z', endedAt: '2026-11-22T19:35:00.000Z',
    clockOffsets: [{ node: 'worker-2', offsetMs: 12.34, uncertaintyMs: 0.4, rttMs: 0.8, samples: 5 }, { node: 'manager-1', offsetMs: 0, uncertaintyMs: 0.1, rttMs: 0.2, samples: 5 }],
  }, '2026-11-22T19-05-00Z-abc1234');
  await journal.addIteration(it_('baseline', 1, { mttr_ms: 8000, downtime_ms: 7900, failed_requests: 79 }, { marks: [{ label: 'kill', t: T + 110_000 }] }), []);
  await journal.addIteration(it_('baseline', 2, { mttr_ms: 12000, downtime_ms: 11800, failed_requests: 118 }));
  const s1 = it_('scenario1', 1, { mttr_ms: 4000, downtime_ms: 0, failed_requests: 0, t1_t0_ms: 1000.4, t2_t1_ms: 2.25, t3_t2_ms: 10, t4_t3_ms: 5, t5_t4_ms: 2500, t6_t5_ms: 482.35 }, {
    probes: { summary: { samples: 20, failed: 1, downtimeMs: 100 } },
    marks: [{ label: 'T0', t: T + 1_101_000 }, { label: 'T6', t: T + 1_105_000 }],
    series: { replicas: [{ t: T + 1_100_000, replicas: 1 }, { t: T + 1_104_000, replicas: 2 }], containers: [{ t: T + 1_100_000, container: 'c', cpu: 80, memMb: 100, rxMbps: 1, txMbps: 1 }, { t: T + 1_101_000, container: 'c', cpu: 90, memMb: 110, rxMbps: 1, txMbps: 1 }] },
    slo: [
      { name: 's1-mttr-under-10s', metric: 'mttr_ms', op: '<', limit: 10_000, value: 4000, pass: true, description: 'Scenario 1: MTTR (T6 − T0) < 10 s' },
      { name: 's1-no-failed-requests', metric: 'failed_requests', op: '==', limit: 0, value: 1, pass: false, description: 'Scenario 1: no failed requests' },
    ],
    outcome: 'failed',
  });
  await journal.addIteration(s1, [{ source: 'control', samples: probeSamples(T + 1_100_000) }, { source: 'lg-1', samples: probeSamples(T + 1_100_050) }]);
  await journal.addIteration(it_('scenario1', 2, { mttr_ms: 6000, downtime_ms: 0, failed_requests: 0, t2_t1_ms: 3.75 }));
});
afterEach(async () => rm(root, { recursive: true, force: true }));

describe('renderReport', () => {
  it('is byte-identical for the same journal, also after a round trip through disk', async () => {
    const md = renderReport(journal.toJSON());
    expect(renderReport(await loadJournal(journal.dir))).toBe(md);
    expect(md.endsWith('\n')).toBe(true);
  });

  it('has every section of DESIGN.md §7, in order, with run metadata', () => {
    const md = renderReport(journal.toJSON());
    const sections = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['Run', 'SLO verdicts', 'Experiment: baseline', 'Experiment: scenario1', 'Proactive vs reactive', 'T0–T6 breakdown', 'Clock offsets', 'Charts']);
    for (const text of ['467f390', 'local: 1 manager + 3 workers', '0123456789ab', '2026-11-22T19:05:00.000Z → 2026-11-22T19:35:00.000Z', '| version: docker | 27.3.1 |']) expect(md).toContain(text);
  });

  it("states the entrypoint's retry policy, the drain and the probe path; an older journal says they were not recorded", () => {
    const old = renderReport(journal.toJSON());
    for (const row of ['| entrypoint retries | not recorded |', '| drain after SIGTERM | not recorded |', '| probe path | not recorded |']) expect(old).toContain(row);
    const data = journal.toJSON();
    data.meta = { ...data.meta, entrypointRetries: 'none', drainMs: 1000, probePath: '/ping' };
    const md = renderReport(data);
    expect(md).toContain("| entrypoint retries | none: the balancer retries nothing, failed requests are the application's own |");
    expect(md).toContain('| drain after SIGTERM | 1.00 s |');
    expect(md).toContain('| probe path | /ping |');
    expect(md).not.toContain('| drainMs |'); // not listed a second time among the other metadata
  });

  it('shows SLO verdicts with measured value and limit', () => {
    const md = renderReport(journal.toJSON());
    expect(md).toContain('**1 SLO check(s) failed**: 1 passed, 1 failed, 0 not evaluated.');
    expect(md).toContain('| Scenario 1: no failed requests | scenario1 | 1 | 1 | == 0 | **FAIL** |');
    expect(md).toContain('| Scenario 1: MTTR (T6 − T0) < 10 s | scenario1 | 1 | 4.00 s | < 10.00 s | pass |');
  });

  it('computes statistics and the proactive vs reactive improvement', () => {
    const md = renderReport(journal.toJSON());
    // baseline MTTR 8 s and 12 s: mean 10 s, stdev 2.83 s, CI with t(1) = 12.706
    expect(md).toContain('| MTTR | 2 | 10.00 s | 10.00 s | 11.80 s | 8.00 s | 12.00 s | 2.83 s | -15.41 s … 35.41 s |');
    // scenario1 mean 5 s vs baseline 10 s
    // medians with their bootstrap interval (two values: the interval is the pair), and the rank test:
    // both proactive MTTRs below both reactive ones, U = 0, exact p = 2 / C(4, 2) = 0.333
    expect(md).toContain('| MTTR | scenario1 | 2 | 2 | 10.00 s | 5.00 s | 50.0 % | 10.00 s [8.00 s … 12.00 s] | 5.00 s [4.00 s … 6.00 s] | 50.0 % | 0 | 0.333 | exact |');
    // two zero downtimes tie: normal approximation (scipy 1.17.1, method "asymptotic": p = 0.2206713619)
    expect(md).toContain('| downtime | scenario1 | 2 | 2 | 9.85 s | 0.0 ms | 100.0 % | 9.85 s [7.90 s … 11.80 s] | 0.0 ms [0.0 ms … 0.0 ms] | 100.0 % | 0 | 0.221 | normal approx., tie-corrected |');
    expect(md).toContain('U is the Mann–Whitney statistic of the proactive values against the reactive ones');
    expect(md).toContain('| scenario1 | T2−T1 (alert latency) | 2 | 3.0 ms | 3.0 ms |');
    // scenario1 #2 has no T6: the mean rests on one of the two iterations, and says so
    expect(md).toContain('| scenario1 | T6−T5 (old task removed) | 1 of 2 | 482.4 ms | 482.4 ms |');
    expect(md).not.toContain('| baseline | MTTR |'); // reactive MTTR is not a T-interval
  });

  it('lists clock offsets and links the charts that writeCharts writes', async () => {
    const data = journal.toJSON();
    const md = renderReport(data);
    expect(md).toContain('| manager-1 | 0.0 ms | ± 0.1 ms | 0.2 ms | 5 |');
    expect(md).toContain('| worker-2 | 12.3 ms | ± 0.4 ms | 0.8 ms | 5 |');
    const links = [...md.matchAll(/\]\((raw\/[^)]+)\)/g)].map((m) => m[1]);
    const charts = 'raw/2026-11-22T19-05-00Z-abc1234/charts';
    // the run's figures beside the comparison and the breakdown, then each iteration's charts
    expect(links).toEqual([
      ...['mttr-distribution', 'downtime-distribution', 'phase-breakdown'].map((f) => `${charts}/${f}.svg`),
      ...['availability', 'replicas', 'resources'].map((k) => `${charts}/scenario1-1-${k}.svg`),
    ]);
    const written = await writeCharts(data, journal.dir);
    expect(written.map((f) => path.relative(root, f))).toEqual(links.slice(3).map((l) => l.replace('raw/', '')));
    const first = await readFile(written[0], 'utf8');
    expect(first).toContain('>lg-1</text>');
    expect(first).toContain('>T6</text>');
    await writeCharts(data, journal.dir);
    expect(await readFile(written[0], 'utf8')).toBe(first);
    expect(await readdir(path.join(journal.dir, 'charts'))).toHaveLength(3);
  });

  it('adds a Reliability section only when the journal has one', async () => {
    expect(renderReport(journal.toJSON())).not.toContain('## Reliability');
    await journal.setReliability([{ name: 'manager restart mid-action', trials: 4, passed: 3, notes: 'one | retried' }]);
    const md = renderReport(journal.toJSON());
    expect(md).toContain('## Reliability');
    expect(md).toContain('| manager restart mid-action | 4 | 3 | 75.0 % | one \\| retried |');
  });

  it('shows failed/sent, downtime, jitter and clock offset per probe source; a journal without sources as control', async () => {
    const sources = {
      control: { samples: 600, failed: 65, downtimeMs: 6500, jitter: { meanMs: 0.4, p95Ms: 1.2, maxMs: 3.5, skipped: 0 } },
      'alpine-1': { samples: 598, failed: 66, downtimeMs: 6600, jitter: { meanMs: 9.1, p95Ms: 14.2, maxMs: 30, skipped: 1 }, clockOffsetMs: -0.3, clockUncertaintyMs: 1.1, clock: 'date-ns' },
    };
    await journal.addIteration(it_('baseline', 3, { mttr_ms: 7000, downtime_ms: 6600, failed_requests: 131 }, {
      probes: { summary: { samples: 1198, failed: 131, downtimeMs: 6600, sources } },
      params: { killed: 'abc', load: { levels: Array.from({ length: 30 }, (_, i) => i * 10) } },
    }));
    const md = renderReport(journal.toJSON());
    const section = md.slice(md.indexOf('### Probes by source'), md.indexOf('### Statistics'));
    expect(section).toContain('| 3 | control | 65 / 600 | 6.50 s | 0.4 ms | 1.2 ms | 3.5 ms | 0 | reference |');
    expect(section).toContain('| 3 | alpine-1 | 66 / 598 | 6.60 s | 9.1 ms | 14.2 ms | 30.0 ms | 1 | -0.3 ms ± 1.1 ms (date-ns) |');
    expect(section).not.toMatch(/^\| [12] \|/m); // baseline #1 and #2 recorded no samples
    // an old journal's single summary is the control host's
    expect(md).toContain('| 1 | control | 1 / 20 | 100.0 ms | — | — | — | — | reference |');
    // parameters leave the iteration table: short ones on a line, long ones in a block of their own
    expect(md).not.toMatch(/\| parameters \|/);
    expect(md).toContain('**Iteration 3**: killed=abc');
    expect(md).toContain('`load`:\n\n```json\n{\n  "levels": [');
  });

  it('counts an iteration without a value as "n of m" in statistics, comparison and breakdown', async () => {
    // a baseline that never recovered (mttr null) and a scenario-1 iteration the runner recorded as an error (no measurements at all)
    await journal.addIteration(it_('baseline', 3, { mttr_ms: null, downtime_ms: 60_000, failed_requests: 600 }, { outcome: 'error', error: 'no new container served within 60000 ms of the kill' }));
    await journal.addIteration(it_('scenario1', 3, {}, { outcome: 'error', error: 'timeout' }));
    const md = renderReport(journal.toJSON());
    const stats = (e: string) => md.slice(md.indexOf(`## Experiment: ${e}`)).split('### Statistics')[1].split('###')[0];
    expect(stats('baseline')).toContain('| MTTR | 2 of 3 | 10.00 s | 10.00 s |');
    expect(stats('baseline')).toContain('| downtime | 3 |');
    expect(stats('scenario1')).toContain('| MTTR | 2 of 3 | 5.00 s |');
    expect(stats('scenario1')).toContain('| T6−T5 (old task removed) | 1 of 3 |');
    // the improvement says over which iterations it was computed
    expect(md).toContain('| MTTR | scenario1 | 2 of 3 | 2 of 3 | 10.00 s | 5.00 s | 50.0 % (over reactive 2 of 3, proactive 2 of 3) |');
    expect(md).toContain('| downtime | scenario1 | 3 | 2 of 3 |');
    expect(md).toContain('| scenario1 | MTTR | 2 of 3 | 5.00 s | 5.00 s |');
    expect(md).toContain('| scenario1 | T6−T5 (old task removed) | 1 of 3 |');
    expect(md).toContain('| 3 | error: timeout | 42.50 s | — |');
  });

  it('still lists a proactive experiment none of whose iterations got an MTTR', async () => {
    const data = journal.toJSON();
    data.iterations = data.iterations.map((it) => (it.experiment === 'scenario1' ? { ...it, measurements: { ...it.measurements, mttr_ms: null } } : it));
    const md = renderReport(data);
    expect(md).toContain('| MTTR | scenario1 | 2 | 0 of 2 | 10.00 s | — | — (over proactive 0 of 2) |');
  });

  it("marks a migration whose old task was gone before its replacement was ready, from the parameter or the manager's event", async () => {
    await journal.addIteration(it_('scenario1', 3, { mttr_ms: 5000 }, { params: { old_task_gone_before_replacement: true } }));
    await journal.addIteration(it_('scenario1', 4, { mttr_ms: 5000 }, {
      events: [{ component: 'manager', node: 'manager-1', event: 'old_task_removed', phase: 'T6', t: T, actionId: 'a', beforeReplacement: true }],
    }));
    const md = renderReport(journal.toJSON());
    expect(md).toContain('| 3 | passed (old task gone before the replacement was ready) |');
    expect(md).toContain('| 4 | passed (old task gone before the replacement was ready) |');
    expect(md).toMatch(/\| 2 \| passed \| 42\.50 s \|/);
  });

  it('shows measurements taken at two sizes of the lab side by side, and leaves them out of the iterations table', () => {
    const scale = it_('scale', 1, { base_nodes: 4, scaled_nodes: 10, base_mttr_median_ms: 3115, scaled_mttr_median_ms: 3100, base_only_ms: 5, mttr_ratio_pct: 99.5 });
    const md = renderReport({ ...journal.toJSON(), iterations: [scale] });
    const section = md.slice(md.indexOf('## Experiment: scale'));
    expect(section).toContain('### At two sizes of the lab');
    expect(section).toContain('| 1 | nodes | 4 | 10 |');
    expect(section).toContain('| 1 | mttr_median_ms | 3.12 s | 3.10 s |');
    const iterations = section.slice(section.indexOf('### Iterations'), section.indexOf('### Probes by source'));
    expect(iterations).toContain('mttr_ratio_pct');
    expect(iterations).toContain('base_only_ms'); // measured at one size only: stays in the iterations table
    expect(iterations).not.toContain('base_mttr_median_ms');
  });

  it('renders an empty run without throwing', () => {
    const empty: JournalData = { ...journal.toJSON(), iterations: [] };
    const md = renderReport(empty);
    expect(md).toContain('No SLO was evaluated in this run.');
    expect(chartFiles(empty)).toEqual([]);
  });
});

describe('the committed example reports', () => {
  it('are what renderReport makes of their raw data, byte for byte', async () => {
    // Only the reports the repository keeps: a user's own local runs were rendered by whatever
    // version of the code made them, and are theirs to regenerate.
    const kept = new Set(execFileSync('git', ['ls-files', 'results'], { encoding: 'utf8' }).split('\n'));
    const runs = (await readdir(path.join('results', 'raw'))).filter((id) => kept.has(`results/${id}.md`) && existsSync(path.join('results', `${id}.md`)));
    expect(runs.length).toBeGreaterThan(0);
    for (const id of runs) {
      const md = renderReport(await loadJournal(path.join('results', 'raw', id)));
      expect(md, `results/${id}.md differs from what harness/report.mjs renders; regenerate it`).toBe(await readFile(path.join('results', `${id}.md`), 'utf8'));
    }
  });
});

describe('format', () => {
  it('formats durations, counts and tables consistently', () => {
    expect([formatMs(0), formatMs(999.94), formatMs(1000), formatMs(12345.6), formatMs(null)]).toEqual(['0.0 ms', '999.9 ms', '1.00 s', '12.35 s', '—']);
    expect(formatMetric('failed_requests', 3)).toBe('3');
    expect(mdTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | ---: |\n| 1 | 2 |');
  });
});
