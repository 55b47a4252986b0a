import { z } from 'zod';
import { BOOTSTRAP_RESAMPLES } from './bootstrap.ts';
import { BASELINE, COMPARED_METRICS, comparisons, experimentsOf, iterationsOf, measured, metricStats, proactiveExperiments } from './comparison.ts';
import type { JournalData } from './journal-schema.ts';
import { EXACT_MAX_N } from './rank-test.ts';
import type { Verdict } from './slo.ts';

/** Written next to journal.json: the run's figures for other tools (thesis tables, dashboards) to read without re-deriving them. */
export const SUMMARY_FILE = 'summary.json';

const finite = z.number().finite();
const interval = z.tuple([finite, finite]);

const metricSummarySchema = z.object({
  /** Iterations with a value. */
  n: z.number().int().nonnegative(),
  /** Iterations in all. */
  m: z.number().int().nonnegative(),
  median: finite.nullable(),
  p95: finite.nullable(),
  /** 95 % percentile bootstrap interval of the median; null for fewer than two values. */
  medianCi95: interval.nullable(),
});

const rankTestSchema = z.object({
  /** Against which experiment (the reactive baseline). */
  against: z.string().min(1),
  /** U of this experiment's values: pairs in which it is the larger, ties ½. */
  u: finite.nonnegative(),
  n: z.number().int().positive(),
  nAgainst: z.number().int().positive(),
  /** Two-sided. */
  p: finite.min(0).max(1),
  method: z.enum(['exact', 'normal']),
});

const metricKey = z.enum(COMPARED_METRICS);

const experimentSummarySchema = z.object({
  name: z.string().min(1),
  role: z.enum(['reactive', 'proactive', 'other']),
  iterations: z.number().int().nonnegative(),
  outcomes: z.object({ passed: z.number().int().nonnegative(), failed: z.number().int().nonnegative(), error: z.number().int().nonnegative() }),
  metrics: z.partialRecord(metricKey, metricSummarySchema),
  rankTests: z.partialRecord(metricKey, rankTestSchema),
});

/** One iteration's SLO verdict, in the shape slo.ts's `evaluate` gives it (op absent only in journals from before it was recorded). */
const sloIterationSchema = z.object({
  name: z.string().min(1),
  experiment: z.string().min(1),
  iteration: z.number().int().positive(),
  metric: z.string().min(1),
  op: z.enum(['<', '<=', '==', '>']).optional(),
  limit: finite.nullable(),
  value: finite.nullable(),
  pass: z.boolean().nullable(),
  description: z.string(),
  reason: z.string().optional(),
});

const sloSummarySchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  experiment: z.string().min(1),
  /** fail: an iteration failed; pass: every iteration passed; not evaluated: otherwise (e.g. its reference experiment was not run). */
  verdict: z.enum(['pass', 'fail', 'not evaluated']),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  notEvaluated: z.number().int().nonnegative(),
  iterations: z.array(sloIterationSchema),
});

export const runSummarySchema = z.object({
  schemaVersion: z.literal(1),
  runId: z.string().min(1),
  commit: z.string().min(1),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  method: z.object({ bootstrapResamples: z.number().int().positive(), confidence: z.literal(0.95), rankTest: z.string() }),
  experiments: z.array(experimentSummarySchema),
  slos: z.array(sloSummarySchema),
});

export type RunSummary = z.infer<typeof runSummarySchema>;
export type SloIterationVerdict = z.infer<typeof sloIterationSchema>;

// slo.ts's verdicts are what this file carries per iteration: a change there has to show up here
const _verdictFits = (v: Verdict): SloIterationVerdict => v;

function role(e: string, proactive: ReadonlySet<string>): 'reactive' | 'proactive' | 'other' {
  if (e === BASELINE) return 'reactive';
  return proactive.has(e) ? 'proactive' : 'other';
}

function sloSummaries(j: JournalData): RunSummary['slos'] {
  const byName = new Map<string, SloIterationVerdict[]>();
  for (const it of j.iterations) {
    for (const v of it.slo) {
      const entry: SloIterationVerdict = {
        name: v.name, experiment: it.experiment, iteration: it.iteration, metric: v.metric ?? v.name,
        ...(v.op ? { op: v.op } : {}), limit: v.limit, value: v.value, pass: v.pass, description: v.description ?? v.name,
        ...(v.reason ? { reason: v.reason } : {}),
      };
      byName.set(v.name, [...(byName.get(v.name) ?? []), entry]);
    }
  }
  return [...byName.entries()].map(([name, its]) => {
    const passed = its.filter((v) => v.pass === true).length;
    const failed = its.filter((v) => v.pass === false).length;
    const notEvaluated = its.length - passed - failed;
    const verdict = failed > 0 ? 'fail' : notEvaluated === 0 ? 'pass' : 'not evaluated';
    return { name, description: its[0].description, experiment: its[0].experiment, verdict, passed, failed, notEvaluated, iterations: its };
  });
}

/** The summary of a run, from its journal alone; validated against the schema before it is returned. */
export function buildRunSummary(j: JournalData): RunSummary {
  const compared = comparisons(j);
  const proactive = new Set(proactiveExperiments(j));
  const experiments = experimentsOf(j).map((name) => {
    const its = iterationsOf(j, name);
    const metrics: RunSummary['experiments'][number]['metrics'] = {};
    const rankTests: RunSummary['experiments'][number]['rankTests'] = {};
    for (const k of COMPARED_METRICS) {
      if (!measured(its, k)) continue;
      const s = metricStats(j, name, k);
      metrics[k] = { n: s.n, m: s.m, median: s.median, p95: s.p95, medianCi95: s.medianCi95 };
    }
    for (const c of compared.filter((x) => x.experiment === name && x.rank)) {
      const r = c.rank!;
      rankTests[c.metric as (typeof COMPARED_METRICS)[number]] = { against: BASELINE, u: r.u, n: r.nX, nAgainst: r.nY, p: r.p, method: r.method };
    }
    const count = (o: string) => its.filter((i) => i.outcome === o).length;
    return { name, role: role(name, proactive), iterations: its.length, outcomes: { passed: count('passed'), failed: count('failed'), error: count('error') }, metrics, rankTests };
  });
  return runSummarySchema.parse({
    schemaVersion: 1,
    runId: j.runId,
    commit: j.meta.gitCommit,
    startedAt: j.meta.startedAt,
    endedAt: j.meta.endedAt ?? null,
    method: { bootstrapResamples: BOOTSTRAP_RESAMPLES, confidence: 0.95, rankTest: `Mann–Whitney U, two-sided; exact without ties up to ${EXACT_MAX_N} a side, else normal approximation with tie and continuity correction` },
    experiments,
    slos: sloSummaries(j),
  });
}

export function renderRunSummary(j: JournalData): string {
  return `${JSON.stringify(buildRunSummary(j), null, 2)}\n`;
}
