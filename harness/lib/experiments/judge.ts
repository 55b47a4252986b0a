import type { IterationRecord } from '../report/journal-schema.ts';
import { evaluate, type MeasurementRow, type Threshold } from '../report/slo.ts';

/**
 * The one place an iteration is judged, for the full suite, the entry scripts and vitest alike:
 * the declared thresholds (the registry's SLOS) are evaluated against the iterations of the same run so far (`rows`, to
 * which it is added, so that the baseline, which runs first, is the reference of the proactive
 * MTTR), the verdicts written into the record, and an iteration that erred stays an error, one with
 * a failed verdict becomes `failed`.
 */
export function judgeIteration(record: IterationRecord, rows: MeasurementRow[], thresholds: readonly Threshold[]): IterationRecord {
  rows.push({ experiment: record.experiment, iteration: record.iteration, values: record.measurements });
  const verdicts = evaluate(thresholds, rows).filter((v) => v.experiment === record.experiment && v.iteration === record.iteration);
  record.slo = verdicts.map((v) => ({ ...v }));
  if (record.outcome !== 'error' && verdicts.some((v) => v.pass === false)) record.outcome = 'failed';
  return record;
}

/**
 * Why a judged iteration did not pass, one line each (none: it passed). What a vitest experiment
 * suite asserts empty: it adds no check of its own, so it fails exactly when the suite would.
 */
export function iterationFailures(record: Pick<IterationRecord, 'outcome' | 'error' | 'slo'>): string[] {
  const out: string[] = [];
  if (record.outcome === 'error') out.push(`error: ${record.error ?? 'no message'}`);
  for (const v of record.slo) {
    if (v.pass === false) out.push(`${v.name}: ${v.metric} measured ${v.value ?? 'nothing'}, limit ${v.op} ${v.limit ?? '?'}${v.reason ? ` (${v.reason})` : ''}`);
  }
  if (out.length === 0 && record.outcome !== 'passed') out.push(`outcome ${record.outcome}`);
  return out;
}
