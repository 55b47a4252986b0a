import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BASELINE, experimentsOf, iterationsOf, measured, metricStats, proactiveExperiments } from './comparison.ts';
import { distributionChart, type DistributionGroup } from './distribution-chart.ts';
import { DELTA_KEYS } from '../events/events.ts';
import { metricLabel } from './format.ts';
import type { JournalData } from './journal-schema.ts';
import { phaseChart, type PhaseRow } from './phase-chart.ts';

/** The run's figures over all iterations (the thesis figures), beside the per-iteration charts. */
export type RunChartKind = 'mttr' | 'downtime' | 'phases';

export interface RunChartFile {
  kind: RunChartKind;
  /** File name under `raw/<run-id>/charts/`; no experiment-iteration chart can have it (those end in -<n>-<kind>.svg). */
  file: string;
  title: string;
}

const DISTRIBUTIONS: ReadonlyArray<{ kind: 'mttr' | 'downtime'; metric: string; file: string; title: string; axis: string }> = [
  { kind: 'mttr', metric: 'mttr_ms', file: 'mttr-distribution.svg', title: 'MTTR per experiment: reactive baseline beside proactive recovery', axis: 'MTTR (s)' },
  { kind: 'downtime', metric: 'downtime_ms', file: 'downtime-distribution.svg', title: 'Downtime per experiment: reactive baseline beside proactive recovery', axis: 'downtime (s)' },
];
const PHASES_FILE = 'phase-breakdown.svg';
const PHASES_TITLE = 'T0–T6 breakdown per experiment (median of each interval)';

/** The baseline first, then the proactive experiments, each that recorded the metric at all. */
function distributionGroups(j: JournalData, metric: string): DistributionGroup[] {
  const names = [...(iterationsOf(j, BASELINE).length > 0 ? [BASELINE] : []), ...proactiveExperiments(j)];
  return names
    .filter((e) => measured(iterationsOf(j, e), metric))
    .map((e) => {
      const s = metricStats(j, e, metric);
      const seconds = (v: number) => v / 1000;
      return {
        label: e, role: e === BASELINE ? 'reactive' : 'proactive', values: s.values.map(seconds), m: s.m,
        median: s.median === null ? null : seconds(s.median), ci: s.medianCi95 ? [seconds(s.medianCi95[0]), seconds(s.medianCi95[1])] : null,
      };
    });
}

function phaseRows(j: JournalData): PhaseRow[] {
  return experimentsOf(j)
    .filter((e) => DELTA_KEYS.some((k) => measured(iterationsOf(j, e), k)))
    .map((e) => ({
      experiment: e,
      segments: DELTA_KEYS.map((k) => {
        const s = metricStats(j, e, k);
        return { label: metricLabel(k), medianMs: s.median, n: s.n, m: s.m };
      }),
    }));
}

/** The run charts a journal has data for, named deterministically (the report links them by these names). */
export function runChartFiles(j: JournalData): RunChartFile[] {
  const files: RunChartFile[] = DISTRIBUTIONS.filter((d) => distributionGroups(j, d.metric).some((g) => g.values.length > 0)).map(({ kind, file, title }) => ({ kind, file, title }));
  if (phaseRows(j).length > 0) files.push({ kind: 'phases', file: PHASES_FILE, title: PHASES_TITLE });
  return files;
}

export function renderRunChart(j: JournalData, f: RunChartFile): string {
  if (f.kind === 'phases') return phaseChart(f.title, phaseRows(j));
  const d = DISTRIBUTIONS.find((x) => x.kind === f.kind)!;
  return distributionChart(f.title, d.axis, distributionGroups(j, d.metric));
}

/** Writes the run charts into `<runDir>/charts/`; returns the files written. */
export async function writeRunCharts(j: JournalData, runDir: string): Promise<string[]> {
  const files = runChartFiles(j);
  if (files.length === 0) return [];
  const outDir = path.join(runDir, 'charts');
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const f of files) {
    const file = path.join(outDir, f.file);
    await writeFile(file, renderRunChart(j, f));
    written.push(file);
  }
  return written;
}
