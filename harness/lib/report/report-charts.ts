import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { availabilityChart, replicasChart, resourcesChart, type ProbeSeries } from './charts.ts';
import type { IterationRecord, JournalData } from './journal-schema.ts';
import { loadProbeRows } from './journal.ts';

export type ChartKind = 'availability' | 'replicas' | 'resources';

export interface ChartFile {
  experiment: string;
  iteration: number;
  kind: ChartKind;
  /** File name under `raw/<run-id>/charts/`. */
  file: string;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function kindsOf(it: IterationRecord): ChartKind[] {
  const kinds: ChartKind[] = [];
  if (it.probes.samplesFile && it.probes.summary.samples > 0) kinds.push('availability');
  if ((it.series?.replicas?.length ?? 0) > 0) kinds.push('replicas');
  if ((it.series?.containers?.length ?? 0) > 0) kinds.push('resources');
  return kinds;
}

/** The charts a journal has data for, named deterministically (the report links them by these names). */
export function chartFiles(journal: JournalData): ChartFile[] {
  return journal.iterations.flatMap((it) =>
    kindsOf(it).map((kind) => ({ experiment: it.experiment, iteration: it.iteration, kind, file: `${safe(it.experiment)}-${it.iteration}-${kind}.svg` })),
  );
}

/**
 * Renders every chart of the run into `<runDir>/charts/` from the journal and probes.csv; returns the
 * files written. Time axes are seconds since the iteration's start.
 */
export async function writeCharts(journal: JournalData, runDir: string): Promise<string[]> {
  const files = chartFiles(journal);
  if (files.length === 0) return [];
  const rows = files.some((f) => f.kind === 'availability') ? await loadProbeRows(runDir) : [];
  const outDir = path.join(runDir, 'charts');
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const f of files) {
    const it = journal.iterations.find((i) => i.experiment === f.experiment && i.iteration === f.iteration)!;
    const title = `${f.experiment} #${f.iteration}`;
    const marks = it.marks ?? [];
    let svg: string;
    if (f.kind === 'availability') {
      const mine = rows.filter((r) => r.experiment === f.experiment && r.iteration === f.iteration);
      const sources = [...new Set(mine.map((r) => r.source))].sort();
      const series: ProbeSeries[] = sources.map((source) => ({ source, samples: mine.filter((r) => r.source === source) }));
      if (mine.length === 0) throw new Error(`${title}: journal says ${it.probes.summary.samples} probe samples in ${it.probes.samplesFile}, found 0 rows`);
      svg = availabilityChart(`${title}: availability and latency`, series, marks, it.startedAt);
    } else if (f.kind === 'replicas') {
      svg = replicasChart(`${title}: replicas`, it.series!.replicas!, marks, it.startedAt);
    } else {
      svg = resourcesChart(`${title}: container CPU, memory, network`, it.series!.containers!, marks, it.startedAt);
    }
    const file = path.join(outDir, f.file);
    await writeFile(file, svg);
    written.push(file);
  }
  return written;
}
