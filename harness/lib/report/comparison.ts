import { bootstrapMedianCi } from './bootstrap.ts';
import type { IterationRecord, JournalData } from './journal-schema.ts';
import { mannWhitneyU, type RankTest } from './rank-test.ts';
import { summarizeIterations } from './stats.ts';
import type { IterationSummary } from '../config/types.ts';

/** The reactive reference: Docker Swarm's own recovery after a kill -9 (DESIGN.md §5). */
export const BASELINE = 'baseline';
export const COMPARED_METRICS = ['mttr_ms', 'downtime_ms', 'failed_requests'] as const;

export function experimentsOf(j: JournalData): string[] {
  return [...new Set(j.iterations.map((i) => i.experiment))];
}

export function iterationsOf(j: JournalData, experiment: string): IterationRecord[] {
  return j.iterations.filter((i) => i.experiment === experiment);
}

export function measured(its: readonly IterationRecord[], metric: string): boolean {
  return its.some((i) => metric in i.measurements);
}

/**
 * The experiments compared with the baseline: those meant to recover something record an MTTR (bad
 * input does not), also when none of their iterations got one, so that a run of timeouts still
 * shows up as "0 of m".
 */
export function proactiveExperiments(j: JournalData): string[] {
  return experimentsOf(j).filter((e) => e !== BASELINE && measured(iterationsOf(j, e), 'mttr_ms'));
}

/** A metric over an experiment's iterations, with the values themselves and the bootstrap interval of the median. */
export interface MetricStats extends IterationSummary {
  values: number[];
  /** 95 % percentile bootstrap interval of the median; null for fewer than two values. */
  medianCi95: [number, number] | null;
}

export function metricStats(j: JournalData, experiment: string, metric: string): MetricStats {
  const raw = iterationsOf(j, experiment).map((i) => i.measurements[metric]);
  const values = raw.filter((v): v is number => typeof v === 'number');
  return { ...summarizeIterations(raw), values, medianCi95: bootstrapMedianCi(values, { label: `${experiment}/${metric}` }) };
}

export interface Comparison {
  experiment: string;
  metric: string;
  reactive: MetricStats;
  proactive: MetricStats;
  /** Mann–Whitney U of the proactive values against the reactive ones; null when a side has none. */
  rank: RankTest | null;
}

/** Every proactive experiment against the baseline, per compared metric either of them recorded. */
export function comparisons(j: JournalData): Comparison[] {
  const base = iterationsOf(j, BASELINE);
  if (base.length === 0) return [];
  const out: Comparison[] = [];
  for (const experiment of proactiveExperiments(j)) {
    for (const metric of COMPARED_METRICS) {
      if (!measured(iterationsOf(j, experiment), metric) && !measured(base, metric)) continue;
      const reactive = metricStats(j, BASELINE, metric);
      const proactive = metricStats(j, experiment, metric);
      out.push({ experiment, metric, reactive, proactive, rank: mannWhitneyU(proactive.values, reactive.values) });
    }
  }
  return out;
}
