import Table from 'cli-table3';
import type { JournalData } from '../report/journal-schema.ts';
import { summarize } from '../report/stats.ts';
import { formatMs } from '../report/format.ts';

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The console summary of a run: one row per experiment, from the journal. */
export function summaryTable(journal: JournalData): string {
  const table = new Table({
    head: ['experiment', 'n', 'MTTR median', 'MTTR p95', 'downtime median', 'downtime max', 'failed requests', 'T2−T1 median', 'T3−T2 median', 'SLO'],
  });
  const experiments = [...new Set(journal.iterations.map((i) => i.experiment))];
  for (const e of experiments) {
    const its = journal.iterations.filter((i) => i.experiment === e);
    const values = (key: string) => its.map((i) => i.measurements[key]).filter(num);
    const mttr = summarize(values('mttr_ms'));
    const down = summarize(values('downtime_ms'));
    const failed = values('failed_requests').reduce((a, b) => a + b, 0);
    // scenario 2 can act more than once an iteration: it records the largest latency of its actions
    const t21 = summarize(values('t2_t1_ms').length ? values('t2_t1_ms') : values('alert_latency_max_ms'));
    const t32 = summarize(values('t3_t2_ms').length ? values('t3_t2_ms') : values('decision_latency_max_ms'));
    const verdicts = its.flatMap((i) => i.slo);
    const bad = verdicts.filter((v) => v.pass === false).length;
    const errors = its.filter((i) => i.outcome === 'error').length;
    const slo = errors ? `${errors} error(s)` : verdicts.length === 0 ? '—' : bad ? `${bad} FAILED` : 'pass';
    table.push([e, its.length, formatMs(mttr.median), formatMs(mttr.p95), formatMs(down.median), formatMs(down.max), failed, formatMs(t21.median), formatMs(t32.median), slo]);
  }
  return table.toString();
}
