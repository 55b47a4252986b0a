import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { distributionChart } from './distribution-chart.ts';
import type { JournalData } from './journal-schema.ts';
import { phaseChart } from './phase-chart.ts';
import { makeFixtureJournal } from './report-fixture.ts';
import { renderRunChart, runChartFiles } from './run-charts.ts';

let root: string;
let data: JournalData;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'run-charts-'));
  data = (await makeFixtureJournal(root)).toJSON();
});
afterEach(async () => rm(root, { recursive: true, force: true }));

const count = (svg: string, cls: string) => svg.split(`class="${cls}"`).length - 1;

describe('run charts', () => {
  it('are the MTTR and downtime distributions and the phase breakdown, when the run has data for them', () => {
    expect(runChartFiles(data).map((f) => f.file)).toEqual(['mttr-distribution.svg', 'downtime-distribution.svg', 'phase-breakdown.svg']);
    const onlyBadInput = { ...data, iterations: data.iterations.filter((i) => i.experiment === 'bad-input') };
    expect(runChartFiles(onlyBadInput)).toEqual([]);
  });

  it('put the reactive baseline first and beside it every proactive experiment: each iteration, the median and its CI', () => {
    const svg = renderRunChart(data, runChartFiles(data)[0]);
    const groups = [...svg.matchAll(/<g class="dist-group" data-experiment="([^"]+)" data-role="([^"]+)">/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(groups).toEqual(['baseline:reactive', 'scenario1:proactive', 'scenario2:proactive']);
    expect(count(svg, 'dist-point')).toBe(3 + 4 + 1);
    expect(count(svg, 'dist-median')).toBe(3);
    expect(count(svg, 'dist-ci')).toBe(2); // scenario2 has one MTTR: no interval
    expect(svg).toContain('>n = 1 of 2</text>');
    expect(svg).toContain('<title>median 7.630</title>'); // seconds
    expect(renderRunChart(data, runChartFiles(data)[0])).toBe(svg);
  });

  it('stack the six T-intervals of each experiment that has them', () => {
    const svg = renderRunChart(data, runChartFiles(data)[2]);
    expect([...svg.matchAll(/class="phase-row" data-experiment="([^"]+)"/g)].map((m) => m[1])).toEqual(['scenario1', 'scenario2']);
    expect(count(svg, 'phase')).toBe(12);
    expect(svg).toContain('scenario2 T6−T5 (old task removed): not measured (median, n = 0 of 2)');
    expect(svg).toContain('scenario1 T1−T0 (detect → alert): 505.9 ms (median, n = 4)');
  });

  it('draw an empty distribution and a negative median without NaN', () => {
    const empty = distributionChart('t', 'MTTR (s)', [{ label: 'baseline', role: 'reactive', values: [], m: 2, median: null, ci: null }]);
    const phases = phaseChart('t', [{ experiment: 'x', segments: [{ label: 'T2−T1', medianMs: -0.03, n: 1, m: 1 }] }]);
    for (const svg of [empty, phases]) expect(svg).not.toMatch(/NaN|Infinity/);
    expect(phases).toContain('width="0.00"');
  });
});
